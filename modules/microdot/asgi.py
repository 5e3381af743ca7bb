"""Serving an app with an ASGI server such as Uvicorn (CPython only):

    from microdot.asgi import Microdot
    app = Microdot()  # the ASGI application: uvicorn module:app

Requests and responses go through the same hooks and handlers as with
Microdot's own server; the server's scope is `request.asgi_scope`. WebSocket
routes (with_websocket) work too: the server speaks the protocol, and the
route's `ws` the same interface."""
import asyncio
import os
import signal
from urllib.parse import quote

from microdot import Microdot as BaseMicrodot, Request, Response, \
    HTTPException, NoCaseDict, call, abort, redirect, send_file, \
    URLPattern, MultiDict  # noqa: F401 (microdot.asgi has the core's API)
from microdot.websocket import WebSocket, WebSocketError, with_websocket, \
    websocket_upgrade  # noqa: F401
from microdot.body import Body
from microdot.errors import handle_error
from microdot.streaming import send_stream

# characters a URL path may hold unescaped (RFC 3986 pchar and "/")
PATH_SAFE = "/:@!$&'()*+,;="


class Stream(Body):
    """A request body that the server hands over in pieces, taken one at a
    time by receive_piece(); more than `limit` bytes in all is refused with
    413. readline() and readexactly() come from Body."""

    def __init__(self, receive, limit):
        self.receive = receive
        self.limit = limit
        self.pending = b''
        self.done = False

    async def receive_piece(self):
        message = await self.receive()
        if not message:  # a receive() with nothing to give (test doubles)
            self.done = True
            return
        if message['type'] == 'http.disconnect':
            raise EOFError('the client has gone')
        self.add_piece(message.get('body', b''))
        self.done = not message.get('more_body')

    def add_piece(self, data):
        self.limit -= len(data)
        if self.limit < 0:
            raise HTTPException(413)
        self.pending += data

    async def read(self, n=-1):
        """Reads up to `n` bytes (all that is left if `n` is negative); b''
        at the end of the body."""
        while not self.done and (n < 0 or not self.pending):
            await self.receive_piece()
        if n < 0:
            n = len(self.pending)
        data = self.pending[:n]
        self.pending = self.pending[n:]
        return data


async def read_request(app, stream, client_addr, method, url, http_version,
                       headers):
    """A Request as Microdot's server makes it: the body is in `body` if it
    is small, else left in `stream` for the handler."""
    length = headers.get('content-length')
    if length is not None:
        if not length.isdigit():
            raise HTTPException(400, 'Bad Request: invalid Content-Length')
        if int(length) > Request.max_content_length:
            raise HTTPException(413)
    size = Request.max_body_length + 1
    body = b''
    while len(body) < size:
        data = await stream.read(size - len(body))
        if not data:
            return Request(app, client_addr, method, url, http_version,
                           headers, body=body)
        body += data
    stream.unread(body)
    return Request(app, client_addr, method, url, http_version, headers,
                   stream=stream)


def check_conditions(res, req):
    """What render() does before a response goes out on the framework's own
    server: a file answers 304 or 206 as the request's headers ask."""
    check = getattr(res, 'check_conditions', None)
    if check is not None:
        check(req)


def response_parts(res):
    """The header list, as (name, str value) pairs, and the body of `res`,
    prepared as Microdot's server prepares them: a str body is encoded, a
    status that has no body loses it, a body in memory gets Content-Length.
    The body is then bytes, or else a stream."""
    res.complete()
    headers = []
    for name, values in res.headers.items():
        for value in values if isinstance(values, list) else (values,):
            headers.append((name, str(value)))
    status = res.status_code
    body = res.body
    if isinstance(body, str):
        body = body.encode()
    if status < 200 or status == 204 or status == 304:
        body = b''
    elif isinstance(body, (bytes, bytearray, memoryview)):
        body = bytes(body)
    return headers, body


class Writer:
    """Where send_stream() writes a streamed body: each piece goes to the
    server in an http.response.body message. A server may drop the messages
    for a client that has gone (Uvicorn does), so a task watches for
    http.disconnect when the request body has all been received; after it,
    a write raises OSError as a socket would, which ends the stream."""

    def __init__(self, send, receive=None):
        self.send_message = send
        self.gone = False
        self.watcher = None
        if receive:
            self.watcher = asyncio.ensure_future(self.watch(receive))

    async def watch(self, receive):
        while (await receive())['type'] != 'http.disconnect':
            pass
        self.gone = True

    async def send(self, data, timeout=None):
        if self.gone:
            raise OSError('the client has gone')
        if data:
            await self.send_message({'type': 'http.response.body',
                                     'body': data, 'more_body': True})

    def close(self):
        if self.watcher:
            self.watcher.cancel()


class ASGIWebSocket(WebSocket):
    """WebSocket's interface over the ASGI server's messages: the server
    speaks the protocol (frames, pings, close codes)."""

    def __init__(self, request):
        super().__init__(request)
        self.receive_message = request.asgi_receive
        self.send_message = request.asgi_send

    async def handshake(self):
        message = await self.receive_message()
        if message['type'] != 'websocket.connect':
            raise WebSocketError(1006)
        await self.send_message({'type': 'websocket.accept'})

    async def receive(self):
        if self.closed:
            raise WebSocketError(self.closed)
        message = await self.receive_message()
        if message['type'] == 'websocket.disconnect':
            self.closed = message.get('code', 1005)
            raise WebSocketError(self.closed)
        text = message.get('text')
        return message.get('bytes') if text is None else text

    async def send(self, data, opcode=None):
        if self.closed:
            raise WebSocketError(self.closed)
        if opcode == self.TEXT and isinstance(data, bytes):
            data = data.decode()
        elif opcode == self.BINARY and isinstance(data, str):
            data = data.encode()
        key = 'text' if isinstance(data, str) else 'bytes'
        await self.send_message({'type': 'websocket.send', key: data})

    async def close(self, code=1000):
        if not self.closed:
            self.closed = code
            await self.send_message({'type': 'websocket.close', 'code': code})


class Microdot(BaseMicrodot):
    """An app that is also an ASGI application. `lifespan_startup` and
    `lifespan_shutdown`, if given, are called with the scope when the server
    starts and stops."""

    def __init__(self, lifespan_startup=None, lifespan_shutdown=None):
        super().__init__()
        self.lifespan_startup = lifespan_startup
        self.lifespan_shutdown = lifespan_shutdown

    def shutdown(self):
        """Stops the server as SIGTERM does."""
        os.kill(os.getpid(), signal.SIGTERM)

    async def __call__(self, scope, receive, send):
        """The ASGI application: HTTP, WebSocket and lifespan scopes."""
        if scope['type'] == 'http':
            await self.asgi_http(scope, receive, send)
        elif scope['type'] == 'websocket':
            await self.asgi_websocket(scope, receive, send)
        elif scope['type'] == 'lifespan':
            await self.asgi_lifespan(scope, receive, send)
        else:
            # the ASGI spec asks apps to refuse with an exception the
            # protocols they do not speak
            raise NotImplementedError('ASGI scope type ' + scope['type'])

    async def asgi_lifespan(self, scope, receive, send):
        """Answers the server's lifespan messages, calling
        `lifespan_startup` and `lifespan_shutdown` with the scope."""
        while True:
            event = (await receive())['type']
            if event == 'lifespan.startup':
                handler = self.lifespan_startup
            else:
                handler = self.lifespan_shutdown
            try:
                if handler:
                    await call(handler, scope)
                await send({'type': event + '.complete'})
            except Exception as exc:
                await send({'type': event + '.failed', 'message': repr(exc)})
            if event == 'lifespan.shutdown':
                return

    async def asgi_http(self, scope, receive, send):
        """Answers an HTTP scope: the request is dispatched as on the
        framework's own server, the response sent in ASGI messages."""
        stream = Stream(receive, Request.max_content_length)
        try:
            req = await self.asgi_request(scope, stream)
        except HTTPException as exc:
            res = await handle_error(self, None, exc, (self,))
        except EOFError:
            return  # the client went away while sending the body
        else:
            res = await self.dispatch_request(req)
            check_conditions(res, req)
        headers, body = response_parts(res)
        await send({'type': 'http.response.start', 'status': res.status_code,
                    'headers': [(name.lower().encode(), value.encode())
                                for name, value in headers]})
        head_only = scope['method'] == 'HEAD'
        if isinstance(body, bytes):
            await send({'type': 'http.response.body',
                        'body': b'' if head_only else body})
            return
        length = res.header_name('content-length')
        if head_only:
            length = 0
        elif length:
            length = int(res.headers[length])
        writer = Writer(send, receive if stream.done else None)
        try:
            await send_stream(writer, b'', body, length, False,
                              res.send_file_buffer_size, None)
        except OSError:
            return  # the client has gone
        finally:
            writer.close()
        await send({'type': 'http.response.body', 'body': b''})

    async def asgi_request(self, scope, stream):
        """The Request of an HTTP scope, its body read from `stream`."""
        url, headers = self.asgi_head(scope)
        client = scope.get('client')
        req = await read_request(self, stream, client and tuple(client),
                                 scope['method'], url,
                                 'HTTP/' + scope.get('http_version', '1.1'),
                                 headers)  # the version as Microdot has it
        req.scheme = scope.get('scheme', 'http')
        req.asgi_scope = scope
        return req

    async def asgi_websocket(self, scope, receive, send):
        """A WebSocket scope goes to its route like a GET; a route that
        refuses it (no with_websocket, 401, 404) has the server refuse the
        handshake."""
        try:
            url, headers = self.asgi_head(scope)
        except HTTPException:
            await send({'type': 'websocket.close', 'code': 1008})
            return
        client = scope.get('client')
        req = Request(self, client and tuple(client), 'GET', url,
                      'HTTP/' + scope.get('http_version', '1.1'), headers)
        req.scheme = 'https' if scope.get('scheme') == 'wss' else 'http'
        req.asgi_scope = scope
        req.websocket_class = ASGIWebSocket
        req.asgi_receive, req.asgi_send = receive, send
        res = await self.dispatch_request(req)
        if res is not Response.already_handled:
            await send({'type': 'websocket.close', 'code': 1008})

    def asgi_head(self, scope):
        """The URL and the headers of a scope."""
        headers = NoCaseDict()
        try:
            for name, value in scope.get('headers', ()):
                name = name.decode()
                value = value.decode()
                if name in headers:
                    # repeated fields are joined, as HTTP allows; HTTP/2
                    # servers hand over the cookies in fields of their own
                    value = headers[name] + \
                        ('; ' if name.lower() == 'cookie' else ', ') + value
                headers[name] = value
            path = scope.get('raw_path')
            url = path.decode() if path else quote(scope['path'], PATH_SAFE)
            query = scope.get('query_string', b'').decode()
        except UnicodeError:
            raise HTTPException(400, 'Bad Request: request head is not UTF-8')
        if query:
            url += '?' + query
        return url, headers
