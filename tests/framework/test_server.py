"""The server around the app: TLS, the connection cap, idle connections
closed, and shutdown()."""
import asyncio
import os

from microdot import Microdot
from support import Serving, MICROPYTHON, free_port, parse, read_response, \
    closed

try:
    import ssl
except ImportError:
    ssl = None

CERT_DIR = os.getenv('MICRODOT_TEST_CERTS') or ''


def make_app():
    app = Microdot()
    app.release = asyncio.Event()

    @app.get('/')
    def index(req):
        return 'hello ' + req.scheme

    @app.get('/slow')
    async def slow(req):
        await app.release.wait()
        return 'done'

    @app.get('/stop')
    def stop(req):
        req.app.shutdown()
        return 'stopping'

    return app


async def test_tls():
    assert CERT_DIR, 'MICRODOT_TEST_CERTS is not set (run the tests with pytest)'
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    kind = 'der' if MICROPYTHON else 'pem'
    context.load_cert_chain(CERT_DIR + '/cert.' + kind, CERT_DIR + '/key.' + kind)
    client_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_context.check_hostname = False
    client_context.verify_mode = ssl.CERT_NONE
    async with Serving(make_app(), ssl=context) as server:
        reader, writer = await server.connect(ssl=client_context)
        for _ in range(2):  # keep-alive over TLS
            # MicroPython's TLS writer sends only on drain()
            writer.write(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
            await writer.drain()
            res = await read_response(reader)
            assert res.text == 'hello https'
        writer.close()


async def test_idle_connection_is_closed_after_keep_alive_timeout():
    app = make_app()
    app.keep_alive_timeout = 1
    async with Serving(app) as server:
        reader, writer = await server.connect()
        writer.write(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
        assert (await read_response(reader)).text == 'hello http'
        # the server closes it: read() ends (well within the 5 s allowed)
        assert await closed(reader)
        writer.close()


async def test_stalled_request_head_is_dropped():
    app = make_app()
    app.request_timeout = 1
    async with Serving(app) as server:
        reader, writer = await server.connect()
        writer.write(b'GET / HTTP/1.1\r\nHost:')
        assert await closed(reader)
        writer.close()


async def test_connection_cap_evicts_idle_then_answers_503():
    app = make_app()
    app.max_connections = 2
    async with Serving(app) as server:
        idle = []
        for _ in range(2):
            reader, writer = await server.connect()
            writer.write(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
            await read_response(reader)
            idle.append((reader, writer))
        # a third client takes the place of the oldest idle connection
        reader, writer = await server.connect()
        writer.write(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
        assert (await read_response(reader)).text == 'hello http'
        assert await closed(idle[0][0])
        # two busy connections: the next client is told to come back later
        busy = []
        for _ in range(2):
            r, w = await server.connect()
            w.write(b'GET /slow HTTP/1.1\r\nHost: x\r\n\r\n')
            await w.drain()
            busy.append((r, w))
        await asyncio.sleep(0.2)
        data = await server.exchange(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
        res = parse(data)
        assert res.status_code == 503
        assert res.headers['Retry-After'] == '5'
        app.release.set()
        for r, w in busy:
            assert (await read_response(r)).text == 'done'
            w.close()
        for r, w in idle + [(reader, writer)]:
            w.close()


async def test_shutdown_from_a_handler_stops_the_server():
    app = make_app()
    server = Serving(app)
    await server.__aenter__()
    data = await server.exchange(b'GET /stop HTTP/1.1\r\nHost: x\r\n\r\n')
    res = parse(data)
    assert res.text == 'stopping'
    assert res.headers['Connection'] == 'close'
    await asyncio.wait_for(server.task, 5)  # start_server() returned


async def test_shutdown_ends_a_connection_that_never_finishes():
    app = make_app()
    app.request_timeout = 1  # also the grace period of shutdown()
    server = Serving(app)
    await server.__aenter__()
    reader, writer = await server.connect()
    writer.write(b'GET /slow HTTP/1.1\r\nHost: x\r\n\r\n')  # never released
    await writer.drain()
    await asyncio.sleep(0.2)
    app.shutdown()
    assert not server.task.done()  # waits for the request in progress...
    await asyncio.wait_for(server.task, 5)  # ...but not for ever
    assert await closed(reader)
    writer.close()


async def test_start_serving_false_hands_the_server_to_the_caller():
    app = make_app()
    port = free_port()
    if MICROPYTHON:
        # MicroPython's asyncio has no server that waits to be started
        try:
            await app.start_server('127.0.0.1', port, start_serving=False)
        except ValueError as exc:
            assert 'CPython' in str(exc)
        else:
            raise AssertionError('no ValueError')
        return
    server = await app.start_server('127.0.0.1', port, start_serving=False)
    assert not server.is_serving()
    task = asyncio.create_task(server.serve_forever())
    while not server.is_serving():  # it listens once the task runs
        await asyncio.sleep(0.01)
    reader, writer = await asyncio.open_connection('127.0.0.1', port)
    writer.write(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    assert (await read_response(reader)).text == 'hello http'
    writer.close()
    app.shutdown()
    try:
        await asyncio.wait_for(task, 5)
    except asyncio.CancelledError:
        pass  # serve_forever() ends cancelled when its server is closed
