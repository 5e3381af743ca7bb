from microdot import Microdot
from microdot.cors import CORS
from microdot.csrf import CSRF
from microdot.test_client import TestClient
from support import Serving

OWN = 'http://example.com'  # the TestClient's default scheme and Host
TRUSTED = 'https://app.trusted'
EVIL = 'https://evil.example'


def make_app(cors_origins=None, **kwargs):
    app = Microdot()
    cors = CORS(app, allowed_origins=cors_origins) if cors_origins else None
    csrf = CSRF(app, cors, **kwargs)

    @app.route('/item', methods=['GET', 'POST', 'PUT', 'PATCH', 'DELETE'])
    def item(req):
        return req.method.lower()

    @app.post('/webhook')
    @csrf.exempt
    def webhook(req):
        return 'hooked'

    @app.route('/guarded', methods=['GET', 'POST'])
    @csrf.protect
    def guarded(req):
        return 'guarded'

    return app


def site(value, origin=None):
    headers = {'Sec-Fetch-Site': value}
    if origin:
        headers['Origin'] = origin
    return headers


async def test_unsafe_methods_from_another_site_are_refused():
    client = TestClient(make_app())
    for method in ('POST', 'PUT', 'PATCH', 'DELETE'):
        res = await client.request(method, '/item',
                                   site('cross-site', EVIL))
        assert res.status_code == 403, method
        assert res.text == 'Forbidden: cross-site request'
    # a value the check does not know counts as another site
    res = await client.post('/item', site('elsewhere', EVIL))
    assert res.status_code == 403


async def test_safe_methods_pass():
    client = TestClient(make_app())
    for method in ('GET', 'HEAD', 'OPTIONS'):
        res = await client.request(method, '/item', site('cross-site', EVIL))
        assert res.status_code in (200, 204), method
    assert (await client.get('/item', site('cross-site', EVIL))).text == 'get'


async def test_same_origin_and_user_initiated_requests_pass():
    client = TestClient(make_app())
    for value in ('same-origin', 'none'):
        res = await client.put('/item', site(value, OWN))
        assert (res.status_code, res.text) == (200, 'put')
    # Sec-Fetch-Site decides; the Origin header is not needed
    res = await client.delete('/item', site('same-origin'))
    assert res.text == 'delete'


async def test_same_site_passes_only_with_allow_subdomains():
    sub = 'http://api.example.com'
    res = await TestClient(make_app()).post('/item', site('same-site', sub))
    assert res.status_code == 403
    res = await TestClient(make_app(allow_subdomains=True)).post(
        '/item', site('same-site', sub))
    assert res.text == 'post'


async def test_origins_allowed_by_cors_are_trusted():
    client = TestClient(make_app([TRUSTED]))
    res = await client.post('/item', site('cross-site', TRUSTED))
    assert res.text == 'post'
    assert res.headers['Access-Control-Allow-Origin'] == TRUSTED
    res = await client.post('/item', site('same-site', TRUSTED))
    assert res.text == 'post'
    # the refused origin gets no CORS headers on its 403 either
    res = await client.post('/item', site('cross-site', EVIL))
    assert res.status_code == 403
    assert 'Access-Control-Allow-Origin' not in res.headers
    # a browser always sends Origin cross-site: without it, nothing to trust
    res = await client.post('/item', site('cross-site'))
    assert res.status_code == 403


async def test_cors_wildcard_trusts_every_origin():
    client = TestClient(make_app('*'))
    res = await client.post('/item', site('cross-site', EVIL))
    assert res.text == 'post'


async def test_origin_is_checked_when_sec_fetch_site_is_missing():
    client = TestClient(make_app([TRUSTED]))
    for origin, status in ((OWN, 200), ('HTTP://Example.COM', 200),
                           (TRUSTED, 200), (EVIL, 403),
                           ('https://example.com', 403),  # other scheme
                           ('http://example.com:8080', 403),  # other port
                           ('http://example.com.evil', 403),
                           ('http://api.example.com', 403), ('null', 403)):
        res = await client.post('/item', {'Origin': origin})
        assert res.status_code == status, origin


async def test_origin_check_uses_the_request_scheme_and_host():
    client = TestClient(make_app(), scheme='https', host='device.local:443')
    res = await client.post('/item', {'Origin': 'https://device.local'})
    assert res.text == 'post'
    res = await client.post('/item', {'Origin': 'http://device.local'})
    assert res.status_code == 403
    client = TestClient(make_app(), host='10.0.0.7:5000')
    res = await client.post('/item', {'Origin': 'http://10.0.0.7:5000'})
    assert res.text == 'post'
    res = await client.post('/item', {'Origin': 'http://10.0.0.7'})
    assert res.status_code == 403


async def test_origin_check_with_allow_subdomains():
    client = TestClient(make_app(allow_subdomains=True))
    for origin, status in (('http://api.example.com', 200),
                           ('http://a.b.example.com', 200), (OWN, 200),
                           ('http://badexample.com', 403),
                           ('https://api.example.com', 403)):
        res = await client.patch('/item', {'Origin': origin})
        assert res.status_code == status, origin


async def test_requests_without_either_header_pass():
    # not from a browser: curl, scripts, other devices
    res = await TestClient(make_app()).post('/item', body='x')
    assert res.text == 'post'


async def test_exempt_route_is_not_checked():
    client = TestClient(make_app())
    res = await client.post('/webhook', site('cross-site', EVIL))
    assert (res.status_code, res.text) == (200, 'hooked')
    res = await client.post('/webhook', {'Origin': EVIL})
    assert res.text == 'hooked'


async def test_protect_checks_safe_methods_too():
    client = TestClient(make_app())
    res = await client.get('/guarded', site('cross-site', EVIL))
    assert res.status_code == 403
    res = await client.get('/guarded', site('same-origin'))
    assert res.text == 'guarded'


async def test_protect_all_false_checks_only_protected_routes():
    client = TestClient(make_app(protect_all=False))
    res = await client.post('/item', site('cross-site', EVIL))
    assert res.text == 'post'
    for method in ('GET', 'POST'):
        res = await client.request(method, '/guarded', {'Origin': EVIL})
        assert res.status_code == 403, method
    res = await client.post('/guarded', {'Origin': OWN})
    assert res.text == 'guarded'


async def test_initialize_later_and_error_handler():
    app = Microdot()
    csrf = CSRF()

    @app.post('/save')
    def save(req):
        return 'saved'

    @app.errorhandler(403)
    def forbidden(req):
        return {'error': 'refused'}, 403

    res = await TestClient(app).post('/save', site('cross-site', TRUSTED))
    assert res.text == 'saved'
    csrf.initialize(app, CORS(allowed_origins=[TRUSTED], handle_cors=False))
    res = await TestClient(app).post('/save', site('cross-site', TRUSTED))
    assert res.text == 'saved'
    res = await TestClient(app).post('/save', site('cross-site', EVIL))
    assert (res.status_code, res.json) == (403, {'error': 'refused'})


async def test_check_over_a_socket():
    async with Serving(make_app()) as server:
        res = await server.ask(
            b'POST /item HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: ' +
            EVIL.encode() + b'\r\nContent-Length: 2\r\n\r\nab')
        assert res.status_code == 403
        res = await server.ask(
            b'POST /item HTTP/1.1\r\nHost: 127.0.0.1\r\n'
            b'Origin: http://127.0.0.1\r\nContent-Length: 2\r\n\r\nab')
        assert (res.status_code, res.text) == (200, 'post')


async def test_subdomains_of_cors_origins_with_allow_subdomains():
    client = TestClient(make_app([TRUSTED], allow_subdomains=True))
    res = await client.post('/item',
                            site('cross-site', 'https://a.app.trusted'))
    assert res.text == 'post'
    # the scheme must be the same, and a look-alike is no subdomain
    for origin in ('http://a.app.trusted', 'https://evilapp.trusted'):
        res = await client.post('/item', site('cross-site', origin))
        assert res.status_code == 403, origin
    # without allow_subdomains only the origin itself
    client = TestClient(make_app([TRUSTED]))
    res = await client.post('/item',
                            site('cross-site', 'https://a.app.trusted'))
    assert res.status_code == 403


async def test_a_checked_answer_varies_on_sec_fetch_site():
    client = TestClient(make_app())
    res = await client.post('/item', site('same-origin'))
    assert 'Sec-Fetch-Site' in res.headers['Vary']
