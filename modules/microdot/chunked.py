"""Request bodies sent with chunked transfer coding (curl sends them for
uploads from a pipe). Imported by Request for the first such body."""
from microdot.request import Body, HTTPException


class ChunkedBody(Body):
    """Decodes the chunks as they are read, refusing more than `limit` bytes
    of data in all; trailer fields are read and dropped."""

    def __init__(self, conn, limit, expect=False):
        super().__init__(conn, 0, expect)
        self.done = False
        self.limit = limit

    async def next_chunk(self):
        line = await self.conn.read_until(b'\r\n', 256, 400,
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
            raise HTTPException(413, 'Payload Too Large')
        if size == 0:
            while await self.conn.read_until(b'\r\n', 1024, 431,
                                             'Request trailers too large'):
                pass
            self.done = True
        self.left = size

    async def end_chunk(self):
        if await self.conn.read_until(b'\r\n', 2, 400, 'Bad Request: chunk '
                                      'longer than its size'):
            raise HTTPException(400, 'Bad Request: chunk longer than its size')
