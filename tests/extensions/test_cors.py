from microdot import Microdot, Response, abort
from microdot.cors import CORS
from microdot.test_client import TestClient
from support import Serving, parse

SITE = 'https://site.example'
OTHER = 'https://other.example'


def make_app():
    app = Microdot()

    @app.route('/api', methods=['GET', 'POST'])
    def api(req):
        return {'ok': True}, {'X-Total': '3'}

    @app.get('/abort')
    def aborted(req):
        abort(409, 'busy')

    @app.get('/crash')
    def crash(req):
        raise KeyError('boom')

    @app.get('/varied')
    def varied(req):
        return 'text', {'Vary': 'Accept-Encoding'}

    @app.route('/custom', methods=['OPTIONS'])
    def custom_options(req):
        return '', 200, {'X-Custom': 'yes'}

    return app


def preflight(origin, method='PUT', headers=None):
    request = {'Origin': origin, 'Access-Control-Request-Method': method}
    if headers:
        request['Access-Control-Request-Headers'] = headers
    return request


def cors_headers(res):
    return {name.lower(): res.headers[name] for name in res.headers
            if name.lower().startswith('access-control-')}


async def test_preflight_from_allowed_origin():
    app = make_app()
    CORS(app, allowed_origins=[SITE], allowed_headers=['X-Token', 'X-Id'],
         max_age=600)
    res = await TestClient(app).request(
        'OPTIONS', '/api', preflight(SITE, 'POST', 'x-token'))
    assert res.status_code == 200
    # as Microdot: the method asked for, the headers asked for and allowed
    assert cors_headers(res) == {
        'access-control-allow-origin': SITE,
        'access-control-allow-methods': 'POST',
        'access-control-allow-headers': 'x-token',
        'access-control-max-age': '600',
    }
    assert res.headers['Vary'] == 'Origin'
    assert res.headers['Allow'] == 'GET, POST, HEAD, OPTIONS'


async def test_preflight_defaults_echo_the_requested_headers():
    app = make_app()
    CORS(app, allowed_origins=[SITE], allowed_methods=['GET', 'PUT'])
    res = await TestClient(app).request(
        'OPTIONS', '/api', preflight(SITE, 'PUT', 'content-type, x-a'))
    assert res.status_code == 200
    assert res.headers['Access-Control-Allow-Methods'] == 'PUT'
    assert res.headers['Access-Control-Allow-Headers'] == 'content-type, x-a'
    # a method not allowed: neither methods nor headers listed
    res = await TestClient(app).request(
        'OPTIONS', '/api', preflight(SITE, 'POST', 'x-a'))
    assert 'Access-Control-Allow-Methods' not in res.headers
    assert 'Access-Control-Allow-Headers' not in res.headers
    assert 'Access-Control-Max-Age' not in res.headers
    # no headers asked for, none listed
    res = await TestClient(app).request('OPTIONS', '/api', preflight(SITE))
    assert 'Access-Control-Allow-Headers' not in res.headers


async def test_preflight_from_other_origin_gets_no_cors_headers():
    app = make_app()
    CORS(app, allowed_origins=[SITE], allow_credentials=True, max_age=60)
    res = await TestClient(app).request(
        'OPTIONS', '/api', preflight(OTHER, 'PUT', 'x-token'))
    assert res.status_code == 200
    assert cors_headers(res) == {}
    assert 'Vary' not in res.headers  # as Microdot: no CORS, no Vary


async def test_no_allowed_origins_allows_none():
    app = make_app()
    CORS(app)
    res = await TestClient(app).request('OPTIONS', '/api', preflight(SITE))
    assert cors_headers(res) == {}
    res = await TestClient(app).get('/api', {'Origin': SITE})
    assert res.status_code == 200 and cors_headers(res) == {}


async def test_preflight_to_unknown_url_is_404():
    app = make_app()
    CORS(app, allowed_origins=[SITE])
    res = await TestClient(app).request('OPTIONS', '/nowhere',
                                        preflight(SITE))
    # the browser fails a preflight answered with no 2xx status
    assert res.status_code == 404
    assert res.headers['Access-Control-Allow-Origin'] == SITE


async def test_preflight_to_an_options_route_goes_through_the_hooks():
    app = make_app()
    CORS(app, allowed_origins=[SITE])
    res = await TestClient(app).request(
        'OPTIONS', '/custom', preflight(SITE, 'DELETE', 'x-a'))
    assert res.status_code == 200 and res.headers['X-Custom'] == 'yes'
    assert cors_headers(res) == {
        'access-control-allow-origin': SITE,
        'access-control-allow-methods': 'DELETE',
        'access-control-allow-headers': 'x-a',
    }


async def test_app_options_handler_is_kept():
    app = make_app()
    app.options_handler = lambda req, allowed: (
        '', 200, {'Allow': ','.join(allowed), 'X-Mine': '1'})
    CORS(app, allowed_origins=[SITE])
    res = await TestClient(app).request('OPTIONS', '/api', preflight(SITE))
    assert res.status_code == 200 and res.headers['X-Mine'] == '1'
    assert res.headers['Allow'] == 'GET,POST,HEAD,OPTIONS'
    assert res.headers['Access-Control-Allow-Origin'] == SITE


async def test_plain_options_request_is_not_a_preflight():
    app = make_app()
    CORS(app, allowed_origins=[SITE], expose_headers=['X-Total'])
    res = await TestClient(app).request('OPTIONS', '/api', {'Origin': SITE})
    assert res.status_code == 200
    assert cors_headers(res) == {
        'access-control-allow-origin': SITE,
        'access-control-expose-headers': 'X-Total',
    }


async def test_actual_request_from_allowed_origin():
    app = make_app()
    CORS(app, allowed_origins=[SITE, OTHER], allow_credentials=True,
         expose_headers=['X-Total', 'X-Page'], max_age=60)
    client = TestClient(app)
    for origin in (SITE, OTHER):
        res = await client.post('/api', {'Origin': origin}, body='x')
        assert res.status_code == 200 and res.json == {'ok': True}
        assert cors_headers(res) == {
            'access-control-allow-origin': origin,
            'access-control-allow-credentials': 'true',
            'access-control-expose-headers': 'X-Total, X-Page',
        }
        assert res.headers['Vary'] == 'Origin'


async def test_actual_request_from_other_origin_or_none():
    app = make_app()
    CORS(app, allowed_origins=[SITE], allow_credentials=True,
         expose_headers=['X-Total'])
    client = TestClient(app)
    for headers in ({'Origin': OTHER}, {'Origin': 'null'},
                    {'Origin': SITE + '.evil'}, {}):
        res = await client.get('/api', headers)
        assert res.status_code == 200 and res.json == {'ok': True}
        assert cors_headers(res) == {}
        assert 'Vary' not in res.headers  # as Microdot: no CORS, no Vary


async def test_wildcard_echoes_an_origin_and_is_a_star_without_one():
    app = make_app()
    CORS(app, allowed_origins='*', expose_headers=['X-Total'])
    client = TestClient(app)
    for headers, origin in (({'Origin': OTHER}, OTHER), ({}, '*')):
        res = await client.get('/api', headers)
        assert res.headers['Access-Control-Allow-Origin'] == origin
        assert res.headers['Access-Control-Expose-Headers'] == 'X-Total'
        assert 'Access-Control-Allow-Credentials' not in res.headers
        assert res.headers.get('Vary') == ('Origin' if origin == OTHER
                                           else None)
    res = await client.request('OPTIONS', '/api', preflight(OTHER))
    assert res.headers['Access-Control-Allow-Origin'] == OTHER


async def test_wildcard_with_credentials_echoes_the_origin():
    app = make_app()
    CORS(app, allowed_origins=['*'], allow_credentials=True)
    client = TestClient(app)
    for res in (await client.get('/api', {'Origin': OTHER}),
                await client.request('OPTIONS', '/api', preflight(OTHER))):
        assert res.headers['Access-Control-Allow-Origin'] == OTHER
        assert res.headers['Access-Control-Allow-Credentials'] == 'true'
        assert res.headers['Vary'] == 'Origin'
    # without an Origin there is nothing to echo, and never '*'
    res = await client.get('/api')
    assert cors_headers(res) == {} and 'Vary' not in res.headers


async def test_error_responses_carry_cors_headers():
    app = make_app()

    @app.errorhandler(404)
    def not_found(req):
        return {'error': 'no such page'}, 404

    CORS(app, allowed_origins=[SITE], allow_credentials=True)
    client = TestClient(app)
    for method, path, status in (('GET', '/nowhere', 404),
                                 ('GET', '/abort', 409),
                                 ('GET', '/crash', 500),
                                 ('DELETE', '/api', 405)):
        res = await client.request(method, path, {'Origin': SITE})
        assert res.status_code == status
        assert res.headers['Access-Control-Allow-Origin'] == SITE
        assert res.headers['Access-Control-Allow-Credentials'] == 'true'
        assert res.headers['Vary'] == 'Origin'
    assert res.headers['Allow'] == 'GET, POST, HEAD, OPTIONS'


async def test_vary_is_added_to_the_handlers_vary():
    app = make_app()
    CORS(app, allowed_origins=[SITE])
    res = await TestClient(app).get('/varied', {'Origin': SITE})
    assert res.headers['Vary'] == 'Accept-Encoding, Origin'
    assert res.headers['Access-Control-Allow-Origin'] == SITE


async def test_initialize_later_and_handle_cors_false():
    app = make_app()
    cors = CORS(allowed_origins=[SITE])
    res = await TestClient(app).get('/api', {'Origin': SITE})
    assert cors_headers(res) == {}
    cors.initialize(app)
    res = await TestClient(app).get('/api', {'Origin': SITE})
    assert res.headers['Access-Control-Allow-Origin'] == SITE

    app = make_app()
    cors = CORS(app, allowed_origins=[SITE], handle_cors=False)
    res = await TestClient(app).request('OPTIONS', '/api', preflight(SITE))
    assert cors_headers(res) == {} and 'Vary' not in res.headers
    assert cors.allows(SITE) and not cors.allows(OTHER)

    @app.after_request
    def by_hand(req, res):
        res.headers.update(cors.get_cors_headers(req))

    res = await TestClient(app).get('/api', {'Origin': SITE})
    assert res.headers['Access-Control-Allow-Origin'] == SITE


async def test_handlers_that_took_the_connection_still_work():
    app = Microdot()
    CORS(app, allowed_origins=[SITE])

    @app.get('/taken')
    async def taken(req):
        await req.conn.send(b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi')
        return Response.already_handled

    res = await TestClient(app).get('/taken', {'Origin': SITE})
    assert res.text == 'hi' and cors_headers(res) == {}


async def test_preflight_and_request_over_a_socket():
    app = make_app()
    CORS(app, allowed_origins=[SITE], allowed_headers=['X-Token'],
         max_age=30)
    async with Serving(app) as server:
        res = await server.ask(
            b'OPTIONS /api HTTP/1.1\r\nHost: x\r\nOrigin: ' + SITE.encode() +
            b'\r\nAccess-Control-Request-Method: POST\r\n'
            b'Access-Control-Request-Headers: x-token\r\n\r\n')
        assert res.status_code == 200
        assert res.headers['Access-Control-Allow-Origin'] == SITE
        assert res.headers['Access-Control-Allow-Methods'] == 'POST'
        assert res.headers['Access-Control-Allow-Headers'] == 'x-token'
        assert res.headers['Access-Control-Max-Age'] == '30'
        res = await server.ask(
            b'POST /api HTTP/1.1\r\nHost: x\r\nOrigin: ' + OTHER.encode() +
            b'\r\nContent-Length: 0\r\n\r\n')
        assert res.status_code == 200 and res.json == {'ok': True}
        assert 'Access-Control-Allow-Origin' not in res.headers


async def test_a_malformed_request_still_gets_its_400():
    # the after-error hook runs without a request: CORS has nothing to add
    app = make_app()
    CORS(app, allowed_origins=[SITE])
    async with Serving(app) as server:
        data = await server.exchange(b'GET /api HTTP/1.1\r\nHost: x\r\n'
                                     b'Bad Header: 1\r\n\r\n')
    res = parse(data)
    assert res.status_code == 400
    assert res.text == 'Bad Request: malformed header line'
