"""HTTP/1.1 on a real loopback socket: keep-alive, pipelining, chunked
bodies, 100-continue, and malformed input answered with a clear 4xx."""
import asyncio

from microdot import Microdot, Request
from support import Serving, parse, read_response


def make_app():
    app = Microdot()

    @app.get('/')
    def index(req):
        return 'hello'

    @app.get('/n/<int:n>')
    def number(req, n):
        return str(n)

    @app.get('/keep')
    def keep(req):
        return str(req.keep_alive)

    @app.post('/echo')
    def echo(req):
        return req.body

    @app.post('/upload')
    async def upload(req):
        if req.headers.get('Authorization') != 'Bearer ok':
            return 'no', 401
        total = 0
        while True:
            data = await req.stream.read(512)
            if not data:
                break
            total += len(data)
        return str(total)

    @app.get('/stream')
    async def stream(req):
        def parts():
            yield 'a'
            yield 'bb'
        return parts()

    return app


GET = b'GET %s HTTP/1.1\r\nHost: x\r\n\r\n'


async def test_keep_alive_serves_several_requests_on_one_connection():
    async with Serving(make_app()) as server:
        reader, writer = await server.connect()
        for n in range(3):
            writer.write(GET % b'/n/%d' % n)
            res = await read_response(reader)
            assert res.text == str(n)
            assert 'Connection' not in res.headers
        writer.write(b'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
        res = await read_response(reader)
        assert res.headers['Connection'] == 'close'
        assert await asyncio.wait_for(reader.read(10), 5) == b''
        writer.close()


async def test_http10_closes_unless_keep_alive_asked():
    async with Serving(make_app()) as server:
        data = await server.exchange(b'GET / HTTP/1.0\r\n\r\n')
        # answered in the client's version, as Microdot answers
        assert data.startswith(b'HTTP/1.0 200 OK\r\n')
        assert b'Connection: close\r\n' in data
        reader, writer = await server.connect()
        writer.write(b'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n')
        res = await read_response(reader)
        assert res.headers['Connection'] == 'keep-alive'
        writer.write(b'GET /n/2 HTTP/1.0\r\n\r\n')
        assert (await read_response(reader)).text == '2'
        writer.close()


async def test_http10_streams_end_with_close():
    async with Serving(make_app()) as server:
        data = await server.exchange(b'GET /stream HTTP/1.0\r\n\r\n')
        assert b'Transfer-Encoding' not in data
        assert data.endswith(b'\r\n\r\nabb')


async def test_pipelined_requests_are_answered_in_order():
    async with Serving(make_app()) as server:
        data = await server.exchange(
            GET % b'/n/1' + GET % b'/n/2' +
            b'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody' +
            b'GET /n/3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
        bodies = [part.split(b'\r\n\r\n')[1][:4]
                  for part in data.split(b'HTTP/1.1 ')[1:]]
        assert bodies == [b'1', b'2', b'body', b'3']


async def test_chunked_request_body():
    async with Serving(make_app()) as server:
        data = await server.exchange(
            b'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n'
            b'Connection: close\r\n\r\n'
            b'5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: 1\r\n\r\n')
        res = parse(data)
        assert (res.status_code, res.text) == (200, 'hello world')


async def test_chunked_body_over_the_limit_is_413():
    old = Request.max_content_length
    Request.max_content_length = 8
    try:
        async with Serving(make_app()) as server:
            data = await server.exchange(
                b'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked'
                b'\r\n\r\n5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n')
            assert parse(data).status_code == 413
    finally:
        Request.max_content_length = old


async def test_expect_100_continue():
    old = Request.max_body_length
    Request.max_body_length = 100
    try:
        async with Serving(make_app()) as server:
            reader, writer = await server.connect()
            writer.write(b'POST /upload HTTP/1.1\r\nHost: x\r\n'
                         b'Authorization: Bearer ok\r\nContent-Length: 1000\r\n'
                         b'Expect: 100-continue\r\n\r\n')
            interim = await asyncio.wait_for(reader.read(25), 5)
            assert interim == b'HTTP/1.1 100 Continue\r\n\r\n'
            writer.write(b'x' * 1000)
            res = await read_response(reader)
            assert (res.status_code, res.text) == (200, '1000')
            # refused before the body is sent: no 100, and the connection
            # closes because the unsent body would be out of sync
            writer.write(b'POST /upload HTTP/1.1\r\nHost: x\r\n'
                         b'Content-Length: 1000\r\nExpect: 100-continue\r\n\r\n')
            data = await asyncio.wait_for(reader.read(4096), 5)
            assert data.startswith(b'HTTP/1.1 401 Unauthorized\r\n')
            assert b'Connection: close' in data
            writer.close()
    finally:
        Request.max_body_length = old


async def test_request_keep_alive_says_what_the_client_asked_for():
    cases = [
        (b'HTTP/1.1', b'', 'True'),
        (b'HTTP/1.1', b'Connection: close\r\n', 'False'),
        (b'HTTP/1.1', b'Connection: Upgrade, Close\r\n', 'False'),
        (b'HTTP/1.0', b'', 'False'),
        (b'HTTP/1.0', b'Connection: Keep-Alive\r\n', 'True'),
    ]
    async with Serving(make_app()) as server:
        for version, header, expected in cases:
            res = await server.ask(b'GET /keep ' + version +
                                   b'\r\nHost: x\r\n' + header + b'\r\n')
            assert res.text == expected, (version, header, res.text)
            assert (res.headers.get('Connection', '').lower() == 'close') \
                == (expected == 'False')


async def test_malformed_requests_get_clear_errors_and_server_keeps_serving():
    cases = [
        (b'GARBAGE\r\n\r\n', 400, b'request line'),
        (b'GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n', 400, b'request line'),
        (b'GET  / HTTP/1.1\r\nHost: x\r\n\r\n', 400, b'request line'),
        (b' GET / HTTP/1.1\r\nHost: x\r\n\r\n', 400, b'request line'),
        (b'GET /\r\nHost: x y\r\n\r\n', 400, b'request line'),
        (b'GET / FTP/1.1\r\nHost: x\r\n\r\n', 400, b'request line'),
        (b'GET / HTTP/2.0\r\nHost: x\r\n\r\n', 505, b'Version'),
        (b'GET / HTTP/1.10\r\nHost: x\r\n\r\n', 505, b'Version'),
        (b'GET / HTTP/1.2\r\nHost: x\r\n\r\n', 505, b'Version'),
        (b'GET / HTTP/1.1\r\nBad Name: x\r\nHost: x\r\n\r\n', 400,
         b'header line'),
        (b'GET / HTTP/1.1\r\nHost:x\r\n\tfolded: y\r\n\r\n', 400,
         b'header line'),
        (b'GET / HTTP/1.1\r\nHost x\r\n\r\n', 400, b'header line'),
        (b'GET / HTTP/1.1\r\nHost : x\r\n\r\n', 400, b'header line'),
        (b'GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n', 400, b'header line'),
        (b'GET / HTTP/1.1\r\n\r\n', 400, b'Host'),
        (b'GET /' + b'a' * 3000 + b' HTTP/1.1\r\nHost: x\r\n\r\n', 414, b'URI'),
        (b'GET / HTTP/1.1\r\nHost: x\r\nX: ' + b'a' * 9000 + b'\r\n\r\n',
         431, b'Header'),
        (b'GET /%ff%fe HTTP/1.1\r\nHost: x\r\n\r\n', 400, b'UTF-8'),
        (b'GET /\xff HTTP/1.1\r\nHost: x\r\n\r\n', 400, b'UTF-8'),
        (b'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
         400, b'Content-Length'),
        (b'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n'
         b'Content-Length: 2\r\n\r\nab', 400, b'Content-Length'),
        (b'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n',
         413, b'Payload too large'),
        (b'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n',
         501, b'gzip'),
        (b'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n'
         b'Content-Length: 3\r\n\r\n', 400, b'Transfer-Encoding'),
        (b'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n'
         b'\r\nzz\r\nab\r\n0\r\n\r\n', 400, b'chunk size'),
        (b'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n'
         b'\r\n0x2\r\nab\r\n0\r\n\r\n', 400, b'chunk size'),
        (b'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n'
         b'\r\n2\r\nabcd\r\n0\r\n\r\n', 400, b'chunk'),
    ]
    async with Serving(make_app()) as server:
        for request, status, words in cases:
            res = await server.ask(request)
            assert res.status_code == status, (request[:60], res.body)
            assert words in res.body, (request[:60], res.body)
            assert res.headers['Connection'] == 'close'
        assert parse(await server.exchange(
            b'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
        ).text == 'hello'


async def test_client_closing_early_does_not_stop_the_server():
    async with Serving(make_app()) as server:
        reader, writer = await server.connect()
        writer.write(b'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n'
                     b'\r\nabc')
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        reader, writer = await server.connect()
        writer.write(b'GET / HTTP/1.1\r\nHost: x\r\n')  # head never finished
        writer.close()
        await asyncio.sleep(0.05)
        res = parse(await server.exchange(
            b'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'))
        assert res.text == 'hello'
