"""The HTTP/1.1 server: connections, keep-alive, timeouts and the socket cap."""
import asyncio
import sys

from microdot.request import Request, HTTPException
from microdot.response import Response

try:
    from time import ticks_ms, ticks_diff
except ImportError:  # CPython
    from time import monotonic

    def ticks_ms():
        return int(monotonic() * 1000)

    def ticks_diff(a, b):
        return a - b


def print_exception(exc):
    if hasattr(sys, 'print_exception'):
        sys.print_exception(exc)
    else:
        import traceback
        traceback.print_exception(type(exc), exc, exc.__traceback__)


class Connection:
    """One client connection: buffered reads (a request head usually arrives
    in one read, and bytes past a request are kept for the next one, which
    is how pipelining works), writes, and the time the reaper checks."""

    read_size = 1024
    # defaults shared by all connections: each stores only what changes
    scheme = 'http'
    buf = b''
    pos = 0
    timeout = None  # ms allowed since `since`, None while the app works
    # no request in progress (waiting for one, or for the rest of its head),
    # so it may be closed to make room or at shutdown
    idle = True
    task = None

    def __init__(self, reader, writer, scheme='http'):
        self.reader = reader
        self.writer = writer
        if scheme != 'http':
            self.scheme = scheme
        self.since = ticks_ms()

    async def fill(self):
        self.received(await self.reader.read(self.read_size))

    def received(self, data):
        """Appends what a read returned to the buffer; EOFError if the client
        has closed the connection."""
        if not data:
            raise EOFError
        self.since = ticks_ms()
        if self.pos < len(self.buf):
            data = self.buf[self.pos:] + data
        self.buf = data
        self.pos = 0

    def take(self, separator, limit, status, reason):
        """Returns the buffered bytes before `separator` and consumes both,
        or None if `separator` has not arrived yet; raises
        HTTPException(status, reason) if more than `limit` bytes come first."""
        end = self.buf.find(separator, self.pos)
        if (end if end >= 0 else len(self.buf)) - self.pos > limit:
            raise HTTPException(status, reason)
        if end < 0:
            return None
        data = self.buf[self.pos:end]
        self.pos = end + len(separator)
        return data

    async def read_until(self, separator, limit, status, reason):
        """take(), waiting for more input until `separator` arrives."""
        while True:
            data = self.take(separator, limit, status, reason)
            if data is not None:
                return data
            await self.fill()

    async def read(self, n):
        """Returns between 1 and `n` bytes; EOFError if the client is gone."""
        if self.pos >= len(self.buf):
            self.buf = b''
            self.pos = 0
            data = await self.reader.read(n)  # large bodies skip the buffer
            if not data:
                raise EOFError
            self.since = ticks_ms()
            return data
        data = self.buf[self.pos:self.pos + n]
        self.pos += len(data)
        return data

    async def send(self, data, timeout=None):
        self.writer.write(data)
        self.since = ticks_ms()
        self.timeout = timeout
        await self.writer.drain()
        self.timeout = None


def keep_alive(req):
    connection = req.headers.get('connection', '').lower()
    if req.http_version == '1.0':
        return 'keep-alive' in connection
    return 'close' not in connection


class Server:
    """Accepts connections for an app and answers their requests in order.

    At most `app.max_connections` are served at once (an ESP32 has about ten
    sockets): a new client takes the place of one idle between requests, or
    gets 503. Connections idle for `app.keep_alive_timeout` seconds, or stalled
    for `app.request_timeout` seconds while sending a request or receiving a
    response, are closed by one reaper task."""

    def __init__(self, app, ssl=None):
        self.app = app
        self.scheme = 'https' if ssl else 'http'
        self.ssl = ssl
        self.connections = []
        self.server = None
        self.closing = False
        self.closed_at = 0  # ticks_ms() when close() was called

    async def serve(self, host, port):
        self.server = await asyncio.start_server(self.handle, host, port,
                                                 ssl=self.ssl)
        reaper = asyncio.create_task(self.reap())
        try:
            await self.server.wait_closed()
            while self.connections:  # let the requests in progress finish
                await asyncio.sleep(0.05)
        finally:
            reaper.cancel()

    def close(self):
        """Stops accepting; idle connections are closed now, busy ones when
        their response is sent or, at the latest, `app.request_timeout`
        seconds later (a WebSocket or an event stream never ends by itself)."""
        self.closing = True
        self.closed_at = ticks_ms()
        if self.server:
            self.server.close()
        for conn in self.connections:
            if conn.idle:
                conn.task.cancel()

    async def reap(self):
        while True:
            await asyncio.sleep(1)
            now = ticks_ms()
            late = self.closing and ticks_diff(now, self.closed_at) > \
                self.app.request_timeout * 1000
            for conn in self.connections:
                if late or conn.timeout is not None and \
                        ticks_diff(now, conn.since) > conn.timeout:
                    conn.task.cancel()

    def make_room(self):
        if len(self.connections) < self.app.max_connections:
            return True
        idle = [c for c in self.connections if c.idle]
        if not idle:
            return False
        oldest = idle[0]
        for conn in idle:
            if ticks_diff(conn.since, oldest.since) < 0:
                oldest = conn
        self.connections.remove(oldest)
        oldest.task.cancel()
        return True

    async def handle(self, reader, writer):
        conn = Connection(reader, writer, self.scheme)
        conn.task = asyncio.current_task()
        try:
            if self.closing or not self.make_room():
                await Response('Service Unavailable: too many connections',
                               503, {'Retry-After': '5'}).write(conn)
                await linger(conn)
                return
            self.connections.append(conn)
            await serve_connection(self.app, conn, self)
        except asyncio.CancelledError:
            pass  # closed by the reaper, to make room, or by shutdown()
        except OSError:
            pass  # the client went away
        except Exception as exc:
            print_exception(exc)
        finally:
            if conn in self.connections:
                self.connections.remove(conn)
            await close(writer)


async def linger(conn):
    """Reads what the client still sends, for a second at most, before the
    connection is closed: closing with unread input makes TCP send a reset,
    and the client may lose the response it was sent."""
    async def discard():
        while True:
            await conn.read(1024)
    try:
        await asyncio.wait_for(discard(), 1)
    except Exception:
        pass  # EOFError: the client closed; TimeoutError: it did not


async def close(writer):
    try:
        writer.close()
        await writer.wait_closed()
    except Exception:
        pass  # the client may have reset the connection already


async def serve_connection(app, conn, server=None):
    """Answers the requests on one connection, in order, until either side
    closes it."""
    client_addr = conn.writer.get_extra_info('peername')
    app_timeout_ms = app.request_timeout * 1000
    idle_timeout_ms = app.keep_alive_timeout * 1000
    while True:
        conn.idle = True
        conn.timeout = idle_timeout_ms
        try:
            if conn.pos >= len(conn.buf):
                # conn.fill() without its coroutine
                conn.received(await conn.reader.read(conn.read_size))
            else:
                conn.since = ticks_ms()  # a pipelined request, already here
            conn.timeout = app_timeout_ms  # the whole head must come in time
            # a head that came in one read is parsed without a coroutine
            req = Request.parse(app, conn, client_addr)
            if req is None or req.has_body:
                req = await Request.create(app, conn, client_addr, req)
        except EOFError:
            return
        except HTTPException as exc:
            conn.idle = False
            # the stream can't be trusted past a bad request: answer and close
            await Response(exc.reason, exc.status_code).write(conn)
            await linger(conn)
            return
        finally:
            conn.timeout = None
        conn.idle = False  # a request in progress: shutdown() lets it finish
        if conn.scheme != 'http':
            req.scheme = conn.scheme
        if app.debug:
            print(req.method, req.url)
        res = await app.dispatch_request(req)
        body = req._stream
        unread = body is not None and not (body.done and not body.pending)
        keep = keep_alive(req) and not unread and \
            not (server and server.closing)
        if res is Response.already_handled:
            keep = False  # the handler took the connection over
        else:
            # write()'s two steps, without a coroutine of write() itself
            head, stream, keep = res.render(req, keep)
            if stream is None:
                await conn.send(head, app_timeout_ms)
            else:
                keep = await res.send_stream(conn, req, head, stream, keep,
                                             app_timeout_ms)
        if not keep:
            if unread or conn.pos < len(conn.buf):
                await linger(conn)
            return
