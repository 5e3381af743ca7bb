from microdot import Microdot, Response, redirect
from microdot.test_client import TestClient


class Countdown:
    """An async iterator written as a class: MicroPython has no async
    generators."""

    def __init__(self, n):
        self.n = n

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.n == 0:
            raise StopAsyncIteration
        self.n -= 1
        return str(self.n)


class FakeFile:
    def __init__(self, data):
        self.data = data
        self.closed = False

    def read(self, n):
        chunk, self.data = self.data[:n], self.data[n:]
        return chunk

    def close(self):
        self.closed = True


def make_app():
    app = Microdot()
    file = FakeFile(b'file contents')
    app.file = file

    @app.get('/str')
    def text(req):
        return 'hello'

    @app.get('/status')
    def status(req):
        return 'created', 201

    @app.get('/headers')
    def headers(req):
        return '<b>x</b>', 202, {'Content-Type': 'text/html'}

    @app.get('/body-headers')
    def body_headers(req):
        return 'x', {'X-One': '1'}

    @app.get('/no-content')
    def no_content(req):
        return 204

    @app.get('/dict')
    def dct(req):
        return {'a': 1}

    @app.get('/list')
    def lst(req):
        return [1, 'two']

    @app.get('/bytes')
    def byts(req):
        return b'\x00\x01'

    @app.get('/response')
    def response(req):
        return Response('teapot', 418, {'X-Tea': 'yes'}, reason='I am a teapot')

    @app.get('/redirect')
    def redir(req):
        return redirect('/there')

    @app.get('/redirect301')
    def redir301(req):
        return redirect('/here', 301)

    @app.get('/gen')
    async def gen(req):
        def numbers():
            for i in range(3):
                yield str(i)
        return numbers()

    @app.get('/agen')
    async def agen(req):
        return Countdown(3)

    @app.get('/file')
    def filelike(req):
        return file

    @app.get('/none')
    def none(req):
        return None

    return app


async def test_return_forms():
    client = TestClient(make_app())
    res = await client.get('/str')
    assert (res.status_code, res.reason, res.text) == (200, 'OK', 'hello')
    assert res.headers['Content-Type'] == 'text/plain; charset=UTF-8'
    assert res.headers['Content-Length'] == '5'
    res = await client.get('/status')
    assert (res.status_code, res.reason) == (201, 'Created')
    res = await client.get('/headers')
    assert res.status_code == 202
    assert res.headers['Content-Type'] == 'text/html'
    res = await client.get('/body-headers')
    assert (res.status_code, res.headers['X-One']) == (200, '1')
    res = await client.get('/no-content')
    assert res.status_code == 204
    assert 'Content-Length' not in res.headers and res.body == b''
    res = await client.get('/dict')
    assert res.json == {'a': 1}
    assert res.headers['Content-Type'] == 'application/json; charset=UTF-8'
    assert (await client.get('/list')).json == [1, 'two']
    assert (await client.get('/bytes')).body == b'\x00\x01'
    res = await client.get('/response')
    assert (res.status_code, res.reason) == (418, 'I am a teapot')
    assert res.headers['X-Tea'] == 'yes'
    assert (await client.get('/none')).status_code == 204  # as Microdot


async def test_redirects():
    client = TestClient(make_app())
    res = await client.get('/redirect')
    assert (res.status_code, res.headers['Location']) == (302, '/there')
    res = await client.get('/redirect301')
    assert (res.status_code, res.headers['Location']) == (301, '/here')
    try:
        redirect('/a\r\nSet-Cookie: x=1')
    except ValueError:
        pass
    else:
        assert False, 'header injection accepted'


async def test_streamed_bodies_are_chunked():
    app = make_app()
    client = TestClient(app)
    res = await client.get('/gen')
    assert res.headers['Transfer-Encoding'] == 'chunked'
    assert res.text == '012'
    assert (await client.get('/agen')).text == '210'
    res = await client.get('/file')
    assert res.body == b'file contents'
    assert app.file.closed
    res = await client.request('HEAD', '/gen')  # the head only, no chunks
    assert res.status_code == 200 and res.body is None
    assert res.headers['Transfer-Encoding'] == 'chunked'


async def test_default_content_type_can_change():
    client = TestClient(make_app())
    old = Response.default_content_type
    Response.default_content_type = 'text/html'
    try:
        res = await client.get('/str')
        assert res.headers['Content-Type'] == 'text/html; charset=UTF-8'
    finally:
        Response.default_content_type = old


async def test_user_content_type_in_any_case_is_kept_alone():
    res = Response('x', headers={'content-type': 'text/csv'})
    assert res.headers == {'content-type': 'text/csv'}


async def test_cookies():
    app = Microdot()

    @app.get('/set')
    def set_cookies(req):
        res = Response('set')
        res.set_cookie('plain', 'a')
        res.set_cookie('full', 'b', path='/', domain='example.com',
                       expires='Wed, 21 Oct 2037 07:28:00 GMT', max_age=60,
                       secure=True, http_only=True, partitioned=True)
        res.set_cookie('epoch', 'c', expires=86400)
        return res

    @app.get('/del')
    def delete(req):
        res = Response('deleted')
        res.delete_cookie('plain', path='/')
        return res

    @app.get('/show')
    def show(req):
        return req.cookies

    client = TestClient(app, cookies={'start': '0'})
    res = await client.get('/set')
    assert res.headers['Set-Cookie'] == [
        'plain=a',
        'full=b; Path=/; Domain=example.com; '
        'Expires=Wed, 21 Oct 2037 07:28:00 GMT; Max-Age=60; Secure; HttpOnly; '
        'Partitioned',
        'epoch=c; Expires=Fri, 02 Jan 1970 00:00:00 GMT']
    assert (await client.get('/show')).json == {
        'start': '0', 'plain': 'a', 'full': 'b'}
    res = await client.get('/del')
    assert res.headers['Set-Cookie'] == [
        'plain=; Path=/; Expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0']
    assert (await client.get('/show')).json == {'start': '0', 'full': 'b'}


async def test_the_test_client_sends_a_cookie_to_its_path_only():
    app = Microdot()

    @app.get('/login')
    def login(req):
        res = Response('in')
        res.set_cookie('here', '1', path='/login')
        res.set_cookie('admin', '2', path='/admin')
        return res

    @app.route('/<path:path>')
    def show(req, path):
        return req.cookies

    client = TestClient(app)
    await client.get('/login')
    assert client.cookies == {'here': '1', 'admin': '2'}
    assert (await client.get('/login/x')).json == {'here': '1'}
    assert (await client.get('/admin/x')).json == {'admin': '2'}

