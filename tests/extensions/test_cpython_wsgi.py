"""The WSGI application (CPython only): called directly through
wsgiref.validate's checks, then served by wsgiref's server and by Gunicorn
on loopback ports."""
import io
import os
import pathlib
import subprocess
import sys
import tempfile
import threading
from wsgiref.simple_server import make_server, WSGIRequestHandler
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

import adapter_app
from adapter_app import Limits, Reply, ask, check_served, \
    leave_endless_stream, wait_for_port, write_shutdown_app
from microdot.wsgi import Microdot
from support import free_port

TESTS = pathlib.Path(__file__).resolve().parent.parent
MODULES = TESTS.parent / 'modules'
FRAMEWORK_TESTS = TESTS / 'framework'


def make_app():
    """The shared test app; its /echo also tells whether the WSGI environ
    is there."""
    return adapter_app.make_app(
        Microdot, lambda request: {'environ': 'wsgi.input' in request.environ})


class Call(Reply):
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
        'args': {'a': '1', 'b': 'é'}, 'body': '', 'version': 'HTTP/1.0',
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


def test_file_conditions():
    # as on the framework's own server: If-None-Match -> 304, Range -> 206
    app = make_app()
    res = Call(app, 'GET', '/sent-file').run()
    assert res.status.startswith('200') and res.body == b'0123456789' * 10
    etag = res.header('etag')
    res = Call(app, 'GET', '/sent-file', headers={'If-None-Match': etag}).run()
    assert res.status.startswith('304') and res.body == b''
    res = Call(app, 'GET', '/sent-file', headers={'Range': 'bytes=12-15'}).run()
    assert res.status.startswith('206') and res.body == b'2345'
    assert res.header('content-range') == 'bytes 12-15/100'


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


def test_under_wsgiref():
    app = make_app()
    with WSGIRef(app) as port, Limits():
        data = check_served(port, chunked_uploads=False)
        assert data['environ'] is True

        # an endless body is closed once the client has gone
        received = leave_endless_stream(app, port)
        assert received.startswith(b'HTTP/1.0 200 ')


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
    port, server = start_gunicorn(folder, 'gunicorn_app')
    try:
        assert check_served(port, chunked_uploads=True)['environ'] is True
    finally:
        server.terminate()
        server.wait(10)


def start_gunicorn(folder, module):
    """Gunicorn serving `module`:app from `folder` with one worker on a
    loopback port, once it listens: (port, process)."""
    port = free_port()
    gunicorn = os.path.join(os.path.dirname(sys.executable), 'gunicorn')
    server = subprocess.Popen(
        [gunicorn, '--bind', '127.0.0.1:{}'.format(port), '--workers', '1',
         '--chdir', folder, '--log-level', 'warning', module + ':app'])
    wait_for_port(server, port)
    return port, server


def test_shutdown_under_gunicorn(tmp_path):
    """app.shutdown() under Gunicorn answers (it was a 500) and stops the
    worker that ran it; Gunicorn's arbiter then starts another."""
    write_shutdown_app(tmp_path, 'wsgi')
    port, server = start_gunicorn(str(tmp_path), 'shutdown_app')
    try:
        res, body = ask(port, 'GET', '/shutdown')
        assert (res.status, body) == (200, b'bye')
    finally:
        server.terminate()
        server.wait(10)
