"""Request bodies: read from the connection as the handler asks for them,
and decoded as JSON or a form. Loaded by the first request that has a body,
so apps that only answer GETs never load it."""
import asyncio
import json

from microdot import BUSY, HTTPException, Microdot, Request


async def open_body(req, conn):
    """Checks the body's framing headers and reads it into `req.body` if it
    is at most `max_body_length` bytes; a larger one is left in
    `req.stream`. The server calls this for requests whose head announced a
    body (`has_body`)."""
    length = req.headers.get('content-length')
    chunked = req.headers.get('transfer-encoding')
    if chunked is not None:
        if chunked.lower() != 'chunked':
            raise HTTPException(501, 'Not Implemented: transfer coding ' +
                                chunked)
        if length is not None:
            raise HTTPException(400, 'Bad Request: both Content-Length '
                                'and Transfer-Encoding')
    elif not 0 < len(length) <= 15 or length.strip('0123456789'):
        # ASCII digits only: str.isdigit() and int() take others too
        raise HTTPException(400, 'Bad Request: invalid Content-Length')
    else:
        length = int(length)
        if length > req.max_content_length:
            raise HTTPException(413)
    expect = req.headers.get('expect', '').lower() == '100-continue'
    # Request.create() may be given an app that is not a Microdot
    timeout = getattr(req.app, 'request_timeout', Microdot.request_timeout)
    if chunked is None:
        stream = Body(conn, length, expect, timeout)
        if length > req.max_body_length:
            req._stream = stream  # the handler reads it from `stream`
            return
    else:
        from microdot.chunked import ChunkedBody  # rare in requests
        stream = ChunkedBody(conn, req.max_content_length, expect, timeout)
    # pieces joined once: adding each to the last would copy the body over
    # and over, and leave a heap full of holes
    pieces = []
    size = 0
    while not stream.done and size <= req.max_body_length:
        piece = await stream.read(req.max_body_length + 1 - size)
        pieces.append(piece)
        size += len(piece)
    body = b''.join(pieces)
    if stream.done:
        req.body = body
    else:
        stream.unread(body)
        req._stream = stream


def text_of(req, mime):
    """The body as text if its Content-Type is `mime`, else None."""
    content_type = req.content_type
    if content_type is None or \
            content_type.split(';')[0].strip().lower() != mime:
        return None
    try:
        return req.body.decode()
    except UnicodeError:
        raise HTTPException(400, 'Bad Request: body is not UTF-8')


def json_of(req):
    text = text_of(req, 'application/json')
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        raise HTTPException(400, 'Bad Request: invalid JSON body')


def form_of(req):
    text = text_of(req, 'application/x-www-form-urlencoded')
    if text is None:
        return None
    from microdot.urlencoded import parse_urlencoded
    return parse_urlencoded(text)


class Body:
    """A request body of known length, read from the connection as the
    handler asks for it. Sends "100 Continue" first when the client is
    waiting for it. A handler's read that gets nothing for `timeout`
    seconds raises HTTPException(408). microdot/chunked.py decodes bodies
    of unknown length."""

    def __init__(self, conn, length, expect=False, timeout=None):
        self.conn = conn
        self.left = length  # bytes not read yet from the connection
        self.expect = expect
        self.timeout = timeout
        self.done = length == 0
        self.pending = b''

    def unread(self, data):
        self.pending = data + self.pending

    async def read(self, n=-1):
        """Reads up to `n` bytes (all that is left if `n` is negative); b''
        at the end of the body."""
        if n < 0:
            parts = []
            while True:
                data = await self.read(1024)
                if not data:
                    return b''.join(parts)
                parts.append(data)
        if self.pending:
            data = self.pending[:n]
            self.pending = self.pending[n:]
            return data
        if self.done:
            return b''
        if self.conn.state != BUSY:
            # the server reads it before dispatch, and its reaper watches
            return await self.receive(n)
        try:
            return await asyncio.wait_for(self.receive(n), self.timeout)
        except asyncio.TimeoutError:
            raise HTTPException(408, 'Request Timeout: the body stopped '
                                'arriving')

    async def receive(self, n):
        if self.expect:
            self.expect = False
            await self.conn.send(b'HTTP/1.1 100 Continue\r\n\r\n')
        if self.left == 0:
            await self.next_chunk()
            if self.done:
                return b''
        data = await self.conn.read(min(n, self.left))
        self.left -= len(data)
        if self.left == 0:
            await self.end_chunk()
        return data

    async def next_chunk(self):
        pass  # a body of known length is one chunk

    async def end_chunk(self):
        self.done = True

    async def readexactly(self, n):
        data = b''
        while len(data) < n:
            part = await self.read(n - len(data))
            if not part:
                raise EOFError('request body ended early')
            data += part
        return data

    async def readline(self):
        """Reads up to and including b'\\n' (multipart bodies need this)."""
        line = b''
        while not line.endswith(b'\n'):
            part = await self.read(Request.max_readline)
            if not part:
                break
            end = part.find(b'\n') + 1
            if end:
                self.unread(part[end:])
                part = part[:end]
            line += part
        return line
