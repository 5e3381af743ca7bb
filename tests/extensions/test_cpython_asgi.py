"""The ASGI application (CPython only): driven directly with hand-written
receive() and send(), then served by Uvicorn on a loopback port."""
import asyncio
import signal
import subprocess
import sys
import threading
from urllib.parse import unquote

import uvicorn

import adapter_app
from adapter_app import (Limits, Reply, ask, check_served,
                         leave_endless_stream, wait_for_port,
                         write_shutdown_app)
from microdot.asgi import Microdot
from support import free_port


def make_app(**kwargs):
    """The shared test app; its /echo also gives the ASGI scope's type."""
    return adapter_app.make_app(
        Microdot, lambda request: {'asgi': request.asgi_scope['type']},
        **kwargs)


class Exchange(Reply):
    """One request sent to the ASGI callable, and what it sent back."""

    def __init__(self, app, method, path, headers=(), body=(b'',),
                 disconnect=False, **scope):
        raw_path, _, query = path.partition('?')
        self.app = app
        self.scope = {
            'type': 'http', 'asgi': {'version': '3.0'}, 'http_version': '1.1',
            'method': method, 'scheme': 'http', 'path': unquote(raw_path),
            'raw_path': raw_path.encode(), 'query_string': query.encode(),
            'headers': [(k.lower().encode(), v.encode()) for k, v in headers],
            'client': ('10.1.2.3', 4567), 'server': ('127.0.0.1', 80),
        }
        self.scope.update(scope)
        self.incoming = [{'type': 'http.request', 'body': part,
                          'more_body': i < len(body) - 1}
                         for i, part in enumerate(body)]
        self.disconnect = disconnect  # the client goes once the body is read
        self.received = 0
        self.sent = []

    async def receive(self):
        if self.incoming:
            self.received += 1
            return self.incoming.pop(0)
        if not self.disconnect:
            await asyncio.Event().wait()  # the client waits for the response
        return {'type': 'http.disconnect'}

    async def send(self, message):
        self.sent.append(message)

    async def run(self):
        await self.app(self.scope, self.receive, self.send)
        start = self.sent[0]
        assert start['type'] == 'http.response.start'
        self.status = start['status']
        self.headers = {}
        for name, value in start['headers']:
            assert name == name.lower()
            self.headers.setdefault(name.decode(), []).append(value.decode())
        self.pieces = []
        for message in self.sent[1:]:
            assert message['type'] == 'http.response.body'
            self.pieces.append(message.get('body', b''))
        return self

    @property
    def body(self):
        return b''.join(self.pieces)


async def call(app, method, path, *args, **kwargs):
    return await Exchange(app, method, path, *args, **kwargs).run()


async def test_request_from_scope():
    app = make_app()
    res = await call(app, 'GET', '/echo?a=1&b=%C3%A9&a=2', headers=[
        ('X-Custom', 'yes'), ('Cookie', 'x=1'), ('Cookie', 'y=2'),
        ('Host', 'example.com')], scheme='https', http_version='1.0')
    assert res.status == 200
    assert res.header('content-type') == 'application/json; charset=UTF-8'
    assert res.header('content-length') == str(len(res.body))
    assert res.pieces[-1] == res.body and res.sent[-1].get('more_body') in \
        (None, False)
    assert res.json == {
        'method': 'GET', 'url': '/echo?a=1&b=%C3%A9&a=2', 'path': '/echo',
        'args': {'a': '1', 'b': 'é'}, 'body': '', 'version': 'HTTP/1.0',
        'scheme': 'https', 'client': ['10.1.2.3', 4567], 'type': None,
        'cookies': {'x': '1', 'y': '2'}, 'custom': 'yes', 'asgi': 'http'}


async def test_escaped_path():
    app = make_app()

    @app.get('/files/<path:name>')
    async def files(request, name):
        return name

    res = await call(app, 'GET', '/files/a%2Fb%20c/%C3%BC')
    assert res.body == 'a/b c/ü'.encode()
    # without raw_path the decoded path is escaped again for the routing
    exchange = Exchange(app, 'GET', '/files/x%20y')
    del exchange.scope['raw_path']
    assert (await exchange.run()).body == b'x y'
    res = await call(app, 'GET', '/files/%FF')
    assert res.status == 400
    exchange = Exchange(app, 'GET', '/files/x')
    exchange.scope['headers'].append((b'x-bad', b'caf\xe9'))
    res = await exchange.run()
    assert res.status == 400
    assert b'UTF-8' in res.body


async def test_bodies():
    app = make_app()
    with Limits():
        res = await call(app, 'POST', '/echo', headers=[
            ('Content-Type', 'text/plain'), ('Content-Length', '11')],
            body=[b'hello', b' ', b'world'])
        assert res.json['body'] == 'hello world'
        assert res.json['type'] == 'text/plain'

        # over max_body_length: the handler reads it from request.stream
        lines = [b'line %03d\n' % i for i in range(90)]
        parts = [b''.join(lines[i:i + 7]) for i in range(0, 90, 7)]
        res = await call(app, 'POST', '/lines', body=parts)
        assert res.json == {'kept': 0, 'size': 810, 'lines': 90}
        res = await call(app, 'POST', '/lines', body=[b'one\ntwo\n'])
        assert res.json == {'kept': 8, 'size': 8, 'lines': 2}


async def test_body_limits():
    app = make_app()
    with Limits():
        exchange = Exchange(app, 'POST', '/echo', headers=[
            ('Content-Length', '2000')], body=[b'x' * 2000])
        res = await exchange.run()
        assert res.status == 413
        assert exchange.received == 0  # refused before reading the body

        # a body of unknown length is refused when it grows past the limit
        exchange = Exchange(app, 'POST', '/lines', body=[b'x\n' * 100] * 10)
        res = await exchange.run()
        assert res.status == 413
        assert exchange.received == 6

        res = await call(app, 'POST', '/echo', headers=[
            ('Content-Length', 'ten')], body=[b'0123456789'])
        assert res.status == 400
        assert b'Content-Length' in res.body


async def test_client_gone_while_sending_body():
    app = make_app()
    exchange = Exchange(app, 'POST', '/echo', body=[b'part', b'more'],
                        disconnect=True)
    exchange.incoming[-1]['more_body'] = True  # then the client goes
    await app(exchange.scope, exchange.receive, exchange.send)
    assert exchange.sent == []


async def test_responses():
    app = make_app()
    res = await call(app, 'GET', '/headers')
    assert res.status == 201
    assert res.headers['x-multi'] == ['a', 'b']
    assert res.header('set-cookie').startswith('session=xyz')
    assert res.header('content-type') == 'text/html'
    assert res.body == b'<p>hi</p>'

    res = await call(app, 'GET', '/nothing')
    assert res.status == 204
    assert 'content-length' not in res.headers
    assert res.body == b''

    res = await call(app, 'GET', '/missing')
    assert res.status == 404
    res = await call(app, 'DELETE', '/echo')
    assert res.status == 405
    assert res.header('allow') == 'GET, POST, PUT, HEAD, OPTIONS'
    res = await call(app, 'GET', '/fail')
    assert res.status == 500
    res = await call(app, 'GET', '/divide')
    assert res.status == 400
    assert res.body == b'nice try'


async def test_head():
    app = make_app()
    res = await call(app, 'HEAD', '/headers')
    assert res.status == 201
    assert res.header('content-length') == '9'
    assert res.body == b''
    res = await call(app, 'HEAD', '/forever')
    assert res.status == 200
    assert res.body == b''
    assert app.closed.is_set()


async def test_file_conditions():
    # as on the framework's own server: If-None-Match -> 304, Range -> 206
    app = make_app()
    res = await call(app, 'GET', '/sent-file')
    assert res.status == 200 and res.body == b'0123456789' * 10
    etag = res.header('etag')
    res = await call(app, 'GET', '/sent-file',
                     headers=[('If-None-Match', etag)])
    assert res.status == 304 and res.body == b''
    res = await call(app, 'GET', '/sent-file', headers=[('Range', 'bytes=12-15')])
    assert res.status == 206 and res.body == b'2345'
    assert res.header('content-range') == 'bytes 12-15/100'


async def test_streamed_response():
    app = make_app()
    res = await call(app, 'GET', '/pieces?n=4')
    assert 'content-length' not in res.headers
    assert res.pieces == [b'000', b'111', b'222', b'333', b'']
    assert all(message['more_body'] for message in res.sent[1:-1])
    assert not res.sent[-1].get('more_body')

    # a Content-Length set by the handler is kept, and the body cut to it
    res = await call(app, 'GET', '/short')
    assert res.header('content-length') == '5'
    assert res.body == b'abcde'


async def test_stream_ends_when_client_goes():
    app = make_app()
    exchange = Exchange(app, 'GET', '/forever', disconnect=True)
    await asyncio.wait_for(app(exchange.scope, exchange.receive,
                               exchange.send), 10)
    assert app.closed.is_set()
    assert exchange.sent[0]['status'] == 200
    assert len(exchange.sent) < 100
    assert all(message.get('more_body') for message in exchange.sent[1:])


async def test_lifespan():
    events = []

    async def startup(scope):
        events.append(('startup', scope['type']))

    def shutdown(scope):  # plain functions are accepted too
        events.append(('shutdown', scope['type']))

    app = make_app(lifespan_startup=startup, lifespan_shutdown=shutdown)
    incoming = [{'type': 'lifespan.startup'}, {'type': 'lifespan.shutdown'}]
    sent = []

    async def receive():
        return incoming.pop(0)

    async def send(message):
        sent.append(message)

    await app({'type': 'lifespan', 'asgi': {'version': '3.0'}}, receive, send)
    assert events == [('startup', 'lifespan'), ('shutdown', 'lifespan')]
    assert sent == [{'type': 'lifespan.startup.complete'},
                    {'type': 'lifespan.shutdown.complete'}]

    # without handlers both events are simply acknowledged
    incoming = [{'type': 'lifespan.startup'}, {'type': 'lifespan.shutdown'}]
    sent = []
    await make_app()({'type': 'lifespan'}, receive, send)
    assert sent == [{'type': 'lifespan.startup.complete'},
                    {'type': 'lifespan.shutdown.complete'}]


async def test_lifespan_failure():
    async def startup(scope):
        raise RuntimeError('no database')

    app = make_app(lifespan_startup=startup)
    incoming = [{'type': 'lifespan.startup'}, {'type': 'lifespan.shutdown'}]
    sent = []

    async def receive():
        return incoming.pop(0)

    async def send(message):
        sent.append(message)

    await app({'type': 'lifespan'}, receive, send)
    # as Microdot: the app then waits for the shutdown
    assert sent == [{'type': 'lifespan.startup.failed',
                     'message': "RuntimeError('no database')"},
                    {'type': 'lifespan.shutdown.complete'}]


async def test_websocket_routes_through_asgi():
    from microdot.asgi import Microdot as App, with_websocket
    app = App()

    @app.route('/echo')
    @with_websocket
    async def echo(request, ws):
        while True:
            message = await ws.receive()
            await ws.send(message)

    @app.get('/plain')
    def plain(request):
        return 'no websocket here'

    async def talk(path, messages):
        incoming = [{'type': 'websocket.connect'}] + messages + [
            {'type': 'websocket.disconnect', 'code': 1000}]
        sent = []

        async def receive():
            return incoming.pop(0)

        async def send(message):
            sent.append(message)

        await app({'type': 'websocket', 'path': path, 'headers': [],
                   'client': ('10.0.0.1', 1)}, receive, send)
        return sent

    assert await talk('/echo', [
        {'type': 'websocket.receive', 'text': 'hi'},
        {'type': 'websocket.receive', 'bytes': b'\x00\x01'}]) == [
        {'type': 'websocket.accept'},
        {'type': 'websocket.send', 'text': 'hi'},
        {'type': 'websocket.send', 'bytes': b'\x00\x01'}]
    # a route that is no WebSocket: the server refuses the handshake
    assert await talk('/plain', []) == [
        {'type': 'websocket.close', 'code': 1008}]


async def test_other_protocols_are_refused():
    app = make_app()

    async def receive():
        return {'type': 'webtransport.connect'}

    async def send(message):
        raise AssertionError('nothing should be sent')

    try:
        await app({'type': 'webtransport', 'path': '/echo'}, receive, send)
        raise AssertionError('a webtransport scope was accepted')
    except NotImplementedError:
        pass


class Uvicorn:
    """`with Uvicorn(app) as port:` serves `app` with Uvicorn on a loopback
    port, in a thread, until the block ends."""

    def __init__(self, app):
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(
            app, host='127.0.0.1', port=self.port, lifespan='on',
            log_level='warning'))
        self.thread = threading.Thread(target=self.server.run)

    def __enter__(self):
        self.thread.start()
        for _ in range(500):
            if self.server.started or not self.thread.is_alive():
                break
            self.thread.join(0.01)
        assert self.server.started, 'uvicorn did not start'
        return self.port

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(10)
        assert not self.thread.is_alive()


def test_under_uvicorn():
    events = []
    app = make_app(lifespan_startup=lambda scope: events.append('start'),
                   lifespan_shutdown=lambda scope: events.append('stop'))
    with Uvicorn(app) as port:
        assert events == ['start']
        with Limits():
            data = check_served(port, chunked_uploads=True)
        assert data['scheme'] == 'http'
        assert data['version'] == 'HTTP/1.1'  # as Microdot has it
        # a body of unknown length goes chunked
        res, body = ask(port, 'GET', '/pieces?n=5')
        assert res.getheader('Transfer-Encoding') == 'chunked'
    assert events == ['start', 'stop']


def test_endless_stream_under_uvicorn():
    app = make_app()
    with Uvicorn(app) as port:
        received = leave_endless_stream(app, port)
        assert received.startswith(b'HTTP/1.1 200 ')


def test_websocket_under_uvicorn():
    from websockets.sync.client import connect
    from microdot.asgi import Microdot as App, with_websocket
    app = App()

    @app.route('/echo')
    @with_websocket
    async def echo(request, ws):
        while True:
            message = await ws.receive()
            await ws.send(message.upper() if isinstance(message, str)
                          else message)

    with Uvicorn(app) as port:
        with connect('ws://127.0.0.1:%d/echo' % port) as client:
            client.send('hello')
            assert client.recv(5) == 'HELLO'
            client.send(b'\x00\xff')
            assert client.recv(5) == b'\x00\xff'


def test_shutdown_stops_uvicorn(tmp_path):
    """app.shutdown() under Uvicorn (a process of its own: the SIGTERM it
    sends is for the whole process) answers, then Uvicorn stops."""
    write_shutdown_app(tmp_path, 'asgi')
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, '-m', 'uvicorn', '--port', str(port),
         '--app-dir', str(tmp_path), '--log-level', 'warning',
         'shutdown_app:app'])
    try:
        wait_for_port(server, port)
        res, body = ask(port, 'GET', '/shutdown')
        assert (res.status, body) == (200, b'bye')
        # stopped by itself: Uvicorn shuts down, then raises the signal it
        # caught again, as its exit status
        assert server.wait(10) in (0, -signal.SIGTERM)
    finally:
        server.kill()
        server.wait(10)

