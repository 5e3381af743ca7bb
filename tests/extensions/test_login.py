import time

from microdot import Microdot
from microdot.login import Login
from microdot.session import Session
from microdot.test_client import TestClient

SECRET = 'top-secret'


class User:
    def __init__(self, id, name, password):
        self.id = id
        self.name = name
        self.password = password


def login_app(login_url='/login', sync_loader=False):
    app = Microdot()
    Session(app, secret_key=SECRET)
    login = Login(login_url)
    app.users = {1: User(1, 'susan', 'hello'), 2: User(2, 'david', 'bye')}
    app.loaded = []

    def load(user_id):
        app.loaded.append(user_id)
        return app.users.get(user_id)

    if sync_loader:
        login.user_loader(load)
    else:
        @login.user_loader
        async def load_async(user_id):
            return load(user_id)

    @app.post(login_url)
    async def do_login(request):
        form = request.form
        for user in app.users.values():
            if user.name == form.get('name') and \
                    user.password == form.get('password'):
                remember = form.get('remember')
                if remember == 'yes':
                    remember = True
                elif remember:
                    remember = int(remember)
                return await login.login_user(request, user, remember,
                                              redirect_url='/home')
        return 'bad credentials', 401

    @app.get('/secret')
    @login
    async def secret(request):
        return 'secret of ' + request.g.current_user.name

    @app.get('/items/<int:number>')
    @login
    def item(request, number):
        return '{} has item {}'.format(request.g.current_user.name, number)

    @app.get('/fresh')
    @login.fresh
    async def fresh(request):
        return 'fresh ' + request.g.current_user.name

    @app.post('/logout')
    @login
    async def logout(request):
        await login.logout_user(request)
        return 'logged out'

    @app.get('/who')
    async def who(request):
        user = await login.get_current_user(request)
        return user.name if user else 'nobody'

    app.login = login
    return app


def form(name, password, remember=None):
    body = 'name={}&password={}'.format(name, password)
    if remember:
        body += '&remember=' + remember
    return {'Content-Type': 'application/x-www-form-urlencoded'}, body


async def log_in(client, name='susan', password='hello', remember=None,
                 url='/login'):
    headers, body = form(name, password, remember)
    return await client.post(url, headers=headers, body=body)


def set_cookies(res):
    cookies = res.headers.get('Set-Cookie', [])
    return cookies if isinstance(cookies, list) else [cookies]


async def test_login_required_redirects_with_next():
    client = TestClient(login_app())
    res = await client.get('/secret')
    assert res.status_code == 302
    assert res.headers['Location'] == '/login?next=/secret'
    res = await client.get('/items/3?a=1&b=x%20y')
    assert res.headers['Location'] == \
        '/login?next=/items/3%3Fa%3D1%26b%3Dx%2520y'
    res = await client.get('/fresh')
    assert res.headers['Location'] == '/login?next=/fresh'


async def test_login_and_logout():
    app = login_app()
    client = TestClient(app)
    res = await log_in(client, password='wrong')
    assert res.status_code == 401
    assert 'session' not in client.cookies
    res = await log_in(client)
    assert (res.status_code, res.headers['Location']) == (302, '/home')
    assert 'session' in client.cookies and '_remember' not in client.cookies
    res = await client.get('/secret')
    assert (res.status_code, res.text) == (200, 'secret of susan')
    res = await client.get('/items/7')
    assert res.text == 'susan has item 7'
    res = await client.get('/fresh')
    assert (res.status_code, res.text) == (200, 'fresh susan')
    assert app.loaded == [1, 1, 1]
    res = await client.post('/logout')
    assert res.text == 'logged out'
    res = await client.get('/secret')
    assert (res.status_code, res.headers['Location']) == \
        (302, '/login?next=/secret')
    res = await client.get('/who')
    assert res.text == 'nobody'


async def test_login_goes_to_next():
    client = TestClient(login_app())
    res = await client.get('/items/3?a=1&b=%C3%A9')
    res = await log_in(client, url=res.headers['Location'])
    assert (res.status_code, res.headers['Location']) == \
        (302, '/items/3?a=1&b=%C3%A9')
    res = await client.get(res.headers['Location'])
    assert res.text == 'susan has item 3'
    # "+", "#" and raw non-ASCII survive the trip through `next` too
    for url in ('/items/4?q=a+b&c=%2B#top', '/items/5?name=\u00e9'):
        res = await TestClient(login_app()).get(url)
        res = await log_in(client, url=res.headers['Location'])
        assert res.headers['Location'] == url, url


async def test_next_must_be_a_local_path():
    client = TestClient(login_app())
    for next_url in ('//evil.example', 'http://evil.example/',
                     '/\\evil.example', '%2F%2Fevil.example',
                     '/%09/evil.example', 'javascript:alert(1)', ''):
        res = await log_in(client, url='/login?next=' + next_url)
        assert (res.status_code, res.headers['Location']) == \
            (302, '/home'), next_url


async def test_sync_loader_and_custom_login_url():
    client = TestClient(login_app(login_url='/auth/in?lang=en',
                                  sync_loader=True))
    res = await client.get('/secret')
    assert res.headers['Location'] == '/auth/in?lang=en&next=/secret'
    client = TestClient(login_app(login_url='/signin', sync_loader=True))
    await log_in(client, 'david', 'bye', url='/signin')
    res = await client.get('/secret')
    assert res.text == 'secret of david'


async def test_deleted_user_is_logged_out():
    app = login_app()
    client = TestClient(app)
    await log_in(client)
    del app.users[1]
    res = await client.get('/secret')
    assert res.status_code == 302


async def test_remember_me():
    app = login_app()
    client = TestClient(app)
    res = await log_in(client, remember='yes')
    remember = [c for c in set_cookies(res) if c.startswith('_remember=')]
    assert len(remember) == 1
    assert 'Max-Age=2592000' in remember[0] and 'HttpOnly' in remember[0]
    assert '_remember' in client.cookies
    # the browser is closed: the session cookie goes, the other one stays
    del client.cookies['session']
    res = await client.get('/secret')
    assert (res.status_code, res.text) == (200, 'secret of susan')
    assert 'session' in client.cookies  # logged back in, in a new session
    res = await client.get('/fresh')
    assert (res.status_code, res.headers['Location']) == \
        (302, '/login?next=/fresh')
    res = await log_in(client, url='/login?next=/fresh')
    res = await client.get('/fresh')
    assert (res.status_code, res.text) == (200, 'fresh susan')


async def test_remember_days():
    client = TestClient(login_app())
    res = await log_in(client, remember='7')
    remember = [c for c in set_cookies(res) if c.startswith('_remember=')]
    assert 'Max-Age=604800' in remember[0]


async def test_logout_forgets_remember_cookie():
    client = TestClient(login_app())
    await log_in(client, remember='yes')
    res = await client.post('/logout')
    assert any(c.startswith('_remember=;') and 'Max-Age=0' in c
               for c in set_cookies(res))
    assert '_remember' not in client.cookies
    # logging out emptied the session, so its cookie went too: as if the
    # browser had been closed, only a remember cookie could log back in
    assert 'session' not in client.cookies
    res = await client.get('/secret')
    assert res.status_code == 302


async def test_bad_remember_cookies_are_ignored():
    app = login_app()
    client = TestClient(app)
    await log_in(client, remember='yes')
    good = client.cookies['_remember']
    session_cookie = client.cookies['session']
    sessions = Session(secret_key=SECRET)
    # the remember cookie's own key, derived from the secret key and its name
    remember_key = sessions.sign(app.login.remember_cookie)
    expired = sessions.encode({'_user_id': 1, 'exp': time.time() - 10},
                              remember_key)
    header, payload, signature = good.split('.')
    forged = sessions.encode({'_user_id': 2, 'exp': 4102444800})
    for value in (expired, forged, header + '.' + payload + '.',
                  header + '.' + payload + '.' + signature[1:] + signature[0],
                  session_cookie, 'junk', ''):
        client = TestClient(app, cookies={'_remember': value})
        res = await client.get('/secret')
        assert res.status_code == 302, value
        assert 'session' not in client.cookies
    # and a remember token is not a session
    client = TestClient(app, cookies={'session': good})
    res = await client.get('/who')
    assert res.text == 'nobody'
    client = TestClient(app, cookies={'_remember': good})
    res = await client.get('/who')
    assert res.text == 'susan'
