"""Request bodies sent with chunked transfer coding (curl sends them for
uploads from a pipe). Imported by microdot.body for the first such body."""
from microdot import HTTPException
from microdot.body import Body


async def read_line(conn, limit, status, reason):
    """The next line from `conn`, without its CRLF, waiting for it to
    arrive; HTTPException(status, reason) if it is longer than `limit`."""
    while True:
        line = conn.take(b'\r\n', limit, status, reason)
        if line is not None:
            return line
        conn.received(await conn.reader.read(conn.read_size))


class ChunkedBody(Body):
    """Decodes the chunks as they are read, refusing more than `limit` bytes
    of data in all; trailer fields are read and dropped."""

    def __init__(self, conn, limit, expect=False, timeout=None):
        super().__init__(conn, 0, expect, timeout)
        self.done = False
        self.limit = limit

    async def next_chunk(self):
        line = await read_line(self.conn, 256, 400,
                               'Bad Request: bad chunk size line')
        size = line.split(b';')[0].strip()
        try:
            if not size or size.strip(b'0123456789abcdefABCDEF'):
                raise ValueError
            size = int(size, 16)
        except ValueError:
            raise HTTPException(400, 'Bad Request: bad chunk size')
        self.limit -= size
        if self.limit < 0:
            raise HTTPException(413)
        if size == 0:
            while await read_line(self.conn, 1024, 431,
                                  'Request trailers too large'):
                pass
            self.done = True
        self.left = size

    async def end_chunk(self):
        if await read_line(self.conn, 2, 400,
                           'Bad Request: chunk longer than its size'):
            raise HTTPException(400, 'Bad Request: chunk longer than its size')
