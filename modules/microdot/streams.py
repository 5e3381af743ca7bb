"""Microdot's stream-level API, for code that reads a request from, or
writes a response to, an asyncio stream of its own rather than a
connection of the server: Request.create(), Response.write(stream) and
Response.complete()."""
from microdot import Connection, HTTPException


class StreamConnection:
    """A stream that a response can be written to: anything with awrite()
    (MicroPython's streams, Microdot's test doubles) or write() and
    drain() (CPython's StreamWriter)."""

    def __init__(self, stream):
        self.stream = stream

    async def send(self, data, timeout=None):
        if hasattr(self.stream, 'awrite'):
            await self.stream.awrite(data)
        else:
            self.stream.write(data)
            await self.stream.drain()


class UnknownRequest:
    """The request a response written to a stream is for, when it is not
    given: one in HTTP/1.0, the version every client reads, as Microdot
    answers."""
    http_version = '1.0'
    method = 'GET'
    headers = {}


UNKNOWN_REQUEST = UnknownRequest()


async def create_request(cls, app, reader, writer, client_addr):
    """Request.create(): the head is read line by line, as Microdot reads
    it, so that lines may end in a bare LF; then it is parsed as the
    server parses it."""
    lines = []
    while True:
        line = await reader.readline()
        if len(line) > cls.max_readline:
            raise ValueError('line too long')
        line = line.rstrip(b'\r\n')
        if not line:
            break
        lines.append(line)
    if not lines:
        raise HTTPException(400)
    conn = Connection(reader, writer)
    conn.buf = b'\r\n'.join(lines) + b'\r\n\r\n'
    req = cls.parse(app, conn, client_addr)
    if req.has_body:
        from microdot.body import open_body
        await open_body(req, conn)
    return req


def complete(res):
    """Response.complete(): adds the Content-Type and Content-Length that
    render() would send, where the headers have none."""
    status = res.status_code
    if status != 204 and status != 304 and \
            not res.header_name('content-type'):
        res.headers['Content-Type'] = res.content_type()
    if isinstance(res.body, (bytes, bytearray)) and not (
            status < 200 or status == 204 or status == 304) and \
            not res.header_name('content-length'):
        res.headers['Content-Length'] = str(len(res.body))
