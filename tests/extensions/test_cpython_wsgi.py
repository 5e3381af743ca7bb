"""The WSGI application (CPython only): called directly through
wsgiref.validate's checks, then served by wsgiref's server and by Gunicorn
on loopback ports."""
import asyncio
import http.client
import io
import json
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import threading
from wsgiref.simple_server import make_server, WSGIRequestHandler
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

from microdot import Request, Response
from microdot.wsgi import Microdot
from support import free_port

TESTS = pathlib.Path(__file__).resolve().parent.parent
MODULES = TESTS.parent / 'modules'
FRAMEWORK_TESTS = TESTS / 'framework'


def make_app():
    app = Microdot()
    app.closed = threading.Event()  # a streamed body was closed

    @app.route('/echo', methods=['GET', 'POST', 'PUT'])
    async def echo(request):
        return {
            'method': request.method, 'url': request.url,
            'path': request.path, 'args': request.args,
            'body': request.body.decode(), 'version': request.http_version,
            'scheme': request.scheme, 'client': request.client_addr,
            'type': request.content_type, 'cookies': request.cookies,
            'custom': request.headers.get('X-Custom'),
            'environ': 'wsgi.input' in request.environ,
        }

    @app.post('/lines')
    async def lines(request):
        size = 0
        count = 0
        while True:
            line = await request.stream.readline()
            if not line:
                break
            size += len(line)
            count += 1
        return {'kept': len(request.body), 'size': size, 'lines': count}

    @app.get('/pieces')
    async def pieces(request):
        return (str(i) * 3 for i in range(int(request.args.get('n', 3))))

    @app.get('/async-pieces')
    async def async_pieces(request):
        return Forever(app.closed, int(request.args['n']))

    @app.get('/forever')
    async def forever(request):
        return Forever(app.closed)

    @app.get('/file')
    async def file(request):
        return Response(io.BytesIO(b'0123456789' * 300),
                        headers={'Content-Type': 'application/octet-stream'})

    @app.get('/short')
    async def short(request):
        return (piece for piece in ['abc', 'def', 'ghi']), \
            {'Content-Length': '5'}

    @app.get('/headers')
    async def headers(request):
        res = Response('<p>hi</p>', 201, {'Content-Type': 'text/html',
                                          'X-Multi': ['a', 'b']})
        res.set_cookie('session', 'xyz')
        return res

    @app.get('/nothing')
    async def nothing(request):
        return 204

    @app.get('/teapot')
    async def teapot(request):
        return 'short and stout', 418

    @app.get('/fail')
    async def fail(request):
        raise RuntimeError('handler failed')

    return app


class Forever:
    """An async body of `count` pieces, endless by default, that tells when
    it is closed."""

    def __init__(self, closed, count=-1):
        self.closed = closed
        self.count = count

    def __aiter__(self):
        return self

    async def __anext__(self):
        await asyncio.sleep(0)
        if self.count == 0:
            raise StopAsyncIteration
        self.count -= 1
        return 'piece\n'

    async def aclose(self):
        self.closed.set()


class Limits:
    """`with Limits():` small request size limits meanwhile: bodies over
    100 bytes are left in request.stream, over 1000 bytes are refused."""

    def __enter__(self):
        self.old = Request.max_body_length, Request.max_content_length
        Request.max_body_length, Request.max_content_length = 100, 1000

    def __exit__(self, *exc):
        Request.max_body_length, Request.max_content_length = self.old


class Call:
    """One request to the app, through wsgiref.validate's checks of both
    sides of WSGI."""

    def __init__(self, app, method, path, body=b'', headers=None,
                 validate=True, **environ):
        path, _, query = path.partition('?')
        self.input = io.BytesIO(body)
        self.environ = {}
        setup_testing_defaults(self.environ)
        self.environ.update({
            'REQUEST_METHOD': method, 'QUERY_STRING': query,
            # WSGI gives the unescaped path, its bytes as latin-1 text
            'PATH_INFO': path.encode().decode('latin-1'),
            'wsgi.input': self.input, 'REMOTE_ADDR': '10.1.2.3',
            'REMOTE_PORT': '4567', 'SERVER_PROTOCOL': 'HTTP/1.1',
        })
        if body:
            self.environ['CONTENT_LENGTH'] = str(len(body))
        for name, value in (headers or {}).items():
            key = name.upper().replace('-', '_')
            if key not in ('CONTENT_TYPE', 'CONTENT_LENGTH'):
                key = 'HTTP_' + key
            self.environ[key] = value
        self.environ.update(environ)
        self.app = validator(app) if validate else app

    def run(self, pieces=None):
        """Calls the app; reads `pieces` pieces of the body, or all."""
        self.status = None
        result = self.app(self.environ, self.start_response)
        self.pieces = []
        try:
            for piece in result:
                self.pieces.append(piece)
                if pieces and len(self.pieces) == pieces:
                    break
        finally:
            if hasattr(result, 'close'):
                result.close()
        self.body = b''.join(self.pieces)
        return self

    def start_response(self, status, headers, exc_info=None):
        self.status = status
        self.headers = {}
        for name, value in headers:
            self.headers.setdefault(name.lower(), []).append(value)

    @property
    def status_code(self):
        return int(self.status.split()[0])

    @property
    def json(self):
        return json.loads(self.body)

    def header(self, name):
        assert len(self.headers[name]) == 1
        return self.headers[name][0]


def test_request_from_environ():
    app = make_app()
    res = Call(app, 'GET', '/echo?a=1&b=%C3%A9&a=2', headers={
        'X-Custom': 'yes', 'Cookie': 'x=1; y=2'}, **{
        'wsgi.url_scheme': 'https', 'SERVER_PROTOCOL': 'HTTP/1.0'}).run()
    assert res.status == '200 OK'
    assert res.header('content-type') == 'application/json; charset=UTF-8'
    assert res.header('content-length') == str(len(res.body))
    assert res.pieces == [res.body]
    assert res.json == {
        'method': 'GET', 'url': '/echo?a=1&b=%C3%A9&a=2', 'path': '/echo',
        'args': {'a': '1', 'b': 'é'}, 'body': '', 'version': '1.0',
        'scheme': 'https', 'client': ['10.1.2.3', 4567], 'type': None,
        'cookies': {'x': '1', 'y': '2'}, 'custom': 'yes', 'environ': True}


def test_paths():
    app = make_app()

    @app.get('/files/<path:name>')
    async def files(request, name):
        return {'name': name, 'url': request.url}

    res = Call(app, 'GET', '/files/a b/ü/x:y@z').run()
    assert res.json == {'name': 'a b/ü/x:y@z',
                        'url': '/files/a%20b/%C3%BC/x:y@z'}
    # a path that is not UTF-8
    res = Call(app, 'GET', '/files/x', PATH_INFO='/files/\xff').run()
    assert res.status_code == 400
    res = Call(app, 'GET', '/files/x', HTTP_X_BAD='caf\xe9').run()
    assert res.status_code == 400
    assert b'UTF-8' in res.body


def test_bodies():
    app = make_app()
    with Limits():
        res = Call(app, 'POST', '/echo', b'hello world',
                   {'Content-Type': 'text/plain'}).run()
        assert res.json['body'] == 'hello world'
        assert res.json['type'] == 'text/plain'

        # over max_body_length: the handler reads it from request.stream
        body = b''.join(b'line %03d\n' % i for i in range(90))
        res = Call(app, 'POST', '/lines', body).run()
        assert res.json == {'kept': 0, 'size': 810, 'lines': 90}

        # a body of unknown length, which the server marks as terminated
        res = Call(app, 'POST', '/lines', body, CONTENT_LENGTH='',
                   **{'wsgi.input_terminated': True}).run()
        assert res.json == {'kept': 0, 'size': 810, 'lines': 90}
        res = Call(app, 'POST', '/lines', b'a\nb\n', CONTENT_LENGTH='',
                   **{'wsgi.input_terminated': True}).run()
        assert res.json == {'kept': 4, 'size': 4, 'lines': 2}
        # else no body is read past Content-Length, or without it
        res = Call(app, 'POST', '/echo', b'hello world',
                   CONTENT_LENGTH='5').run()
        assert res.json['body'] == 'hello'
        res = Call(app, 'POST', '/echo', b'hello world',
                   CONTENT_LENGTH='').run()
        assert res.json['body'] == ''


def test_body_limits():
    app = make_app()
    with Limits():
        call = Call(app, 'POST', '/echo', b'x' * 2000)
        res = call.run()
        assert res.status_code == 413
        assert call.input.tell() == 0  # nothing was read

        res = Call(app, 'POST', '/lines', b'x\n' * 1000, CONTENT_LENGTH='',
                   **{'wsgi.input_terminated': True}).run()
        assert res.status_code == 413

        # (an environ the validator itself refuses)
        res = Call(app, 'POST', '/echo', b'0123456789', validate=False,
                   CONTENT_LENGTH='ten').run()
        assert res.status_code == 400
        assert b'Content-Length' in res.body

        # the client sent less than it announced
        res = Call(app, 'POST', '/echo', b'0123456789',
                   CONTENT_LENGTH='50').run()
        assert res.status_code == 400
        assert b'shorter' in res.body


def test_responses():
    app = make_app()
    res = Call(app, 'GET', '/headers').run()
    assert res.status == '201 Created'
    assert res.headers['x-multi'] == ['a', 'b']
    assert res.header('set-cookie').startswith('session=xyz')
    assert res.header('content-type') == 'text/html'
    assert res.body == b'<p>hi</p>'

    res = Call(app, 'GET', '/nothing').run()
    assert res.status == '204 No Content'
    assert 'content-length' not in res.headers
    assert res.body == b''

    res = Call(app, 'GET', '/teapot').run()
    assert res.status == '418 '  # no reason phrase known, none sent
    assert res.body == b'short and stout'

    assert Call(app, 'GET', '/missing').run().status_code == 404
    res = Call(app, 'DELETE', '/echo').run()
    assert res.status_code == 405
    assert res.header('allow') == 'GET, POST, PUT, HEAD, OPTIONS'
    res = Call(app, 'GET', '/fail').run()
    assert res.status == '500 Internal Server Error'


def test_head():
    app = make_app()
    res = Call(app, 'HEAD', '/headers').run()
    assert res.status_code == 201
    assert res.header('content-length') == '9'
    assert res.body == b''
    res = Call(app, 'HEAD', '/forever').run()
    assert res.body == b''
    assert app.closed.is_set()


def test_streamed_responses():
    app = make_app()
    res = Call(app, 'GET', '/pieces?n=4').run()
    assert 'content-length' not in res.headers
    assert res.pieces == [b'000', b'111', b'222', b'333']

    res = Call(app, 'GET', '/async-pieces?n=3').run()
    assert res.pieces == [b'piece\n'] * 3
    assert app.closed.is_set()

    res = Call(app, 'GET', '/file').run()
    assert res.body == b'0123456789' * 300
    assert len(res.pieces) == 3  # read in pieces of send_file_buffer_size

    res = Call(app, 'GET', '/short').run()
    assert res.header('content-length') == '5'
    assert res.body == b'abcde'


def test_stream_closed_when_server_stops_reading():
    app = make_app()
    res = Call(app, 'GET', '/forever').run(pieces=5)
    assert res.pieces == [b'piece\n'] * 5
    assert app.closed.is_set()


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class WSGIRef:
    """`with WSGIRef(app) as port:` serves `app` with wsgiref's server (and
    its validator) on a loopback port, in a thread."""

    def __init__(self, app):
        self.server = make_server('127.0.0.1', free_port(), validator(app),
                                  handler_class=QuietHandler)
        self.thread = threading.Thread(target=self.server.serve_forever)

    def __enter__(self):
        self.thread.start()
        return self.server.server_port

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(10)
        self.server.server_close()


def ask(port, method, path, body=None, headers=None, chunked=False):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
    try:
        conn.request(method, path, body, headers or {},
                     encode_chunked=chunked)
        res = conn.getresponse()
        return res, res.read()
    finally:
        conn.close()


def check_served(port, chunked_uploads):
    res, body = ask(port, 'GET', '/echo?x=%C3%A9', headers={
        'X-Custom': 'hi', 'Cookie': 'a=b'})
    assert res.status == 200
    data = json.loads(body)
    assert data['args'] == {'x': 'é'}
    assert data['custom'] == 'hi'
    assert data['cookies'] == {'a': 'b'}
    assert data['client'][0] == '127.0.0.1'
    assert data['environ'] is True

    res, body = ask(port, 'PUT', '/echo', b'sent body',
                    {'Content-Type': 'text/plain'})
    assert json.loads(body)['body'] == 'sent body'

    # the caller has set small limits, as Limits() does
    lines = [b'line %03d\n' % i for i in range(90)]
    res, body = ask(port, 'POST', '/lines', b''.join(lines))
    assert json.loads(body) == {'kept': 0, 'size': 810, 'lines': 90}
    if chunked_uploads:
        res, body = ask(port, 'POST', '/lines', iter(lines), chunked=True)
        assert json.loads(body) == {'kept': 0, 'size': 810, 'lines': 90}
        res, body = ask(port, 'POST', '/lines', iter([b'x\n'] * 600),
                        chunked=True)
        assert res.status == 413
    res, body = ask(port, 'POST', '/lines', b'x' * 2000)
    assert res.status == 413

    res, body = ask(port, 'GET', '/pieces?n=5')
    assert body == b'000111222333444'
    res, body = ask(port, 'GET', '/file')
    assert body == b'0123456789' * 300

    res, body = ask(port, 'HEAD', '/headers')
    assert res.status == 201
    assert res.getheader('Content-Length') == '9'
    assert body == b''

    res, body = ask(port, 'GET', '/fail')
    assert res.status == 500
    assert body == b'Internal Server Error'


def test_under_wsgiref():
    app = make_app()
    with WSGIRef(app) as port, Limits():
        check_served(port, chunked_uploads=False)

        # an endless body is closed once the client has gone
        client = socket.create_connection(('127.0.0.1', port), timeout=10)
        client.sendall(b'GET /forever HTTP/1.1\r\nHost: x\r\n\r\n')
        received = b''
        while received.count(b'piece') < 3:
            received += client.recv(4096)
        assert received.startswith(b'HTTP/1.0 200 ')
        client.close()
        assert app.closed.wait(10), 'the stream was not closed'


GUNICORN_APP = '''
import sys
sys.path[:0] = [{modules!r}, {framework!r}, {tests!r}]
from test_cpython_wsgi import make_app, Limits
Limits().__enter__()
app = make_app()
'''


def test_under_gunicorn():
    folder = tempfile.mkdtemp(prefix='microdot-wsgi-')
    with open(os.path.join(folder, 'gunicorn_app.py'), 'w') as f:
        f.write(GUNICORN_APP.format(
            modules=str(MODULES), framework=str(FRAMEWORK_TESTS),
            tests=os.path.dirname(__file__)))
    port = free_port()
    gunicorn = os.path.join(os.path.dirname(sys.executable), 'gunicorn')
    server = subprocess.Popen(
        [gunicorn, '--bind', '127.0.0.1:{}'.format(port), '--workers', '1',
         '--chdir', folder, '--log-level', 'warning', 'gunicorn_app:app'])
    try:
        for _ in range(500):
            assert server.poll() is None, 'gunicorn stopped'
            try:
                socket.create_connection(('127.0.0.1', port), 1).close()
                break
            except OSError:
                threading.Event().wait(0.02)
        check_served(port, chunked_uploads=True)
    finally:
        server.terminate()
        server.wait(10)
