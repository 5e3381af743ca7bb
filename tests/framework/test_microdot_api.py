"""Behaviours of Microdot 2.7.0 that apps and their tests rely on (each
found where this framework differed, issue 12); Microdot's own suite runs
too, in tests/test_microdot_suite.py."""
from microdot import Microdot, Request, Response
from microdot.test_client import TestClient
from support import Serving


async def test_a_handler_returning_none_is_204():
    app = Microdot()

    @app.post('/save')
    def save(req):
        pass

    res = await TestClient(app).post('/save', body='x')
    assert res.status_code == 204 and res.body == b''
    assert 'Content-Type' not in res.headers  # nothing to type


async def test_error_handlers_answer_the_errors_the_server_raises():
    app = Microdot()
    saved = Request.max_content_length
    Request.max_content_length = 16
    seen = []

    @app.errorhandler(413)
    def too_large(req):
        seen.append(req)
        return 'smaller, please', 400

    @app.errorhandler(400)
    def bad(req):
        return 'bad: ' + str(req), 400

    try:
        res = await TestClient(app).post('/', body='x' * 17)
        assert (res.status_code, res.text) == (400, 'smaller, please')
        assert seen == [None]  # no request could be made
        async with Serving(app) as server:
            res = await server.ask(b'GARBAGE\r\n\r\n')
            assert (res.status_code, res.text) == (400, 'bad: None')
    finally:
        Request.max_content_length = saved


async def test_dispatch_request_of_none_is_400():
    res = await Microdot().dispatch_request(None)
    assert (res.status_code, res.body) == (400, b'Bad request')


async def test_default_error_bodies_in_microdots_words():
    app = Microdot()

    @app.get('/crash')
    def crash(req):
        raise KeyError('x')

    client = TestClient(app)
    assert (await client.get('/nowhere')).text == 'Not found'
    assert (await client.post('/crash')).text == 'Not found'  # a 405
    assert (await client.get('/crash')).text == 'Internal server error'
    res = await client.request('OPTIONS', '/crash')
    assert res.status_code == 200
    assert res.headers['Allow'] == 'GET, HEAD, OPTIONS'


async def test_subapp_is_the_app_that_defined_the_route():
    inner, outer, app = Microdot(), Microdot(), Microdot()

    @inner.get('/')
    def inner_index(req):
        return '%s %s' % (req.subapp is inner, req.url_prefix)

    @app.get('/')
    def index(req):
        return str(req.subapp)

    outer.mount(inner, url_prefix='/in')
    app.mount(outer, url_prefix='/out')
    client = TestClient(app)
    assert (await client.get('/out/in/')).text == 'True /out/in'
    assert (await client.get('/')).text == 'None'


async def test_request_sock_is_the_reader_and_writer():
    app = Microdot()

    @app.get('/')
    def index(req):
        reader, writer = req.sock
        return str(hasattr(reader, 'read') and hasattr(writer, 'write'))

    assert (await TestClient(app).get('/')).text == 'True'


async def test_response_write_to_a_stream_of_ones_own():
    class Stream:
        data = b''

        async def awrite(self, data):
            self.data += data

    stream = Stream()
    await Response('hi').write(stream)
    assert stream.data.startswith(b'HTTP/1.0 200 OK\r\n')
    assert stream.data.endswith(b'\r\n\r\nhi')


async def test_the_test_client_sends_its_cookies_with_the_requests():
    app = Microdot()

    @app.get('/')
    def index(req):
        return req.cookies

    client = TestClient(app, cookies={'a': '1'})
    assert (await client.get('/', {'Cookie': 'b=2'})).json == \
        {'a': '1', 'b': '2'}


async def test_the_test_client_talks_websocket():
    from microdot.websocket import with_websocket
    app = Microdot()

    @app.route('/echo')
    @with_websocket
    async def echo(req, ws):
        while True:
            await ws.send(await ws.receive())

    answers = []

    async def talk():
        answers.append((yield 'text'))
        answers.append((yield b'\x00binary'))

    res = await TestClient(app).websocket('/echo', talk)
    assert res.body is None and answers == ['text', b'\x00binary']


async def test_the_test_client_reads_events():
    from microdot.sse import with_sse
    app = Microdot()

    @app.get('/events')
    @with_sse
    async def events(req, sse):
        await sse.send({'t': 21}, event='temp', event_id='1')
        await sse.send('plain', retry=1.5)

    res = await TestClient(app).get('/events')
    assert res.events == [
        {'data': b'{"t": 21}', 'data_json': {'t': 21}, 'event': 'temp',
         'event_id': '1', 'retry': None},
        {'data': b'plain', 'data_json': None, 'event': None,
         'event_id': None, 'retry': 1.5}]
