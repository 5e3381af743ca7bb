"""WebSocket endpoints (RFC 6455): the upgrade handshake, then messages in
frames over the request's connection."""
import asyncio
import binascii
import hashlib

from microdot import HTTPException, Response, print_exception, linger

GUID = b'258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

# MicroPython's decoder lets through what UTF-8 forbids: overlong forms,
# surrogates, code points past U+10FFFF. Those start with the lead bytes
# below, each followed by the lowest and the highest byte that may come next.
UTF8_LEADS = (b'\xc0\x01\x00' b'\xc1\x01\x00'  # never valid
              b'\xe0\xa0\xbf'  # lower: overlong
              b'\xed\x80\x9f'  # higher: surrogates
              b'\xf0\x90\xbf'  # lower: overlong
              b'\xf4\x80\x8f'  # higher: past U+10FFFF
              b'\xf5\x01\x00' b'\xf6\x01\x00' b'\xf7\x01\x00')  # never valid


def decode_utf8(data):
    """The text in `data`, or None if it is not valid UTF-8."""
    try:
        text = str(data, 'utf-8')
    except UnicodeError:
        return None
    for i in range(0, len(UTF8_LEADS), 3):
        lead, low, high = UTF8_LEADS[i:i + 3]
        pos = data.find(lead)
        while pos >= 0:
            if not low <= data[pos + 1] <= high:
                return None
            pos = data.find(lead, pos + 1)
    return text


def unmask(data, mask):
    """XORs `data` (a bytearray) with the 4-byte `mask`, in place. Slices of
    256 bytes are XORed as integers: several times faster on MicroPython than
    a loop over bytes, and the memory used stays small."""
    key = int.from_bytes(bytes(mask) * 64, 'big')
    for start in range(0, len(data), 256):
        chunk = data[start:start + 256]
        size = len(chunk)
        chunk = int.from_bytes(chunk, 'big') ^ key >> 8 * (256 - size)
        data[start:start + size] = chunk.to_bytes(size, 'big')


class WebSocketError(Exception):
    """The connection is closed; the argument is its close code (RFC 6455
    7.1.5): the one of the client's close frame, the server's, or 1006 if
    the connection was lost without one."""


class WebSocket:
    """One WebSocket connection; route handlers get it from with_websocket()
    or websocket_upgrade()."""

    CONT = 0
    TEXT = 1
    BINARY = 2
    CLOSE = 8
    PING = 9
    PONG = 10

    # The largest message receive() accepts, -1 for Request.max_body_length.
    # A larger one closes the connection with status 1009.
    max_message_length = -1

    def __init__(self, request):
        self.request = request
        self.conn = request and request.conn
        # None while open, then the close code (see WebSocketError): once a
        # close frame is sent or the connection is lost, nothing more goes
        # out or comes in
        self.closed = None

    async def handshake(self):
        """Checks the upgrade request and switches the connection over; bad
        requests get a 4xx answer instead (HTTPException)."""
        headers = self.request.headers
        key = headers.get('Sec-WebSocket-Key', '')
        upgrade = 'websocket' in headers.get('Upgrade', '').lower() and \
            'upgrade' in headers.get('Connection', '').lower()
        try:
            valid = len(key) == 24 and len(binascii.a2b_base64(key)) == 16
        except ValueError:
            valid = False
        version = headers.get('Sec-WebSocket-Version')
        if not (upgrade and valid and self.request.method == 'GET' and
                version == '13'):
            # 426 for a version this server does not speak (RFC 6455 4.4),
            # else 400, as Microdot answers a request that is no handshake
            exc = HTTPException(426 if version and version != '13' else 400,
                                'A WebSocket handshake needs GET, version 13 '
                                'and a Sec-WebSocket-Key')
            # what the server speaks (RFC 6455 4.4)
            exc.headers = {'Upgrade': 'websocket',
                           'Sec-WebSocket-Version': '13'}
            raise exc
        accept = binascii.b2a_base64(hashlib.sha1(key.encode() + GUID)
                                     .digest())[:-1]
        await self.conn.send(b'HTTP/1.1 101 Switching Protocols\r\n'
                             b'Upgrade: websocket\r\nConnection: Upgrade\r\n'
                             b'Sec-WebSocket-Accept: ' + accept + b'\r\n\r\n')

    async def receive(self):
        """The next message from the client: str for text, bytes for binary.
        Answers pings on the way. Raises WebSocketError once the connection
        is closed, by either side."""
        if self.closed:
            raise WebSocketError(self.closed)
        message = b''  # the fragments so far
        kind = None  # TEXT or BINARY, once a message has begun
        while True:
            fin, opcode, payload = await self._read_frame(len(message))
            if opcode == self.PING:
                reply, payload = self._process_websocket_frame(opcode, payload)
                await self._write(reply, payload)
            elif opcode == self.CLOSE:
                code = 1000  # an empty close frame gets a normal one back
                if payload:
                    code = int.from_bytes(payload[:2], 'big')
                    # 1004-1006 and 1015 are only for reports, never in
                    # a frame; 1016-2999 are not assigned
                    if len(payload) < 2 or not (
                            1000 <= code <= 1003 or 1007 <= code <= 1014 or
                            3000 <= code <= 4999):
                        await self._fail(1002)
                    if decode_utf8(payload[2:]) is None:
                        await self._fail(1007)
                await self._close(code)  # echoed (RFC 6455 5.5.1)
                self._process_websocket_frame(opcode, payload)
            elif opcode != self.PONG:
                # a continuation goes on with a message, other data
                # frames begin one
                if (opcode == self.CONT) != (kind is not None):
                    await self._fail(1002)
                kind = kind or opcode
                if message:
                    message += payload  # a bytearray: grows in place
                else:
                    message = payload
                if fin:
                    break
        if kind == self.TEXT and decode_utf8(message) is None:
            await self._fail(1007)
        return self._process_websocket_frame(kind, message)[1]

    def _process_websocket_frame(self, opcode, payload):
        """What a checked frame (or whole message) asks for, as Microdot's
        method of this name says it: the opcode to answer with (or None)
        and the message (or None). Raises WebSocketError with the close
        code for a close frame."""
        if opcode == self.TEXT:
            return None, bytes(payload).decode()
        if opcode == self.BINARY:
            return None, bytes(payload)
        if opcode == self.PING:
            return self.PONG, payload
        if opcode == self.CLOSE:
            raise WebSocketError(
                int.from_bytes(payload[:2], 'big') if payload else 1000)
        return None, None

    async def send(self, data, opcode=None):
        """Sends a message: a str as text, bytes as binary, unless `opcode`
        says otherwise."""
        if self.closed:
            raise WebSocketError(self.closed)
        if isinstance(data, str):
            data = data.encode()
            opcode = opcode or self.TEXT
        await self._write(opcode or self.BINARY, data)

    async def close(self, code=1000):
        """Closes the connection with `code` and waits for the client's close
        frame, dropping the messages that come before it; 2 seconds without
        a frame end the wait."""
        if self.closed:
            return
        try:
            await self._close(code)
            while (await asyncio.wait_for(self._read_frame(0), 2))[1] != \
                    self.CLOSE:
                pass
        except (WebSocketError, asyncio.TimeoutError):
            pass  # the client has gone or stayed silent

    async def _read(self, size):
        data = bytearray(size)  # filled as the bytes come, no copies
        done = 0
        try:
            while done < size:
                part = await self.conn.read(min(size - done, 1024))
                data[done:done + len(part)] = part
                done += len(part)
        except (EOFError, OSError):
            self.closed = 1006  # lost, without a close frame
            raise WebSocketError(1006)
        return data

    async def _read_frame(self, received):
        """Reads one frame; returns FIN, the opcode and the unmasked payload
        (a bytearray). `received` counts the bytes of the message so far."""
        first, second = await self._read(2)
        opcode = first & 0x0F
        length = second & 0x7F
        # No extension was agreed, so the reserved bits must be 0 and the
        # opcodes 3-7 and 11-15 are unknown. Clients mask their frames.
        # Control frames (opcode 8 and up) are short and never split.
        if first & 0x70 or opcode & 7 > 2 or \
                not second & 0x80 or \
                opcode > 7 and (length > 125 or not first & 0x80):
            await self._fail(1002)
        if length > 125:  # the length is in the next 2 bytes (126) or 8
            length = int.from_bytes(
                await self._read(2 if length == 126 else 8), 'big')
        limit = self.max_message_length
        if limit < 0:
            limit = self.request.max_body_length
        if opcode < 8 and received + length > limit:
            await self._fail(1009)
        mask = await self._read(4)
        payload = await self._read(length)
        unmask(payload, mask)
        return first & 0x80, opcode, payload

    async def _write(self, opcode, data):
        length = len(data)
        if length < 126:
            head = bytes((0x80 | opcode, length))
        else:  # 126: the length follows in 2 bytes, 127: in 8
            size = 2 if length < 65536 else 8
            head = bytes((0x80 | opcode, 126 if size == 2 else 127)) + \
                length.to_bytes(size, 'big')
        if length < 1024:
            head += data  # one write
            data = b''
        # a large message is not copied; nothing is awaited between the two
        # writes, so a frame sent by another task can't land inside this one
        try:
            self.conn.writer.write(head)
            await self.conn.send(data, self.request.app.request_timeout * 1000)
        except OSError:
            self.closed = 1006  # lost
            raise WebSocketError(1006)

    async def _close(self, code):
        """Sends a close frame, once."""
        if self.closed:
            return
        self.closed = code
        await self._write(self.CLOSE, code.to_bytes(2, 'big'))

    async def _fail(self, code):
        """Closes the connection for a protocol error (1002), invalid UTF-8
        (1007) or a message too large (1009), and raises."""
        await self._close(code)
        # Input left unread when the connection closes makes TCP send a reset,
        # which may destroy the close frame before the client reads it.
        await linger(self.conn)
        raise WebSocketError(code)


async def websocket_upgrade(request):
    """Switches the request's connection to WebSocket and returns the
    WebSocket; for routes that check something first. The route ends when
    receive() or send() raises WebSocketError."""
    # an ASGI request brings a WebSocket class of its own (microdot/asgi.py)
    ws = getattr(request, 'websocket_class', WebSocket)(request)
    await ws.handshake()
    # a WebSocket is open as long as the client likes: it takes one of the
    # server's stream slots, not one that short requests need
    server = request.app.server
    if server is not None:
        server.hold_stream(request.conn)
    # after the handshake no HTTP response may follow, not even a 500 for
    # the WebSocketError that ends the route
    request.app.error_handlers.setdefault(
        WebSocketError, lambda request, exc: Response.already_handled)
    return ws


def with_websocket(f):
    """Decorator for a route `async def handler(request, ws)` that talks
    WebSocket. The connection is closed when the handler returns."""
    async def handler(request, *args, **kwargs):
        ws = await websocket_upgrade(request)
        code = 1000
        try:
            await f(request, ws, *args, **kwargs)
        except WebSocketError:
            pass  # the connection is closed
        except Exception as exc:
            print_exception(exc)
            code = 1011  # internal error
        await ws.close(code)
        return Response.already_handled
    return handler
