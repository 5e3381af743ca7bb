"""A typed app using the framework's public API as apps do, with the types
a handler works with spelled out (assert_type() fails the check if the
stubs say otherwise). tests/test_stubs.py checks it with mypy in strict
mode, and runs it: its requests go through the test client, so the types
it relies on are the ones the code has."""
import asyncio
import os
import tempfile
from collections.abc import AsyncGenerator, Iterator
from typing import Any

from typing_extensions import assert_type

import microdot
from microdot import HTTPException, Microdot, MultiDict, NoCaseDict, \
    Request, Response, URLPattern, abort, redirect, send_file
from microdot.auth import BasicAuth, TokenAuth, compare_digest
from microdot.cors import CORS
from microdot.csrf import CSRF
from microdot.jinja import Template as JinjaTemplate
from microdot.login import Login
from microdot.microdot import urldecode, urlencode
from microdot.multipart import FileUpload, FormDataIter, with_form_data
from microdot.session import Session, SessionDict, with_session
from microdot.sse import SSE, sse_response, with_sse
from microdot.test_client import TestClient, TestResponse
from microdot.utemplate import Template
from microdot.websocket import WebSocket, WebSocketError, \
    websocket_upgrade, with_websocket
import microdot.asgi
import microdot.wsgi

Request.max_content_length = 64 * 1024
Response.default_send_file_max_age = 60
URLPattern.register_type('hex', '[0-9a-f]+', lambda text: int(text, 16))

app = Microdot()
app.max_connections = 4
cors = CORS(app, allowed_origins=['https://example.com'],
            allow_credentials=True, expose_headers=['X-Count'])
csrf = CSRF(app, cors)
sessions = Session(app, secret_key='not so secret')
basic_auth = BasicAuth(realm='Test')
api_key = TokenAuth(header='X-API-Key')
login = Login()
folder = tempfile.mkdtemp()


class User:
    def __init__(self, id: int, name: str) -> None:
        self.id = id
        self.name = name


USERS = {1: User(1, 'ann')}


@basic_auth.authenticate
def check_password(request: Request, username: str,
                   password: str) -> User | None:
    if compare_digest(password, 'secret'):
        return USERS[1]
    return None


@api_key.authenticate
async def check_key(request: Request, key: str) -> str | None:
    return key if key == 'k1' else None


@login.user_loader
async def load_user(user_id: int) -> User | None:
    return USERS.get(user_id)


@app.before_request
def start(request: Request) -> None:
    request.g.started = True


@app.after_request
def count(request: Request, response: Response) -> Response:
    response.headers['X-Count'] = '1'
    return response


@app.after_error_request
def error_header(request: Request | None, response: Response) -> None:
    if request is not None:
        response.headers['X-Error-Path'] = request.path


@app.errorhandler(404)
def not_found(request: Request | None) -> tuple[str, int]:
    return 'nothing here', 404


@app.errorhandler(ValueError)
def bad_value(request: Request | None, exc: ValueError) -> Response:
    return Response(str(exc), 400)


@app.get('/')
async def index(request: Request) -> Response:
    name = request.args.get('name', 'world')
    assert_type(name, str)
    times = request.args.get('times', 1, type=int)
    assert_type(times, int)
    tags = request.args.getlist('tag')
    assert_type(tags, list[str])
    agent = request.headers.get('User-Agent')
    assert_type(agent, str | None)
    assert_type(request.query_string, str | None)
    assert_type(request.cookies, dict[str, str])
    response = Response(('hello ' + name) * times,
                        headers={'X-Tags': ','.join(tags)})
    response.set_cookie('seen', 'yes', max_age=60, http_only=True)
    return response


@app.get('/users/<int:id>')
async def user(request: Request, id: int) -> dict[str, Any]:
    found = USERS.get(id)
    if found is None:
        abort(404)
    return {'id': found.id, 'name': found.name}


@app.get('/color/<hex:value>')
def color(request: Request, value: int) -> str:
    if value > 0xFFFFFF:
        raise ValueError('not a color')
    return str(value)


@app.post('/echo')
async def echo(request: Request) -> tuple[bytes, int, dict[str, str]]:
    data = await request.stream.read()
    assert_type(data, bytes)
    return data, 201, {'Content-Type': 'application/octet-stream'}


@app.post('/json')
def json_body(request: Request) -> dict[str, Any]:
    body: dict[str, Any] = request.json
    return {'got': body, 'length': request.content_length}


@app.post('/upload')
@with_form_data
async def upload(request: Request) -> str:
    if request.form is None or request.files is None:
        abort(400)
    file = request.files['file']
    assert_type(file, FileUpload)
    await file.save(os.path.join(folder, 'upload.bin'))
    return request.form['title'] + ' ' + file.filename


@app.post('/parts')
async def parts(request: Request) -> str:
    names = []
    async for name, value in FormDataIter(request):
        if isinstance(value, FileUpload):
            names.append(name + '=' + str(len(await value.read())))
        else:
            names.append(name + '=' + value)
    return ','.join(names)


@app.get('/ws')
@with_websocket
async def ws_echo(request: Request, ws: WebSocket) -> None:
    while True:
        message = await ws.receive()
        assert_type(message, str | bytes)
        await ws.send(message)


@app.get('/ws-checked')
async def ws_checked(request: Request) -> Response:
    ws = await websocket_upgrade(request)
    try:
        await ws.send('hi')
        await ws.receive()
    except WebSocketError:
        pass
    return Response.already_handled


@app.get('/events')
@with_sse
async def events(request: Request, sse: SSE) -> None:
    await sse.send({'n': 1}, event='tick', event_id=1)


@app.get('/more-events')
def more_events(request: Request) -> Response:
    async def send(request: Request, sse: SSE) -> None:
        await sse.send('one')
    return sse_response(request, send, 200, {'X-Stream': 'yes'})


@app.get('/session')
@with_session
async def visits(request: Request, session: SessionDict) -> str:
    session['visits'] = session.get('visits', 0) + 1
    session.save()
    return str(session['visits'])


@app.get('/private')
@basic_auth
async def private(request: Request) -> str:
    current: User = request.g.current_user
    return current.name


@app.get('/key')
@api_key.optional
async def key(request: Request) -> str:
    client: str | None = request.g.current_user
    return client or 'anonymous'


@app.post('/login')
async def do_login(request: Request) -> Response:
    return await login.login_user(request, USERS[1], remember=7)


@app.get('/me')
@login
async def me(request: Request) -> str:
    current = await login.get_current_user(request)
    name: str = current.name
    return name


@app.get('/old')
def old(request: Request) -> Response:
    return redirect('/', 301)


@app.get('/file')
def file(request: Request) -> Response:
    return send_file(__file__, content_type='text/plain', max_age=0)


@app.post('/webhook')
@csrf.exempt
def webhook(request: Request) -> int:
    return 204


subapp = Microdot()


@subapp.get('/ping')
def ping(request: Request) -> str:
    assert_type(request.url_prefix, str)
    return 'pong'


app.mount(subapp, url_prefix='/sub')


def typed_values() -> None:
    """Types the checker must see; not run."""
    assert_type(microdot.__version__, str)
    assert_type(MultiDict({'a': 1})['a'], int)
    assert_type(NoCaseDict({'A': 'b'}).get('a'), str | None)
    assert_type(urlencode('a b'), str)
    assert_type(urldecode(b'a+b'), str)
    assert_type(HTTPException(400).status_code, int)
    assert_type(Template('index.html').render(), str)
    assert_type(JinjaTemplate('index.html').generate(), Iterator[str])
    assert_type(microdot.asgi.Microdot(), microdot.asgi.Microdot)
    assert_type(microdot.wsgi.Microdot().shutdown(), None)
    assert_type(URLPattern('/a/<int:b>').match('/a/1'), dict[str, Any] | None)


async def main() -> None:
    client = TestClient(app)
    res = await client.get('/?name=you&times=2&tag=a&tag=b')
    assert_type(res, TestResponse)
    assert res.status_code == 200 and res.text == 'hello youhello you'
    assert res.headers['X-Tags'] == 'a,b' and res.headers['X-Count'] == '1'
    assert client.cookies['seen'] == 'yes'
    assert (await client.get('/users/1')).json == {'id': 1, 'name': 'ann'}
    res = await client.get('/users/2')
    assert res.text == 'nothing here' and \
        res.headers['X-Error-Path'] == '/users/2'
    assert (await client.get('/color/ff')).text == '255'
    assert (await client.get('/color/1000000')).status_code == 400
    res = await client.post('/echo', body=b'\x00\x01')
    assert res.status_code == 201 and res.body == b'\x00\x01'
    res = await client.post('/json', body={'a': [1]})
    assert res.json == {'got': {'a': [1]}, 'length': 10}
    form = ('--b\r\nContent-Disposition: form-data; name="title"\r\n\r\n'
            'Report\r\n--b\r\nContent-Disposition: form-data; name="file"; '
            'filename="r.txt"\r\n\r\nabc\r\n--b--\r\n')
    headers = {'Content-Type': 'multipart/form-data; boundary=b'}
    res = await client.post('/upload', headers, form)
    assert res.text == 'Report r.txt', res.text
    assert (await client.post('/parts', headers, form)).text == \
        'title=Report,file=3'

    async def talk() -> AsyncGenerator[str | bytes, Any]:
        answer = yield 'hello'
        assert answer == 'hello'
        answer = yield b'\x01'
        assert answer == b'\x01'
    res = await client.websocket('/ws', talk)
    assert res.status_code == 101
    res = await client.get('/events')
    assert res.events is not None and res.events[0]['data_json'] == {'n': 1}
    res = await client.get('/more-events')
    assert res.headers['X-Stream'] == 'yes' and res.events is not None
    assert (await client.get('/session')).text == '1'
    assert (await client.get('/session')).text == '2'
    assert (await client.get('/private')).status_code == 401
    res = await client.get('/private', {'Authorization': 'Basic ' +
                                        'YW5uOnNlY3JldA=='})  # ann:secret
    assert res.text == 'ann'
    assert (await client.get('/key', {'X-API-Key': 'k1'})).text == 'k1'
    assert (await client.get('/key')).text == 'anonymous'
    assert (await client.get('/me')).status_code == 302
    assert (await client.post('/login')).status_code == 302
    assert (await client.get('/me')).text == 'ann'
    res = await client.get('/old')
    assert res.status_code == 301 and res.headers['Location'] == '/'
    res = await client.get('/file')
    assert res.body is not None and res.body.startswith(b'"""A typed app')
    assert (await client.post('/webhook')).status_code == 204
    assert (await client.get('/sub/ping')).text == 'pong'


if __name__ == '__main__':
    asyncio.run(main())
    print('usage.py: all requests answered as typed')
