import binascii

from microdot import Microdot
from microdot.auth import BasicAuth, TokenAuth, compare_digest
from microdot.test_client import TestClient

USERS = {'susan': 'hello', 'david': 'pa:ss'}
TOKENS = {'abc123': 'susan', 'xyz789': 'david'}


def basic(credentials):
    if isinstance(credentials, str):
        credentials = credentials.encode()
    return {'Authorization': 'Basic ' +
            binascii.b2a_base64(credentials).decode().strip()}


def basic_app(**kwargs):
    app = Microdot()
    auth = BasicAuth(**kwargs)
    app.calls = []

    @auth.authenticate
    async def verify(request, username, password):
        app.calls.append((username, password))
        if username in USERS and compare_digest(USERS[username], password):
            return username

    @app.get('/')
    @auth
    def index(request):
        return 'hello ' + request.g.current_user

    @app.get('/users/<int:number>')
    @auth
    async def user(request, number):
        return '{} {}'.format(request.g.current_user, number + 1)

    @app.get('/maybe')
    @auth.optional
    def maybe(request):
        return 'hello ' + (request.g.current_user or 'anonymous')

    return app, auth


async def test_basic_good_credentials():
    app, _ = basic_app()
    client = TestClient(app)
    res = await client.get('/', headers=basic('susan:hello'))
    assert (res.status_code, res.text) == (200, 'hello susan')
    assert app.calls == [('susan', 'hello')]
    res = await client.get('/users/41', headers=basic('susan:hello'))
    assert (res.status_code, res.text) == (200, 'susan 42')


async def test_basic_password_with_colon():
    app, _ = basic_app()
    res = await TestClient(app).get('/', headers=basic('david:pa:ss'))
    assert (res.status_code, res.text) == (200, 'hello david')
    assert app.calls == [('david', 'pa:ss')]


async def test_basic_bad_and_missing_credentials():
    app, _ = basic_app()
    client = TestClient(app)
    for headers in (basic('susan:wrong'), basic('nobody:hello'), None):
        res = await client.get('/', headers=headers)
        assert res.status_code == 401
        assert res.headers['WWW-Authenticate'] == \
            'Basic realm="Please login", charset="UTF-8"'
        assert 'hello' not in res.text
    assert app.calls == [('susan', 'wrong'), ('nobody', 'hello')]


async def test_basic_malformed_headers_are_refused():
    app, _ = basic_app()
    client = TestClient(app)
    for value in ('Basic', 'Basic ', 'Basic !!!!', 'Basic abc',
                  basic('susanhello')['Authorization'],
                  basic(b'susan:\xff\xfe')['Authorization'],
                  'Bearer ' + basic('susan:hello')['Authorization'][6:],
                  'Digest username="susan"'):
        res = await client.get('/', headers={'Authorization': value})
        assert res.status_code == 401, value
        assert 'WWW-Authenticate' in res.headers
    # none of them got as far as the verify callback
    assert app.calls == []


async def test_basic_scheme_is_case_insensitive():
    app, _ = basic_app()
    value = basic('susan:hello')['Authorization'].replace('Basic', 'bASIC')
    res = await TestClient(app).get('/', headers={'Authorization': value})
    assert (res.status_code, res.text) == (200, 'hello susan')


async def test_basic_optional():
    app, _ = basic_app()
    client = TestClient(app)
    res = await client.get('/maybe')
    assert (res.status_code, res.text) == (200, 'hello anonymous')
    res = await client.get('/maybe', headers=basic('susan:wrong'))
    assert (res.status_code, res.text) == (200, 'hello anonymous')
    res = await client.get('/maybe', headers={'Authorization': 'Basic %%%'})
    assert (res.status_code, res.text) == (200, 'hello anonymous')
    res = await client.get('/maybe', headers=basic('susan:hello'))
    assert (res.status_code, res.text) == (200, 'hello susan')


async def test_basic_realm_and_error_status():
    app, _ = basic_app(realm='My "camera"')
    res = await TestClient(app).get('/')
    assert res.headers['WWW-Authenticate'] == \
        'Basic realm="My \\"camera\\"", charset="UTF-8"'
    app, _ = basic_app(error_status=403)
    res = await TestClient(app).get('/', headers=basic('susan:no'))
    assert res.status_code == 403
    assert 'WWW-Authenticate' not in res.headers


async def test_error_handler_override():
    app, auth = basic_app()

    @auth.errorhandler
    async def refused(request):
        return {'error': 'who are you?'}, 401, {'X-Refused': 'yes'}

    client = TestClient(app)
    res = await client.get('/', headers=basic('susan:nope'))
    assert res.status_code == 401
    assert res.json == {'error': 'who are you?'}
    assert res.headers['X-Refused'] == 'yes'
    res = await client.get('/', headers=basic('susan:hello'))
    assert res.text == 'hello susan'


async def test_app_error_handler_sees_the_refusal():
    app, _ = basic_app()

    @app.errorhandler(401)
    def unauthorized(request):
        return 'please log in', 401

    res = await TestClient(app).get('/')
    assert (res.status_code, res.text) == (401, 'please log in')


async def test_sync_verify_callback_and_user_object():
    app = Microdot()
    auth = BasicAuth()

    class User:
        def __init__(self, name):
            self.name = name

    @auth.authenticate
    def verify(request, username, password):
        if password == 'secret':
            return User(username)

    @app.get('/')
    @auth
    def index(request):
        return request.g.current_user.name

    client = TestClient(app)
    res = await client.get('/', headers=basic('ann:secret'))
    assert (res.status_code, res.text) == (200, 'ann')
    res = await client.get('/', headers=basic('ann:Secret'))
    assert res.status_code == 401


def token_app(**kwargs):
    app = Microdot()
    auth = TokenAuth(**kwargs)
    app.calls = []

    @auth.authenticate
    async def verify(request, token):
        app.calls.append(token)
        for known in TOKENS:
            if compare_digest(known, token):
                return TOKENS[known]

    @app.get('/')
    @auth
    async def index(request):
        return 'hello ' + request.g.current_user

    @app.get('/maybe')
    @auth.optional
    async def maybe(request):
        return 'hello ' + str(request.g.current_user)

    return app, auth


async def test_token_good_bad_and_missing():
    app, _ = token_app()
    client = TestClient(app)
    res = await client.get('/', headers={'Authorization': 'Bearer abc123'})
    assert (res.status_code, res.text) == (200, 'hello susan')
    res = await client.get('/', headers={'Authorization': 'bearer  xyz789 '})
    assert (res.status_code, res.text) == (200, 'hello david')
    res = await client.get('/', headers={'Authorization': 'Bearer abc124'})
    assert res.status_code == 401
    assert res.headers['WWW-Authenticate'] == 'Bearer'
    res = await client.get('/')
    assert res.status_code == 401
    assert app.calls == ['abc123', 'xyz789', 'abc124']


async def test_token_malformed_headers():
    app, _ = token_app()
    client = TestClient(app)
    for value in ('Bearer', 'Bearer   ', 'abc123', 'Basic abc123',
                  'Token abc123'):
        res = await client.get('/', headers={'Authorization': value})
        assert res.status_code == 401, value
    assert app.calls == []


async def test_token_optional():
    app, _ = token_app()
    client = TestClient(app)
    res = await client.get('/maybe')
    assert res.text == 'hello None'
    res = await client.get('/maybe', headers={'Authorization': 'Bearer no'})
    assert res.text == 'hello None'
    res = await client.get('/maybe',
                           headers={'Authorization': 'Bearer xyz789'})
    assert res.text == 'hello david'


async def test_token_custom_header_and_scheme():
    app, _ = token_app(header='X-API-Key')
    client = TestClient(app)
    res = await client.get('/', headers={'X-API-Key': 'abc123'})
    assert (res.status_code, res.text) == (200, 'hello susan')
    res = await client.get('/', headers={'Authorization': 'Bearer abc123'})
    assert res.status_code == 401
    assert 'WWW-Authenticate' not in res.headers
    app, _ = token_app(scheme='Token', error_status=403)
    client = TestClient(app)
    res = await client.get('/', headers={'Authorization': 'Token xyz789'})
    assert res.text == 'hello david'
    res = await client.get('/', headers={'Authorization': 'Bearer xyz789'})
    assert res.status_code == 403


async def test_missing_verify_callback_is_a_server_error():
    app = Microdot()
    auth = TokenAuth()

    @app.get('/')
    @auth
    def index(request):
        return 'never'

    res = await TestClient(app).get('/', headers={'Authorization': 'Bearer x'})
    assert res.status_code == 500


def test_compare_digest():
    assert compare_digest('secret', 'secret')
    assert compare_digest(b'secret', 'secret')
    assert compare_digest('', '')
    assert not compare_digest('secret', 'secreT')
    assert not compare_digest('secret', 'secret1')
    assert not compare_digest('secret1', 'secret')
    assert not compare_digest('', 'x')
    assert not compare_digest('x', '')
    assert compare_digest('né', 'né'.encode())
