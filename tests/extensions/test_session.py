import binascii
import json
import time

from microdot import Microdot
from microdot.session import Session, SessionDict, with_session, hmac_sha256
from microdot.test_client import TestClient

try:
    import hmac  # CPython only: an independent HMAC to check ours against
    import hashlib
except ImportError:
    hmac = None

SECRET = 'top-secret'
# Made with CPython's hmac module: {"user":"susan"} signed with SECRET
SUSAN_TOKEN = ('eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyIjoic3VzYW4ifQ.'
               'loYcn8nO0YbF2MzEJ8zkF3caOmc8ipE_eiyuNVTaJiQ')
# The same, with other spacing and order, and an "exp" in 2100
DAVID_TOKEN = ('eyJ0eXAiOiAiSldUIiwgImFsZyI6ICJIUzI1NiJ9.eyJ1c2VyIjogImRhdmlk'
               'IiwgImV4cCI6IDQxMDI0NDQ4MDB9.T8OXgyPAOJYocShA7ck0xEamWhE8zenv6'
               'OGgj2eeNmo')


def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    text = binascii.b2a_base64(data).decode().strip().rstrip('=')
    return text.replace('+', '-').replace('/', '_')


def unb64url(text):
    text = text.replace('-', '+').replace('_', '/')
    return binascii.a2b_base64(text + '=' * (-len(text) % 4))


def sign(header, payload, key=SECRET):
    """A token with any header and payload text, signed with `key`."""
    signed = b64url(header) + '.' + b64url(payload)
    return signed + '.' + b64url(hmac_sha256(key.encode(), signed.encode()))


def session_app(**kwargs):
    app = Microdot()
    Session(app, secret_key=SECRET, **kwargs)

    @app.get('/')
    @with_session
    def show(request, session):
        return dict(session.items())  # dict(subclass) fails on MicroPython

    @app.get('/set/<name>')
    @with_session
    async def set_name(request, session, name):
        session['user'] = name
        session.save()
        return 'saved ' + name

    @app.get('/logout')
    @with_session
    async def logout(request, session):
        session.delete()
        return 'bye'

    return app


def cookies_of(res):
    cookies = res.headers.get('Set-Cookie', [])
    return cookies if isinstance(cookies, list) else [cookies]


def test_hmac_rfc4231_vectors():
    assert binascii.hexlify(hmac_sha256(b'\x0b' * 20, b'Hi There')) == \
        b'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'
    # a key longer than the 64-byte block is hashed first
    assert binascii.hexlify(hmac_sha256(
        b'\xaa' * 131,
        b'Test Using Larger Than Block-Size Key - Hash Key First')) == \
        b'60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54'


def test_hmac_rfc7515_jws_example():
    # RFC 7515, appendix A.1: a JWS signed with HS256
    key = unb64url('AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKt'
                   'MN3Yj0iPS4hcgUuTwjAzZr1Z9CAow')
    signed = ('eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KI'
              'CJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290'
              'Ijp0cnVlfQ')
    assert b64url(hmac_sha256(key, signed.encode())) == \
        'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'


def test_hmac_against_cpython_hmac():
    if hmac is None:
        return  # MicroPython: the fixed vectors above check it
    for length in (0, 1, 32, 63, 64, 65, 100, 200):
        key = bytes(range(length % 256)) * (length // 256 + 1)
        key = key[:length]
        message = b'message %d' % length
        assert hmac_sha256(key, message) == \
            hmac.new(key, message, hashlib.sha256).digest()


def test_encode_is_a_hs256_jwt():
    sessions = Session(secret_key=SECRET)
    token = sessions.encode({'user': 'susan'})
    assert token == SUSAN_TOKEN
    header, payload, signature = token.split('.')
    assert json.loads(unb64url(header)) == {'alg': 'HS256', 'typ': 'JWT'}
    assert json.loads(unb64url(payload)) == {'user': 'susan'}
    assert '=' not in token and '+' not in token and '/' not in token
    if hmac is not None:
        expected = hmac.new(SECRET.encode(), (header + '.' + payload).encode(),
                            hashlib.sha256).digest()
        assert unb64url(signature) == expected


def test_decode_accepts_tokens_made_elsewhere():
    sessions = Session(secret_key=SECRET)
    assert sessions.decode(SUSAN_TOKEN) == {'user': 'susan'}
    assert sessions.decode(DAVID_TOKEN) == {'user': 'david',
                                            'exp': 4102444800}
    assert Session(secret_key=SECRET.encode()).decode(SUSAN_TOKEN) == \
        {'user': 'susan'}


def test_decode_rejects_bad_tokens():
    sessions = Session(secret_key=SECRET)
    header, payload, signature = SUSAN_TOKEN.split('.')
    other = b64url('{"user":"admin"}')
    none_header = b64url('{"alg":"none","typ":"JWT"}')
    hs256 = '{"alg":"HS256","typ":"JWT"}'
    bad = [
        '', 'abc', 'a.b', 'a.b.c', 'a.b.c.d', '..', '...',
        header + '.' + payload,  # no signature
        header + '.' + payload + '.',
        header + '.' + other + '.' + signature,  # payload changed
        header + '.' + payload + '.' + signature[:-1] + 'A',
        header + '.' + payload + '.' + signature + 'A',
        header + '.' + payload + '.' + signature[:-2],
        header + '.' + payload + '.' + signature + '.' + signature,
        none_header + '.' + payload + '.',  # alg "none", unsigned
        none_header + '.' + other + '.' + signature,
        sign('{"alg":"none","typ":"JWT"}', '{"user":"admin"}'),
        sign('{"alg":"HS512","typ":"JWT"}', '{"user":"admin"}'),
        sign('{"typ":"JWT"}', '{"user":"admin"}'),
        sign('["alg","HS256"]', '{"user":"admin"}'),
        sign(hs256, '{"user":"admin"}', key='wrong-key'),
        sign(hs256, 'not json'),
        sign(hs256, '["a list"]'),
        sign('{not json', '{"user":"admin"}'),
        sign(hs256, '{"user":"admin","exp":1}'),  # expired in 1970
        sign(hs256, '{"user":"admin","exp":%d}' % (time.time() - 60)),
        sign(hs256, '{"user":"admin","exp":"2100"}'),
        sign(hs256, '{"user":"admin","exp":null}'),
        '\u00e9.\u00e9.\u00e9', '%%%.%%%.%%%', 'e30.e30.e30',
    ]
    for token in bad:
        assert sessions.decode(token) == {}, token
    assert Session(secret_key='other').decode(SUSAN_TOKEN) == {}
    # still valid: an exp in the future
    assert sessions.decode(sign(hs256, '{"user":"ann","exp":%d}' % (
        time.time() + 3600)))['user'] == 'ann'


async def test_session_round_trip():
    client = TestClient(session_app())
    res = await client.get('/')
    assert res.json == {}
    assert cookies_of(res) == []
    res = await client.get('/set/susan')
    assert res.text == 'saved susan'
    cookie, = cookies_of(res)
    value = cookie.split(';')[0][len('session='):]
    assert cookie.startswith('session=')
    assert Session(secret_key=SECRET).decode(value) == {'user': 'susan'}
    attributes = [a.strip() for a in cookie.split(';')[1:]]
    assert 'Path=/' in attributes and 'HttpOnly' in attributes
    res = await client.get('/')
    assert res.json == {'user': 'susan'}
    res = await client.get('/set/david')
    res = await client.get('/')
    assert res.json == {'user': 'david'}


async def test_session_delete():
    client = TestClient(session_app())
    await client.get('/set/susan')
    res = await client.get('/logout')
    cookie, = cookies_of(res)
    assert cookie.startswith('session=;') and 'Max-Age=0' in cookie
    assert 'Path=/' in cookie
    assert 'session' not in client.cookies
    res = await client.get('/')
    assert res.json == {}


async def test_tampered_session_cookies_are_ignored():
    app = session_app()
    header, payload, signature = SUSAN_TOKEN.split('.')
    admin = b64url('{"user":"admin"}')
    for value in (header + '.' + admin + '.' + signature,
                  b64url('{"alg":"none"}') + '.' + admin + '.',
                  sign('{"alg":"HS384"}', '{"user":"admin"}'),
                  sign('{"alg":"HS256"}', '{"user":"admin"}', key='guess'),
                  sign('{"alg":"HS256"}', '{"user":"admin","exp":1000}'),
                  'garbage', '...', ''):
        client = TestClient(app, cookies={'session': value})
        res = await client.get('/')
        assert (res.status_code, res.json) == (200, {}), value
    client = TestClient(app, cookies={'session': SUSAN_TOKEN})
    res = await client.get('/')
    assert res.json == {'user': 'susan'}


async def test_cookie_options():
    app = session_app(cookie_options={'secure': True, 'max_age': 600,
                                      'path': '/app'})
    client = TestClient(app)
    res = await client.get('/set/susan')
    cookie, = cookies_of(res)
    attributes = [a.strip() for a in cookie.split(';')[1:]]
    assert sorted(attributes) == ['HttpOnly', 'Max-Age=600', 'Path=/app',
                                  'Secure']
    res = await client.get('/logout')
    cookie, = cookies_of(res)
    assert 'Path=/app' in cookie and 'Max-Age=0' in cookie


async def test_saving_twice_sends_one_cookie():
    app = Microdot()
    sessions = Session(app, secret_key=SECRET)

    @app.get('/')
    async def index(request):
        session = sessions.get(request)
        assert sessions.get(request) is session  # one per request
        session['a'] = 1
        session.save()
        session['b'] = 2
        session.save()
        return 'ok'

    @app.get('/plain')
    def plain(request):
        sessions.update(request, {'plain': True})
        return 'ok'

    client = TestClient(app)
    res = await client.get('/')
    cookie, = cookies_of(res)
    assert sessions.decode(client.cookies['session']) == {'a': 1, 'b': 2}
    res = await client.get('/plain')
    assert sessions.decode(client.cookies['session']) == {'plain': True}


async def test_initialize_later_and_delete_with_response():
    app = Microdot()
    sessions = Session()
    sessions.initialize(app, secret_key=SECRET,
                        cookie_options={'http_only': False})

    @app.get('/set')
    @with_session
    def set_value(request, session):
        session['x'] = 'y'
        session.save()
        return 'ok'

    @app.get('/drop')
    def drop(request):
        from microdot import Response
        return sessions.delete(request, Response('dropped'))

    client = TestClient(app)
    res = await client.get('/set')
    cookie, = cookies_of(res)
    assert 'HttpOnly' not in cookie
    assert sessions.decode(client.cookies['session']) == {'x': 'y'}
    res = await client.get('/drop')
    assert res.text == 'dropped'
    assert 'session' not in client.cookies


async def test_missing_secret_key():
    app = Microdot()
    Session(app)

    @app.get('/')
    @with_session
    def index(request, session):
        return 'never'

    res = await TestClient(app).get('/')
    assert res.status_code == 500
    try:
        Session().encode({})
    except ValueError:
        pass
    else:
        assert False, 'no secret key accepted'


def test_session_dict_is_a_dict():
    session = SessionDict(None, {'a': 1})
    assert isinstance(session, dict) and session == {'a': 1}
    assert session.get('a') == 1 and session.get('b') is None


async def test_the_cookie_path_option_limits_the_session():
    app = Microdot()
    Session(app, secret_key='k' * 32, cookie_options={'path': '/admin'})

    @app.get('/admin/login')
    @with_session
    def login(req, session):
        session['user'] = 'ann'
        session.save()
        return 'in'

    @app.route('/<path:path>')
    @with_session
    def show(req, session, path):
        return str(session.get('user'))

    client = TestClient(app)
    res = await client.get('/admin/login')
    assert 'Path=/admin' in res.headers['Set-Cookie'][0]
    assert res.headers['Vary'] == 'Cookie'
    assert (await client.get('/admin/page')).text == 'ann'
    assert (await client.get('/public')).text == 'None'


async def test_without_a_secret_key_sessions_refuse_to_work():
    app = Microdot()
    sessions = Session(app)
    errors = []

    @app.get('/')
    def index(req):
        for action in (lambda: sessions.get(req),
                       lambda: sessions.update(req, {'a': 1})):
            try:
                action()
            except ValueError:
                errors.append('refused')
        return ''

    await TestClient(app).get('/')
    assert errors == ['refused', 'refused']
