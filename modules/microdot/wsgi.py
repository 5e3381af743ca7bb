"""Serving an app with a WSGI server such as Gunicorn (CPython only):

    from microdot.wsgi import Microdot
    app = Microdot()  # the WSGI application: gunicorn module:app

Requests and responses go through the same hooks and handlers as with
Microdot's own server; each request runs on an event loop of its own, so
async handlers work too. The server's environ is `request.environ`."""
import asyncio
import os
import signal
from urllib.parse import quote

from microdot import Microdot as BaseMicrodot, Request, Response, \
    HTTPException, NoCaseDict, abort, redirect, send_file, reason, \
    URLPattern, MultiDict  # noqa: F401 (microdot.wsgi has the core's API)
from microdot.errors import handle_error
from microdot.streaming import invoke
from microdot.asgi import Stream, read_request, response_parts, \
    check_conditions, PATH_SAFE


class Input(Stream):
    """A request body read from wsgi.input: `left` bytes, or all there is if
    `left` is -1 (the server says so for a body of unknown length)."""

    read_size = 4096

    def __init__(self, source, left, limit):
        super().__init__(None, limit)
        self.source = source
        self.left = left
        self.done = left == 0

    async def receive_piece(self):
        if self.left < 0:
            data = self.source.read(self.read_size)
            self.done = not data
        else:
            data = self.source.read(min(self.read_size, self.left))
            if not data:
                raise HTTPException(400, 'Bad Request: body shorter than '
                                    'Content-Length')
            self.left -= len(data)
            self.done = self.left == 0
        self.add_piece(data)


class Output:
    """A streamed response body as WSGI wants it, an iterator of bytes. Each
    piece is awaited on the request's event loop, which is closed with the
    iterator: the server calls close() when the body is sent or the client
    has gone."""

    def __init__(self, loop, stream, left, size):
        self.loop = loop
        self.stream = stream
        self.left = left  # bytes still to send, -1 for all there is
        self.size = size
        self.read = getattr(stream, 'read', None)
        if self.read:
            self.pieces = None
        elif hasattr(stream, '__aiter__'):
            self.pieces = stream.__aiter__()
        else:
            self.pieces = iter(stream)

    def __iter__(self):
        return self

    def __next__(self):
        while self.left:
            piece = self.loop.run_until_complete(self.next_piece())
            if piece is None:
                break
            if isinstance(piece, str):
                piece = piece.encode()
            if piece:  # an empty piece would mean the end to the server
                if self.left > 0:
                    piece = piece[:self.left]
                    self.left -= len(piece)
                return piece
        raise StopIteration

    async def next_piece(self):
        """The next piece of the stream, None at its end."""
        if self.read:
            size = self.size if self.left < 0 else min(self.size, self.left)
            return await invoke(self.read, size) or None
        if hasattr(self.pieces, '__anext__'):
            try:
                return await self.pieces.__anext__()
            except StopAsyncIteration:
                return None
        return next(self.pieces, None)

    def close(self):
        close = getattr(self.stream, 'aclose', None) or \
            getattr(self.stream, 'close', None)
        try:
            if close:
                self.loop.run_until_complete(invoke(close))
        finally:
            self.loop.close()


class Microdot(BaseMicrodot):
    """An app that is also a WSGI application."""

    def __call__(self, environ, start_response):
        """The WSGI application: each request runs on an event loop of
        its own."""
        loop = asyncio.new_event_loop()
        try:
            res = loop.run_until_complete(self.wsgi_response(environ))
            headers, body = response_parts(res)
            status = res.status_code
            start_response('{} {}'.format(
                status, res.reason or reason(status)), headers)
            head_only = environ['REQUEST_METHOD'] == 'HEAD'
            if isinstance(body, bytes):
                return [] if head_only or not body else [body]
            length = res.header_name('content-length')
            if head_only:
                length = 0
            elif length:
                length = int(res.headers[length])
            else:
                length = -1
            output = Output(loop, body, length, res.send_file_buffer_size)
            loop = None  # output.close() closes it
            return output
        finally:
            if loop:
                loop.close()

    def shutdown(self):
        """Stops the server process as SIGTERM does (Gunicorn then starts
        another worker in its place)."""
        os.kill(os.getpid(), signal.SIGTERM)

    async def wsgi_response(self, environ):
        """The Response to the request in `environ`."""
        try:
            req = await self.wsgi_request(environ)
        except HTTPException as exc:
            return await handle_error(self, None, exc, (self,))
        res = await self.dispatch_request(req)
        check_conditions(res, req)
        return res

    async def wsgi_request(self, environ):
        """The Request in `environ`, its body read from wsgi.input."""
        headers = NoCaseDict()
        try:
            for key, value in environ.items():
                if key.startswith('HTTP_'):
                    key = key[5:]
                elif key not in ('CONTENT_TYPE', 'CONTENT_LENGTH') or \
                        not value:
                    continue
                # WSGI hands over the bytes of the request as latin-1 text
                headers[key.replace('_', '-')] = \
                    value.encode('latin-1').decode()
            # routes see the whole path, the app's own mount point included,
            # as in Microdot
            path = (environ.get('SCRIPT_NAME', '') +
                    environ.get('PATH_INFO', '')).encode('latin-1')
            query = environ.get('QUERY_STRING', '').encode('latin-1').decode()
        except UnicodeError:
            raise HTTPException(400, 'Bad Request: request head is not UTF-8')
        url = quote(path, PATH_SAFE) or '/'
        if query:
            url += '?' + query
        length = headers.get('content-length', '')
        if length.isdigit():
            left = int(length)
        else:
            left = -1 if environ.get('wsgi.input_terminated') else 0
        stream = Input(environ['wsgi.input'], left, Request.max_content_length)
        client = environ.get('REMOTE_ADDR')
        if client:
            port = environ.get('REMOTE_PORT')
            client = (client, int(port) if port else None)
        version = environ.get('SERVER_PROTOCOL', 'HTTP/1.1')  # as Microdot
        req = await read_request(self, stream, client,
                                 environ['REQUEST_METHOD'], url, version,
                                 headers)
        req.scheme = environ.get('wsgi.url_scheme', 'http')
        req.environ = environ
        return req
