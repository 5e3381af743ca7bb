"""WebSocket endpoints (RFC 6455): the upgrade handshake, then messages in
frames over the request's connection."""
import asyncio
import binascii
import hashlib
import struct

from microdot.request import Request, HTTPException
from microdot.response import Response
from microdot.server import print_exception

GUID = b'258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

# MicroPython's decoder lets through what UTF-8 forbids: overlong forms,
# surrogates, code points past U+10FFFF. Those come from the lead bytes
# below, each with the range its next byte must be in (empty: never valid).
try:
    str(b'\xed\xa0\x80', 'utf-8')
    UTF8_LEADS = ((0xC0, 1, 0), (0xC1, 1, 0), (0xE0, 0xA0, 0xBF),
                  (0xED, 0x80, 0x9F), (0xF0, 0x90, 0xBF), (0xF4, 0x80, 0x8F),
                  (0xF5, 1, 0), (0xF6, 1, 0), (0xF7, 1, 0))
except UnicodeError:
    UTF8_LEADS = ()  # CPython checks it all


def decode_utf8(data):
    """The text in `data`, or None if it is not valid UTF-8."""
    try:
        text = str(data, 'utf-8')
    except UnicodeError:
        return None
    for lead, low, high in UTF8_LEADS:
        pos = data.find(bytes((lead,)))
        while pos >= 0:
            if not low <= data[pos + 1] <= high:
                return None
            pos = data.find(bytes((lead,)), pos + 1)
    return text


def unmask(data, mask):
    """XORs `data` (a bytearray) with the 4-byte `mask`, in place. Slices of
    256 bytes are XORed as integers: several times faster on MicroPython than
    a loop over bytes, and the memory used stays small."""
    key = int.from_bytes(mask * 64, 'big')
    start = 0
    while start < len(data):
        size = min(256, len(data) - start)
        value = int.from_bytes(data[start:start + size], 'big') ^ \
            (key >> (8 * (256 - size)))
        data[start:start + size] = value.to_bytes(size, 'big')
        start += size


def valid_close_code(code):
    # 1004-1006 and 1015 are reserved for reports, never sent in a frame
    return 1000 <= code <= 1014 and code not in (1004, 1005, 1006) or \
        3000 <= code <= 4999


class WebSocketError(Exception):
    """The connection is closed: by the client, or for a protocol error."""


class WebSocket:
    """One WebSocket connection; route handlers get it from with_websocket()
    or websocket_upgrade()."""

    CONT = 0
    TEXT = 1
    BINARY = 2
    CLOSE = 8
    PING = 9
    PONG = 10

    # The largest message receive() accepts: -1 for Request.max_body_length,
    # 0 for no limit. A larger one closes the connection with status 1009.
    max_message_length = -1
    close_timeout = 2  # seconds to wait for the client's side of a close

    def __init__(self, request):
        self.request = request
        self.conn = request.sock
        # a client that stops reading gets its connection closed by the
        # server's reaper after this long (ms), as for HTTP responses
        self.send_timeout = request.app.request_timeout * 1000
        self.closing = False  # a close frame was sent: no more messages out
        self.closed = False  # no more messages in

    async def handshake(self):
        """Checks the upgrade request and switches the connection over; bad
        requests get a 4xx answer instead (HTTPException)."""
        headers = self.request.headers
        if 'websocket' not in headers.get('Upgrade', '').lower() or \
                'upgrade' not in headers.get('Connection', '').lower():
            exc = HTTPException(426, 'Upgrade Required: this URL is for '
                                'WebSocket connections')
            exc.headers = {'Upgrade': 'websocket'}
            raise exc
        if self.request.method != 'GET':
            raise HTTPException(400, 'Bad Request: a WebSocket handshake '
                                'must use GET')
        if headers.get('Sec-WebSocket-Version') != '13':
            # the versions the server speaks go with the refusal (RFC 6455 4.4)
            exc = HTTPException(400, 'Bad Request: unsupported WebSocket '
                                'version')
            exc.headers = {'Sec-WebSocket-Version': '13'}
            raise exc
        key = headers.get('Sec-WebSocket-Key', '')
        try:
            valid = len(key) == 24 and len(binascii.a2b_base64(key)) == 16
        except ValueError:
            valid = False
        if not valid:
            raise HTTPException(400, 'Bad Request: missing or invalid '
                                'Sec-WebSocket-Key')
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
            raise WebSocketError('Websocket connection closed')
        limit = self.max_message_length
        if limit < 0:
            limit = Request.max_body_length
        message = None  # the fragments so far, when a message is split
        kind = None  # TEXT or BINARY, when a split message is coming in
        try:
            while True:
                fin, opcode, payload = await self._read_frame(
                    len(message) if message else 0, limit)
                if opcode == self.PING:
                    if not self.closing:
                        await self._write(self.PONG, payload)
                elif opcode == self.CLOSE:
                    await self._closed_by_client(payload)
                elif opcode == self.PONG:
                    pass
                elif (opcode == self.CONT) != (kind is not None):
                    await self._fail(1002, 'unexpected continuation frame'
                                     if kind is None else
                                     'continuation frame expected')
                elif fin and kind is None:
                    break  # a whole message in one frame, the usual case
                else:
                    kind = kind or opcode
                    if message is None:
                        message = payload
                    else:
                        message += payload
                    if fin:
                        opcode, payload = kind, message
                        break
        except (EOFError, OSError):
            self.closing = self.closed = True
            raise WebSocketError('Websocket connection closed')
        if opcode == self.BINARY:
            return bytes(payload)
        text = decode_utf8(payload)
        if text is None:
            await self._fail(1007, 'invalid UTF-8 in text message')
        return text

    async def send(self, data, opcode=None):
        """Sends a message: a str as text, bytes as binary, unless `opcode`
        says otherwise."""
        if self.closing:
            raise WebSocketError('Websocket connection closed')
        if isinstance(data, str):
            data = data.encode()
            opcode = opcode or self.TEXT
        try:
            await self._write(opcode or self.BINARY, data)
        except OSError:
            self.closing = self.closed = True
            raise WebSocketError('Websocket connection closed')

    async def close(self):
        """Closes the connection (status 1000) and waits a moment for the
        client to confirm, discarding messages it sends meanwhile."""
        if self.closing:
            return
        await self._close(1000)
        try:
            await asyncio.wait_for(self._discard_messages(),
                                   self.close_timeout)
        except (WebSocketError, asyncio.TimeoutError):
            pass  # the client confirmed, went away, or stayed silent
        self.closed = True

    async def _discard_messages(self):
        while True:
            await self.receive()

    async def _read(self, n):
        data = b''
        while len(data) < n:
            data += await self.conn.read(n - len(data))
        return data

    async def _read_frame(self, received, limit):
        """Reads one frame; returns FIN, the opcode and the unmasked payload
        (a bytearray). `received` counts the bytes of the message so far."""
        first, second = await self._read(2)
        opcode = first & 0x0F
        length = second & 0x7F
        if first & 0x70:
            await self._fail(1002, 'reserved bits set')
        if opcode not in (0, 1, 2, 8, 9, 10):
            await self._fail(1002, 'unknown opcode')
        if not second & 0x80:
            await self._fail(1002, 'client frames must be masked')
        if length == 126:
            length = struct.unpack('!H', await self._read(2))[0]
        elif length == 127:
            length = struct.unpack('!Q', await self._read(8))[0]
        if opcode >= 8:
            if length > 125 or not first & 0x80:
                await self._fail(1002, 'control frame too long or split')
        elif limit and received + length > limit:
            await self._fail(1009, 'message too large')
        mask = await self._read(4)
        payload = bytearray(length)  # filled as the bytes come, no copies
        size = 0
        while size < length:
            part = await self.conn.read(min(length - size, 1024))
            payload[size:size + len(part)] = part
            size += len(part)
        unmask(payload, mask)
        return first & 0x80, opcode, payload

    async def _write(self, opcode, data):
        length = len(data)
        if length < 126:
            head = struct.pack('!BB', 0x80 | opcode, length)
        elif length < 65536:
            head = struct.pack('!BBH', 0x80 | opcode, 126, length)
        else:
            head = struct.pack('!BBQ', 0x80 | opcode, 127, length)
        if length < 1024:
            await self.conn.send(head + data, self.send_timeout)
        else:
            # nothing awaited between the two writes: a pong sent by another
            # task can't land inside this frame; a large message isn't copied
            self.conn.writer.write(head)
            await self.conn.send(data, self.send_timeout)

    async def _close(self, code, reason=''):
        """Sends a close frame, once."""
        if self.closing:
            return
        self.closing = True
        try:
            await self._write(self.CLOSE,
                              struct.pack('!H', code) + reason.encode())
        except OSError:
            pass  # the client has gone already

    async def _closed_by_client(self, payload):
        code = 1000  # an empty close frame gets a normal one back
        if payload:
            if len(payload) < 2:
                await self._fail(1002, 'invalid close frame')
            code = struct.unpack('!H', payload[:2])[0]
            if not valid_close_code(code):
                await self._fail(1002, 'invalid close code')
            if decode_utf8(payload[2:]) is None:
                await self._fail(1007, 'invalid UTF-8 in close reason')
        await self._close(code)  # echoed, as RFC 6455 5.5.1 suggests
        self.closed = True
        raise WebSocketError('Websocket connection closed')

    async def _fail(self, code, reason):
        """Closes the connection for a protocol error, and raises."""
        self.closed = True
        await self._close(code, reason)

        async def discard():
            while True:
                await self.conn.read(1024)

        # Input left unread when the connection closes makes TCP send a reset,
        # which may destroy the close frame before the client reads it.
        try:
            await asyncio.wait_for(discard(), self.close_timeout)
        except (EOFError, OSError, asyncio.TimeoutError):
            pass
        raise WebSocketError(reason)


def closed_websocket(request, exc):
    return Response.already_handled


async def websocket_upgrade(request):
    """Switches the request's connection to WebSocket and returns the
    WebSocket; for routes that check something first. The route ends when
    receive() or send() raises WebSocketError."""
    ws = WebSocket(request)
    await ws.handshake()
    # after the handshake no HTTP response may follow, not even a 500 for
    # the WebSocketError that ends the route
    request.app.error_handlers.setdefault(WebSocketError, closed_websocket)
    return ws


def with_websocket(f):
    """Decorator for a route `async def handler(request, ws)` that talks
    WebSocket. The connection is closed when the handler returns."""
    async def handler(request, *args, **kwargs):
        ws = await websocket_upgrade(request)
        try:
            await f(request, ws, *args, **kwargs)
        except WebSocketError:
            pass  # the connection is closed
        except Exception as exc:
            print_exception(exc)
            await ws._close(1011)  # internal error
        await ws.close()
        return Response.already_handled
    return handler
