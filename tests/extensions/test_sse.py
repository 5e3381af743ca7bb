"""Server-Sent Events: the message format, the response headers, events sent
as they happen, keep-alive comments, and a client that goes away."""
import asyncio
import json

from microdot import Microdot
import microdot as server_module
from microdot.sse import SSE, with_sse, sse_response
from microdot.test_client import TestClient
from support import Serving, parse


def make_app():
    app = Microdot()
    app.go = asyncio.Event()  # the test lets a handler go on
    app.stopped = asyncio.Event()  # a handler saw the client go
    app.ran = False
    app.sse = None

    @app.get('/format')
    @with_sse
    async def format_(request, sse):
        await sse.send({'a': 1})
        await sse.send([1, 'two'])
        await sse.send('plain')
        await sse.send(b'raw bytes')
        await sse.send(42)
        await sse.send('one\ntwo\r\nthree\rfour')
        await sse.send(b'x\ny')
        await sse.send('hello', event='greeting', event_id='7', retry=2.5)
        await sse.send(' spaced ')
        await sse.send('')
        await sse.send('beat\nagain', event='ignored', comment=True)

    @app.get('/count/<int:n>')
    @with_sse
    async def count(request, sse, n):
        for i in range(n):
            await sse.send(i, event_id=i)

    @app.get('/custom')
    async def custom(request):
        async def events(request, sse):
            await sse.send(request.args.get('q'))
        return sse_response(request, events, 201,
                            headers={'X-Test': 'yes',
                                     'cache-control': 'no-store'})

    @app.get('/bad-field')
    @with_sse
    async def bad_field(request, sse):
        for event, event_id in (('a\nb', None), (None, '1\r2')):
            try:
                await sse.send('x', event=event, event_id=event_id)
            except ValueError:
                await sse.send('rejected')

    @app.get('/fails')
    @with_sse
    async def fails(request, sse):
        await sse.send('before')
        raise RuntimeError('handler bug')

    @app.get('/kept')
    @with_sse
    async def kept(request, sse):
        app.ran = True
        app.sse = sse
        await sse.send('only')

    @app.get('/steps')
    @with_sse
    async def steps(request, sse):
        await sse.send('first')
        await app.go.wait()
        await sse.send('second')

    @app.get('/forever')
    @with_sse
    async def forever(request, sse):
        app.sse = sse
        try:
            i = 0
            while True:
                await sse.send(i)
                i += 1
                await asyncio.sleep(0.01)
        except asyncio.CancelledError:
            app.stopped.set()
            raise

    @app.get('/idle')
    @with_sse
    async def idle(request, sse):
        app.sse = sse
        try:
            await sse.send('start')
            await asyncio.Event().wait()  # nothing more, ever
        finally:
            app.stopped.set()

    @app.get('/')
    def index(request):
        return 'still here'

    return app


class Recorder:
    """Stands in for print_exception() in the framework, to see whether a
    traceback would have been printed."""

    def __init__(self):
        self.errors = []
        self.saved = (server_module.Server.report,
                      server_module.print_exception)
        server_module.Server.report = lambda server, exc: \
            self.errors.append(exc)
        server_module.print_exception = self.errors.append

    def restore(self):
        server_module.Server.report = self.saved[0]
        server_module.print_exception = self.saved[1]


async def send_refused(sse):
    """Whether send() raises OSError at once, as it should once the stream
    has ended (a TimeoutError, an OSError too on CPython, means it hung)."""
    try:
        await asyncio.wait_for(sse.send('late'), 5)
    except asyncio.TimeoutError:
        return False
    except OSError:
        return True
    return False


async def test_fields_and_data_lines():
    res = await TestClient(make_app()).get('/format')
    assert res.status_code == 200
    assert res.headers['Content-Type'] == 'text/event-stream'
    assert res.headers['Cache-Control'] == 'no-cache'
    assert res.headers['Transfer-Encoding'] == 'chunked'
    assert res.body == (
        b'data: {"a": 1}\n\n'
        b'data: [1, "two"]\n\n'
        b'data: plain\n\n'
        b'data: raw bytes\n\n'
        b'data: 42\n\n'
        b'data: one\ndata: two\ndata: three\ndata: four\n\n'
        b'data: x\ndata: y\n\n'
        b'event: greeting\nid: 7\nretry: 2500\ndata: hello\n\n'
        b'data:  spaced \n\n'
        b'data: \n\n'
        b': beat\n: again\n\n')


async def test_json_data_reads_back():
    res = await TestClient(make_app()).get('/format')
    first = res.text.split('\n\n')[0]
    assert first.startswith('data: ')
    assert json.loads(first[6:]) == {'a': 1}


async def test_url_arguments_reach_the_handler():
    res = await TestClient(make_app()).get('/count/3')
    assert res.text == 'id: 0\ndata: 0\n\nid: 1\ndata: 1\n\nid: 2\ndata: 2\n\n'
    res = await TestClient(make_app()).get('/count/0')
    assert res.status_code == 200
    assert res.body == b''


async def test_sse_response_passes_status_and_headers_on():
    res = await TestClient(make_app()).get('/custom?q=asked')
    assert res.status_code == 201
    assert res.headers['X-Test'] == 'yes'
    assert res.headers['Cache-Control'] == 'no-store'
    assert res.headers['Content-Type'] == 'text/event-stream'
    assert res.text == 'data: asked\n\n'


async def test_line_break_in_event_or_id_is_refused():
    res = await TestClient(make_app()).get('/bad-field')
    assert res.text == 'data: rejected\n\ndata: rejected\n\n'


async def test_handler_error_breaks_the_stream_and_is_reported():
    recorder = Recorder()
    try:
        async with Serving(make_app()) as server:
            data = await server.exchange(b'GET /fails HTTP/1.1\r\nHost: x'
                                         b'\r\n\r\n')
    finally:
        recorder.restore()
    assert data.startswith(b'HTTP/1.1 200 ')
    # the event, then the connection closed without the last chunk: the
    # client can tell a broken stream from one that ended
    assert data.endswith(b'data: before\n\n\r\n')
    assert len(recorder.errors) == 1
    assert isinstance(recorder.errors[0], RuntimeError)


async def test_the_test_client_raises_the_handler_error():
    try:
        await TestClient(make_app()).get('/fails')
    except RuntimeError:
        pass
    else:
        assert False, 'the error of the event function was not raised'


async def test_head_request_does_not_run_the_handler():
    app = make_app()
    async with Serving(app) as server:
        data = await server.exchange(b'HEAD /kept HTTP/1.1\r\nHost: x\r\n'
                                     b'Connection: close\r\n\r\n')
    head, _, body = data.partition(b'\r\n\r\n')
    assert head.startswith(b'HTTP/1.1 200 ')
    assert b'Content-Type: text/event-stream' in head
    assert body == b''
    assert not app.ran


async def test_send_after_the_stream_ended_raises():
    app = make_app()
    res = await TestClient(app).get('/kept')
    assert res.text == 'data: only\n\n'
    assert await send_refused(app.sse)


async def read_until(reader, marker, data=b''):
    """Reads from a socket until `marker` has arrived; returns all read."""
    async def read():
        received = data
        while marker not in received:
            part = await reader.read(4096)
            assert part, 'closed before {!r} came: {!r}'.format(marker,
                                                                 received)
            received += part
        return received
    return await asyncio.wait_for(read(), 5)


async def read_to_close(reader, data=b''):
    async def read():
        received = data
        while True:
            part = await reader.read(4096)
            if not part:
                return received
            received += part
    return await asyncio.wait_for(read(), 5)


async def wait_until_no_connections(app):
    for _ in range(500):
        if not app.server.connections:
            return
        await asyncio.sleep(0.01)
    assert False, 'the server still holds the connection'


async def test_events_arrive_before_the_handler_ends():
    app = make_app()
    async with Serving(app) as server:
        reader, writer = await server.connect()
        writer.write(b'GET /steps HTTP/1.1\r\nHost: x\r\n'
                     b'Connection: close\r\n\r\n')
        await writer.drain()
        # the handler waits for app.go, which is set only once the first
        # event has come through the socket
        data = await read_until(reader, b'data: first\n\n')
        assert b'second' not in data
        head = data[:data.find(b'\r\n\r\n')].decode().lower()
        assert 'content-type: text/event-stream' in head
        assert 'cache-control: no-cache' in head
        app.go.set()
        data = await read_to_close(reader, data)
        res = parse(data)
        assert res.text == 'data: first\n\ndata: second\n\n'
        assert res.headers['Connection'] == 'close'
        writer.close()


async def test_keep_alive_comment_when_idle():
    SSE.ping_interval = 0.05
    try:
        app = make_app()
        async with Serving(app) as server:
            reader, writer = await server.connect()
            writer.write(b'GET /steps HTTP/1.1\r\nHost: x\r\n'
                         b'Connection: close\r\n\r\n')
            await writer.drain()
            data = await read_until(reader, b'data: first\n\n')
            data = await read_until(reader, b': ping\n\n', data)
            app.go.set()
            res = parse(await read_to_close(reader, data))
            # the pings sit between the events and hide no data
            events = [part for part in res.text.split('\n\n')
                      if part and part != ': ping']
            assert events == ['data: first', 'data: second']
            writer.close()
    finally:
        SSE.ping_interval = 15


async def check_disconnect(path):
    SSE.ping_interval = 0.05  # writes to the closed socket fail soon
    recorder = Recorder()
    try:
        app = make_app()
        async with Serving(app) as server:
            reader, writer = await server.connect()
            writer.write(b'GET ' + path + b' HTTP/1.1\r\nHost: x\r\n\r\n')
            await writer.drain()
            await read_until(reader, b'\n\n')
            writer.close()
            await writer.wait_closed()
            await asyncio.wait_for(app.stopped.wait(), 5)
            await wait_until_no_connections(app)
            assert app.sse.task.done()
            assert await send_refused(app.sse)
            # the server goes on answering
            res = await server.ask(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
            assert res.text == 'still here'
            reader, writer = await server.connect()
            writer.write(b'GET /count/2 HTTP/1.1\r\nHost: x\r\n'
                         b'Connection: close\r\n\r\n')
            res = parse(await read_to_close(reader))
            assert res.text == 'id: 0\ndata: 0\n\nid: 1\ndata: 1\n\n'
            writer.close()
    finally:
        recorder.restore()
        SSE.ping_interval = 15
    assert recorder.errors == []


async def test_client_leaving_cancels_a_sending_handler():
    await check_disconnect(b'/forever')


async def test_client_leaving_cancels_an_idle_handler():
    # no event goes out: the keep-alive comments find the client gone
    await check_disconnect(b'/idle')


async def test_finished_stream_keeps_the_connection():
    # the stream ends with its last chunk, so the connection can carry the
    # next request, as after any chunked response
    app = make_app()
    async with Serving(app) as server:
        reader, writer = await server.connect()
        writer.write(b'GET /count/1 HTTP/1.1\r\nHost: x\r\n\r\n'
                     b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
        await writer.drain()
        data = await read_until(reader, b'still here')
        end = data.find(b'\r\n0\r\n\r\n') + 7
        res = parse(data[:end])
        assert res.text == 'id: 0\ndata: 0\n\n'
        assert 'Connection' not in res.headers
        assert parse(data[end:]).text == 'still here'
        writer.close()
