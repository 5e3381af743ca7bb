"""WebSocket: the handshake, messages in frames both ways, fragments, control
frames, the close handshake and protocol errors, over a loopback socket."""
import asyncio
import struct

from microdot import Microdot, Request, abort
from microdot.test_client import TestClient
from microdot.websocket import WebSocket, WebSocketError, with_websocket, \
    websocket_upgrade
import support

KEY = 'dGhlIHNhbXBsZSBub25jZQ=='  # RFC 6455's example: its answer is below
ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='
MASK = b'\x37\xfa\x21\x3d'


def upgrade_headers(**changes):
    headers = {'Upgrade': 'websocket', 'Connection': 'Upgrade',
               'Sec-WebSocket-Key': KEY, 'Sec-WebSocket-Version': '13'}
    for name, value in changes.items():
        name = name.replace('_', '-')
        if value is None:
            del headers[name]
        else:
            headers[name] = value
    return headers


def frame(opcode, payload=b'', fin=True, masked=True, flags=0):
    """A frame as a client sends it (masked), built byte by byte."""
    if isinstance(payload, str):
        payload = payload.encode()
    head = bytearray([(0x80 if fin else 0) | flags | opcode])
    length = len(payload)
    mask_bit = 0x80 if masked else 0
    if length < 126:
        head.append(mask_bit | length)
    elif length < 65536:
        head += bytes([mask_bit | 126]) + struct.pack('!H', length)
    else:
        head += bytes([mask_bit | 127]) + struct.pack('!Q', length)
    if not masked:
        return bytes(head) + payload
    body = bytes(payload[i] ^ MASK[i % 4] for i in range(length))
    return bytes(head) + MASK + body


def close_frame(code, reason=b''):
    return frame(8, struct.pack('!H', code) + reason)


async def read_frame(reader):
    """A frame from the server: (fin, opcode, payload); servers don't mask."""
    first, second = await asyncio.wait_for(reader.readexactly(2), 5)
    assert second & 0x80 == 0
    length = second & 0x7F
    if length == 126:
        length = struct.unpack('!H', await reader.readexactly(2))[0]
    elif length == 127:
        length = struct.unpack('!Q', await reader.readexactly(8))[0]
    payload = await asyncio.wait_for(reader.readexactly(length), 5) \
        if length else b''
    return bool(first & 0x80), first & 0x0F, payload


async def read_close(reader):
    """The status code and reason of the close frame the server sends."""
    fin, opcode, payload = await read_frame(reader)
    assert fin and opcode == 8
    return struct.unpack('!H', payload[:2])[0], payload[2:]


async def open_ws(server, path='/echo'):
    reader, writer = await server.connect()
    writer.write('GET {} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n'
                 'Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: {}\r\n'
                 'Sec-WebSocket-Version: 13\r\n\r\n'
                 .format(path, KEY).encode())
    await writer.drain()
    head = b''
    while not head.endswith(b'\r\n\r\n'):
        line = await asyncio.wait_for(reader.readline(), 5)
        assert line, 'the server closed the connection'
        head += line
    return reader, writer, head.decode()


async def send(writer, *frames):
    writer.write(b''.join(frames))
    await writer.drain()


async def finish(reader, writer):
    """Answers the server's close frame and checks it then hangs up."""
    await send(writer, close_frame(1000))
    assert await support.closed(reader)
    await hang_up(writer)


async def hang_up(writer):
    writer.close()
    await writer.wait_closed()  # where MicroPython closes the socket


async def still_serving(server):
    res = await server.ask(b'GET /hello HTTP/1.1\r\nHost: x\r\n'
                           b'Connection: close\r\n\r\n')
    assert res.status_code == 200 and res.text == 'hello'


def make_app():
    app = Microdot()
    app.events = []
    app.done = asyncio.Event()

    @app.get('/hello')
    def hello(request):
        return 'hello'

    @app.get('/echo')
    @with_websocket
    async def echo(request, ws):
        try:
            while True:
                message = await ws.receive()
                app.events.append(message)
                if message == 'bye':
                    await ws.send('goodbye')
                    return
                await ws.send(message)
        except WebSocketError:
            app.events.append('closed')
            try:
                await ws.receive()
            except WebSocketError:
                app.events.append('still closed')
            raise
        finally:
            app.done.set()

    @app.get('/room/<name>')
    @with_websocket
    async def room(request, ws, name):
        await ws.send('welcome to ' + name)
        await ws.send(b'\x00\x01')
        await ws.send('as bytes', WebSocket.BINARY)
        await ws.send(b'as text', WebSocket.TEXT)

    @app.get('/broken')
    @with_websocket
    async def broken(request, ws):
        await ws.receive()
        raise RuntimeError('a bug in the handler')

    @app.route('/checked', methods=['GET', 'POST'])
    async def checked(request):
        if request.args.get('token') != 'secret':
            abort(401)
        ws = await websocket_upgrade(request)
        while True:
            await ws.send((await ws.receive()).upper())

    return app


async def test_handshake_answers_with_the_accept_key():
    async with support.Serving(make_app()) as server:
        reader, writer, head = await open_ws(server)
        lines = head.split('\r\n')
        assert lines[0] == 'HTTP/1.1 101 Switching Protocols'
        assert 'Sec-WebSocket-Accept: ' + ACCEPT in lines
        assert 'Upgrade: websocket' in lines
        assert 'Connection: Upgrade' in lines
        assert 'Content-Length' not in head
        await send(writer, frame(1, 'bye'))
        assert await read_frame(reader) == (True, 1, b'goodbye')
        assert await read_close(reader) == (1000, b'')
        await finish(reader, writer)
        await still_serving(server)


async def test_handshake_errors():
    client = TestClient(make_app())
    res = await client.get('/echo')  # a plain HTTP request, as Microdot
    assert res.status_code == 400
    assert res.headers['Upgrade'] == 'websocket'
    assert 'WebSocket' in res.text
    res = await client.get('/echo', upgrade_headers(Connection='keep-alive'))
    assert res.status_code == 400
    # a version this server does not speak (RFC 6455 4.4)
    res = await client.get('/echo', upgrade_headers(Sec_WebSocket_Version='8'))
    assert res.status_code == 426
    assert res.headers['Sec-WebSocket-Version'] == '13'
    assert 'version' in res.text
    res = await client.get('/echo',
                           upgrade_headers(Sec_WebSocket_Version=None))
    assert res.status_code == 400
    for key in (None, '', 'abc', '!!!!!!!!!!!!!!!!!!!!!!==',
                'dGhlIHNhbXBsZSBub25jZQ', 'dGhlIHNhbXBsZSBub25jZQ=x',
                'dGhlIHNhbXBsZSBub25jZSEh'):  # the last one is 18 bytes
        res = await client.get('/echo', upgrade_headers(Sec_WebSocket_Key=key))
        assert res.status_code == 400, key
        assert 'Sec-WebSocket-Key' in res.text
    res = await client.post('/checked?token=secret', upgrade_headers())
    assert res.status_code == 400 and 'GET' in res.text
    res = await client.get('/checked', upgrade_headers())
    assert res.status_code == 401


async def test_handshake_error_keeps_the_connection_usable():
    async with support.Serving(make_app()) as server:
        reader, writer = await server.connect()
        await send(writer, b'GET /echo HTTP/1.1\r\nHost: x\r\n\r\n')
        res = await support.read_response(reader)
        assert res.status_code == 400
        await send(writer, b'GET /hello HTTP/1.1\r\nHost: x\r\n\r\n')
        res = await support.read_response(reader)
        assert res.text == 'hello'
        await hang_up(writer)


async def test_echo_text_and_binary():
    app = make_app()
    async with support.Serving(app) as server:
        reader, writer, head = await open_ws(server)
        await send(writer, frame(1, 'hello'), frame(2, b'\x00\xff\x80'),
                   frame(1, 'κόσμε'), frame(1, ''), frame(2, b''))
        assert await read_frame(reader) == (True, 1, b'hello')
        assert await read_frame(reader) == (True, 2, b'\x00\xff\x80')
        assert await read_frame(reader) == (True, 1, 'κόσμε'.encode())
        assert await read_frame(reader) == (True, 1, b'')
        assert await read_frame(reader) == (True, 2, b'')
        assert app.events == ['hello', b'\x00\xff\x80', 'κόσμε', '', b'']
        assert [type(e) for e in app.events] == [str, bytes, str, str, bytes]
        await send(writer, close_frame(1000, b'done'))
        assert await read_close(reader) == (1000, b'')
        assert await support.closed(reader)
        await hang_up(writer)
        assert app.events[-2:] == ['closed', 'still closed']


async def test_16_and_64_bit_lengths():
    app = make_app()
    WebSocket.max_message_length = 100000
    try:
        async with support.Serving(app) as server:
            reader, writer, head = await open_ws(server)
            medium = bytes(range(256)) * 2 + b'end'  # 515 bytes
            large = ('0123456789' * 7000).encode()  # 70000 bytes
            await send(writer, frame(2, medium), frame(1, large))
            assert await read_frame(reader) == (True, 2, medium)
            assert await read_frame(reader) == (True, 1, large)
            await send(writer, frame(2, b'x' * 65535), frame(2, b'y' * 65536))
            assert await read_frame(reader) == (True, 2, b'x' * 65535)
            assert await read_frame(reader) == (True, 2, b'y' * 65536)
            await send(writer, frame(2, b'z' * 125), frame(2, b'z' * 126))
            assert await read_frame(reader) == (True, 2, b'z' * 125)
            assert await read_frame(reader) == (True, 2, b'z' * 126)
            await send(writer, close_frame(1000))
            assert await read_close(reader) == (1000, b'')
            await hang_up(writer)
    finally:
        WebSocket.max_message_length = -1


async def test_fragmented_messages_with_pings_between():
    app = make_app()
    async with support.Serving(app) as server:
        reader, writer, head = await open_ws(server)
        await send(writer, frame(1, 'Hel', fin=False),
                   frame(9, 'are you there?'),
                   frame(0, 'lo, ', fin=False), frame(10, 'unasked pong'),
                   frame(0, 'world', fin=True))
        assert await read_frame(reader) == (True, 10, b'are you there?')
        assert await read_frame(reader) == (True, 1, b'Hello, world')
        # a character split between fragments is whole once they are joined
        text = 'κόσμε'.encode()
        await send(writer, frame(1, text[:3], fin=False),
                   frame(0, text[3:5], fin=False),
                   frame(0, b'', fin=False), frame(0, text[5:]))
        assert await read_frame(reader) == (True, 1, text)
        await send(writer, frame(2, b'\x01', fin=False), frame(0, b'\x02'),
                   frame(9))
        assert await read_frame(reader) == (True, 2, b'\x01\x02')
        assert await read_frame(reader) == (True, 10, b'')
        assert app.events == ['Hello, world', 'κόσμε', b'\x01\x02']
        await send(writer, close_frame(1001))
        assert await read_close(reader) == (1001, b'')
        await hang_up(writer)


async def test_close_codes_are_echoed():
    async with support.Serving(make_app()) as server:
        for code in (1000, 1001, 1011, 3000, 4999):
            reader, writer, head = await open_ws(server)
            await send(writer, close_frame(code, 'reason ✓'.encode()))
            assert await read_close(reader) == (code, b'')
            assert await support.closed(reader)
            await hang_up(writer)
        reader, writer, head = await open_ws(server)
        await send(writer, frame(8))  # no status code: a normal closure
        assert await read_close(reader) == (1000, b'')
        assert await support.closed(reader)
        await hang_up(writer)
        await still_serving(server)


async def test_invalid_close_frames():
    async with support.Serving(make_app()) as server:
        cases = ((frame(8, b'\x03'), 1002), (close_frame(999), 1002),
                 (close_frame(1005), 1002), (close_frame(1006), 1002),
                 (close_frame(1015), 1002), (close_frame(2000), 1002),
                 (close_frame(5000), 1002),
                 (close_frame(1000, b'\xff'), 1007))
        for data, code in cases:
            reader, writer, head = await open_ws(server)
            await send(writer, data)
            assert (await read_close(reader))[0] == code, data
            await hang_up(writer)
        await still_serving(server)


async def test_server_closes_when_the_handler_returns():
    app = make_app()
    async with support.Serving(app) as server:
        reader, writer, head = await open_ws(server, '/room/kitchen')
        assert await read_frame(reader) == (True, 1, b'welcome to kitchen')
        assert await read_frame(reader) == (True, 2, b'\x00\x01')
        assert await read_frame(reader) == (True, 2, b'as bytes')
        assert await read_frame(reader) == (True, 1, b'as text')
        assert await read_close(reader) == (1000, b'')
        # messages sent before the client's own close frame are discarded
        await send(writer, frame(1, 'late'), frame(9, 'ping'))
        await finish(reader, writer)
        await still_serving(server)


async def test_message_too_large():
    app = make_app()
    WebSocket.max_message_length = 10
    try:
        async with support.Serving(app) as server:
            reader, writer, head = await open_ws(server)
            await send(writer, frame(1, '0123456789'), frame(1, '0123456789!'))
            assert await read_frame(reader) == (True, 1, b'0123456789')
            assert await read_close(reader) == (1009, b'')
            await hang_up(writer)
            # fragments add up
            reader, writer, head = await open_ws(server)
            await send(writer, frame(1, '012345', fin=False),
                       frame(0, '6789!'))
            assert (await read_close(reader))[0] == 1009
            await hang_up(writer)
            await still_serving(server)
    finally:
        WebSocket.max_message_length = -1


async def test_default_limit_is_max_body_length():
    async with support.Serving(make_app()) as server:
        reader, writer, head = await open_ws(server)
        limit = Request.max_body_length
        await send(writer, frame(2, b'a' * limit))
        assert await read_frame(reader) == (True, 2, b'a' * limit)
        # refused from the header alone: the payload is never sent
        writer.write(bytes([0x82, 0xFF]) + struct.pack('!Q', limit + 1) + MASK)
        await writer.drain()
        assert (await read_close(reader))[0] == 1009
        await hang_up(writer)
        reader, writer, head = await open_ws(server)
        writer.write(bytes([0x82, 0xFF]) + struct.pack('!Q', 1 << 62) + MASK)
        await writer.drain()
        assert (await read_close(reader))[0] == 1009
        await hang_up(writer)
        await still_serving(server)


async def test_invalid_utf8_text():
    app = make_app()
    async with support.Serving(app) as server:
        bad = (b'\xff', b'ok\xc3', b'\xc0\xaf', b'\xe0\x80\xaf',
               b'\xed\xa0\x80', b'\xf4\x90\x80\x80', b'\xf5\x80\x80\x80')
        for data in bad:
            reader, writer, head = await open_ws(server)
            await send(writer, frame(1, data))
            assert await read_close(reader) == (1007, b''), data
            await hang_up(writer)
        # the same bytes are fine in a binary message
        reader, writer, head = await open_ws(server)
        await send(writer, frame(2, b'\xed\xa0\x80'), frame(1, '\U0010ffff'))
        assert await read_frame(reader) == (True, 2, b'\xed\xa0\x80')
        assert await read_frame(reader) == (True, 1, '\U0010ffff'.encode())
        await send(writer, close_frame(1000))
        assert await read_close(reader) == (1000, b'')
        await hang_up(writer)
        await still_serving(server)


async def test_protocol_errors_close_with_1002():
    app = make_app()
    async with support.Serving(app) as server:
        cases = (
            ([frame(1, 'hi', masked=False)], 'client frames must be masked'),
            ([frame(9, b'p' * 126)], 'control frame too long or split'),
            ([frame(9, 'p', fin=False)], 'control frame too long or split'),
            ([frame(0, 'orphan')], 'unexpected continuation frame'),
            ([frame(1, 'a', fin=False), frame(1, 'b')],
             'continuation frame expected'),
            ([frame(1, 'x', flags=0x40)], 'reserved bits set'),
            ([frame(3, 'x')], 'unknown opcode'),
            ([frame(11)], 'unknown opcode'),
        )
        for frames, error in cases:
            reader, writer, head = await open_ws(server)
            await send(writer, *frames)
            assert await read_close(reader) == (1002, b''), error
            await hang_up(writer)
        await still_serving(server)
    # no broken message reached the handler
    assert [e for e in app.events if e not in ('closed', 'still closed')] == []


async def test_handler_error_closes_with_1011():
    async with support.Serving(make_app()) as server:
        reader, writer, head = await open_ws(server, '/broken')
        await send(writer, frame(1, 'boom'))
        assert (await read_close(reader))[0] == 1011
        await finish(reader, writer)
        await still_serving(server)


async def test_client_gone_without_close_frame():
    app = make_app()
    async with support.Serving(app) as server:
        reader, writer, head = await open_ws(server)
        await send(writer, frame(1, 'one'))
        assert await read_frame(reader) == (True, 1, b'one')
        await hang_up(writer)
        await asyncio.wait_for(app.done.wait(), 5)
        assert app.events == ['one', 'closed', 'still closed']
        await still_serving(server)


async def test_websocket_upgrade_in_a_route():
    async with support.Serving(make_app()) as server:
        res = await server.ask(b'GET /checked HTTP/1.1\r\nHost: x\r\n\r\n')
        assert res.status_code == 401
        reader, writer, head = await open_ws(server, '/checked?token=secret')
        assert head.startswith('HTTP/1.1 101 ')
        await send(writer, frame(1, 'shout'))
        assert await read_frame(reader) == (True, 1, b'SHOUT')
        await send(writer, close_frame(1000))
        assert await read_close(reader) == (1000, b'')
        # the route ended with WebSocketError: no HTTP error response follows
        assert await asyncio.wait_for(support.read_all(reader), 5) == b''
        await hang_up(writer)
        await still_serving(server)


async def test_send_and_receive_after_close_raise():
    app = Microdot()
    results = []

    @app.get('/ws')
    @with_websocket
    async def handler(request, ws):
        await ws.close()
        for action in (ws.receive(), ws.send('late')):
            try:
                await action
                results.append('no error')
            except WebSocketError:
                results.append('error')

    async with support.Serving(app) as server:
        reader, writer, head = await open_ws(server, '/ws')
        assert await read_close(reader) == (1000, b'')
        await finish(reader, writer)
    assert results == ['error', 'error']


async def test_websocket_error_carries_the_close_code():
    app = Microdot()
    codes = []

    @app.get('/ws')
    @with_websocket
    async def handler(request, ws):
        try:
            await ws.receive()
        except WebSocketError as exc:
            codes.append(exc.args[0])
            raise

    async with support.Serving(app) as server:
        reader, writer, head = await open_ws(server, '/ws')
        await send(writer, close_frame(1001))  # the client's code
        assert await read_close(reader) == (1001, b'')
        await hang_up(writer)
        reader, writer, head = await open_ws(server, '/ws')
        await send(writer, frame(3))  # the server's code
        assert await read_close(reader) == (1002, b'')
        await hang_up(writer)
        reader, writer, head = await open_ws(server, '/ws')
        await hang_up(writer)  # lost without a close frame: 1006
    assert codes == [1001, 1002, 1006]
