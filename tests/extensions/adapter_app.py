"""The test app and helpers shared by the ASGI and WSGI tests (CPython
only). Not a test file itself: it has no test_ prefix, so neither pytest
nor the MicroPython run collects it."""
import asyncio
import http.client
import io
import json
import os
import pathlib
import socket
import tempfile
import threading

from microdot import Request, Response, send_file

MODULES = pathlib.Path(__file__).resolve().parents[2] / 'modules'

# An app whose one route stops the server it runs in, for a server started
# as a process of its own (ADAPTER: asgi or wsgi)
SHUTDOWN_APP = '''
import sys
sys.path.insert(0, {modules!r})
from microdot.{adapter} import Microdot
app = Microdot()

@app.get('/shutdown')
def shutdown(request):
    request.app.shutdown()
    return 'bye'
'''


def write_shutdown_app(folder, adapter):
    """SHUTDOWN_APP for `adapter` as `folder`/shutdown_app.py."""
    (folder / 'shutdown_app.py').write_text(SHUTDOWN_APP.format(
        modules=str(MODULES), adapter=adapter))


def wait_for_port(server, port):
    """Returns once `server`, a process, listens on the loopback `port`;
    fails if it stops or does not listen within ten seconds."""
    for _ in range(500):
        assert server.poll() is None, 'the server stopped'
        try:
            socket.create_connection(('127.0.0.1', port), 1).close()
            return
        except OSError:
            threading.Event().wait(0.02)
    server.terminate()
    raise AssertionError('the server did not listen')


def make_app(microdot_class, adapter_fields, **kwargs):
    """An app of `microdot_class` (the ASGI or the WSGI Microdot), built with
    `kwargs`. /echo also returns `adapter_fields(request)`, a dict, as the
    request's adapter-specific attributes differ."""
    app = microdot_class(**kwargs)
    app.closed = threading.Event()  # a streamed body was closed

    @app.route('/echo', methods=['GET', 'POST', 'PUT'])
    async def echo(request):
        fields = {
            'method': request.method, 'url': request.url,
            'path': request.path, 'args': request.args,
            'body': request.body.decode(), 'version': request.http_version,
            'scheme': request.scheme, 'client': request.client_addr,
            'type': request.content_type, 'cookies': request.cookies,
            'custom': request.headers.get('X-Custom'),
        }
        fields.update(adapter_fields(request))
        return fields

    @app.post('/lines')
    async def lines(request):
        # a body over max_body_length is only in request.stream
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

    # a file on disk: send_file() gives it an ETag and byte ranges
    sent = os.path.join(tempfile.mkdtemp(), 'sent.txt')
    with open(sent, 'wb') as f:
        f.write(b'0123456789' * 10)

    @app.get('/sent-file')
    async def sent_file(request):
        return send_file(sent)

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

    @app.errorhandler(ZeroDivisionError)
    async def divided(request, exc):
        return 'nice try', 400

    @app.get('/divide')
    async def divide(request):
        return str(1 / 0)

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


class Reply:
    """What the tests read of a response the app gave when called directly;
    a subclass sets `body` and `headers` (lower-case names, lists of
    values)."""

    @property
    def json(self):
        return json.loads(self.body)

    def header(self, name):
        assert len(self.headers[name]) == 1
        return self.headers[name][0]


def ask(port, method, path, body=None, headers=None, chunked=False):
    """One request over HTTP to a server on a loopback port."""
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
    try:
        conn.request(method, path, body, headers or {},
                     encode_chunked=chunked)
        res = conn.getresponse()
        return res, res.read()
    finally:
        conn.close()


def check_served(port, chunked_uploads):
    """Checks the app as served on `port`, with small limits set as Limits()
    does; chunked uploads only where the server takes them. Returns what
    /echo gave, for the caller to check the adapter-specific fields."""
    res, body = ask(port, 'GET', '/echo?x=%C3%A9', headers={
        'X-Custom': 'hi', 'Cookie': 'a=b'})
    assert res.status == 200
    data = json.loads(body)
    assert data['args'] == {'x': 'é'}
    assert data['custom'] == 'hi'
    assert data['cookies'] == {'a': 'b'}
    assert data['client'][0] == '127.0.0.1'

    res, body = ask(port, 'PUT', '/echo', b'sent body',
                    {'Content-Type': 'text/plain'})
    assert json.loads(body)['body'] == 'sent body'

    # uploads over max_body_length, read as a stream, or over
    # max_content_length, refused
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
    assert body == b'Internal server error'
    return data


def leave_endless_stream(app, port):
    """Asks for /forever over a raw socket, reads a few pieces and goes;
    checks the app then closes the body. Returns what was received."""
    client = socket.create_connection(('127.0.0.1', port), timeout=10)
    client.sendall(b'GET /forever HTTP/1.1\r\nHost: x\r\n\r\n')
    received = b''
    while received.count(b'piece') < 3:
        received += client.recv(4096)
    client.close()
    assert app.closed.wait(10), 'the stream was not closed'
    return received
