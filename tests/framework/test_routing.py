from microdot import Microdot, URLPattern
from microdot.test_client import TestClient


def make_app():
    app = Microdot()

    @app.route('/')
    def index(req):
        return 'index'

    @app.get('/users/<name>')
    def user(req, name):
        return 'user ' + name

    @app.get('/items/<int:id>')
    def item(req, id):
        return {'id': id, 'type': type(id).__name__}

    @app.get('/files/<path:path>')
    def files(req, path):
        return 'path ' + path

    @app.get('/re/<re:[a-c]+(x|y)?:word>/<int:n>')
    def regex(req, word, n):
        return word + str(n)

    @app.route('/multi', methods=['GET', 'POST'])
    def multi(req):
        return req.method

    @app.put('/put')
    def put(req):
        return 'put'

    @app.patch('/patch')
    def patch(req):
        return 'patch'

    @app.delete('/delete')
    def delete(req):
        return 'delete'

    @app.post('/post')
    async def post(req):
        return 'post'

    return app


async def test_static_and_dynamic_routes():
    client = TestClient(make_app())
    assert (await client.get('/')).text == 'index'
    assert (await client.get('/users/susan')).text == 'user susan'
    res = await client.get('/items/42')
    assert res.json == {'id': 42, 'type': 'int'}
    assert (await client.get('/items/-3')).json['id'] == -3
    assert (await client.get('/items/abc')).status_code == 404
    assert (await client.get('/files/a/b/c.txt')).text == 'path a/b/c.txt'
    assert (await client.get('/re/abcx/7')).text == 'abcx7'
    assert (await client.get('/re/abd/7')).status_code == 404


async def test_path_is_url_decoded_before_matching():
    client = TestClient(make_app())
    res = await client.get('/users/J%C3%BCrgen%20M')
    assert res.text == 'user J\u00fcrgen M'


async def test_methods():
    client = TestClient(make_app())
    assert (await client.get('/multi')).text == 'GET'
    assert (await client.post('/multi')).text == 'POST'
    assert (await client.put('/put')).text == 'put'
    assert (await client.patch('/patch')).text == 'patch'
    assert (await client.delete('/delete')).text == 'delete'
    assert (await client.post('/post')).text == 'post'


async def test_404_and_405_with_allow():
    client = TestClient(make_app())
    res = await client.get('/nowhere')
    assert res.status_code == 404
    assert res.text == 'Not found'
    res = await client.delete('/multi')
    assert res.status_code == 405
    assert res.headers['Allow'] == 'GET, POST, HEAD, OPTIONS'


async def test_head_answers_get_routes_without_body():
    client = TestClient(make_app())
    res = await client.request('HEAD', '/users/bob')
    assert res.status_code == 200
    assert res.headers['Content-Length'] == '8'
    assert res.body is None  # as Microdot's test client gives it
    assert (await client.request('HEAD', '/post')).status_code == 405


async def test_automatic_options():
    client = TestClient(make_app())
    res = await client.request('OPTIONS', '/multi')
    assert res.status_code == 200  # as Microdot answers
    assert res.headers['Allow'] == 'GET, POST, HEAD, OPTIONS'
    assert (await client.request('OPTIONS', '/nowhere')).status_code == 404


async def test_custom_segment_type():
    def hex_parser(value):
        try:
            return int(value, 16)
        except ValueError:
            return None

    URLPattern.register_type('hex', parser=hex_parser)
    URLPattern.register_type('even', pattern='[0-9]*[02468]', parser=int)
    app = Microdot()

    @app.get('/hex/<hex:n>')
    def hexa(req, n):
        return str(n)

    @app.get('/even/<even:n>')
    def even(req, n):
        return str(n * 2)

    client = TestClient(app)
    assert (await client.get('/hex/ff')).text == '255'
    assert (await client.get('/hex/zz')).status_code == 404
    assert (await client.get('/even/14')).text == '28'
    assert (await client.get('/even/13')).status_code == 404


def test_url_pattern_match():
    pattern = URLPattern('/a/<x>/b/<int:y>')
    assert pattern.match('/a/1/b/2') == {'x': '1', 'y': 2}
    assert pattern.match('/a/1/b/x') is None
    assert pattern.match('/a/1/b/2/') is None
    assert URLPattern('/static.txt').match('/static.txt') == {}
    assert URLPattern('/a.b').match('/aXb') is None
    try:
        URLPattern('/<nosuchtype:x>').compile()
    except ValueError as exc:
        assert 'nosuchtype' in str(exc)
    else:
        assert False, 'unknown type accepted'


async def test_mount_with_prefix_and_global_hooks():
    sub = Microdot()

    @sub.get('/')
    def sub_index(req):
        return 'sub ' + req.url_prefix

    @sub.before_request
    def mark(req):
        req.g.marked = True

    @sub.errorhandler(404)
    def sub_404(req):
        return 'sub 404', 404

    app = make_app()

    @app.get('/check')
    def check(req):
        return 'marked' if getattr(req.g, 'marked', False) else 'plain'

    app.mount(sub, url_prefix='/sub')
    client = TestClient(app)
    assert (await client.get('/sub/')).text == 'sub /sub'
    assert (await client.get('/check')).text == 'marked'
    assert (await client.get('/nowhere')).text == 'sub 404'


async def test_mount_local_hooks_apply_to_subapp_only():
    sub = Microdot()

    @sub.get('/here')
    def here(req):
        return 'marked' if getattr(req.g, 'marked', False) else 'plain'

    @sub.before_request
    def mark(req):
        req.g.marked = True

    @sub.errorhandler(ZeroDivisionError)
    def zero(req, exc):
        return 'sub zero', 500

    @sub.get('/zero')
    def div(req):
        return 1 // 0

    app = Microdot()

    @app.get('/there')
    def there(req):
        return 'marked' if getattr(req.g, 'marked', False) else 'plain'

    app.mount(sub, url_prefix='/s', local=True)
    client = TestClient(app)
    assert (await client.get('/s/here')).text == 'marked'
    assert (await client.get('/there')).text == 'plain'
    assert (await client.get('/s/zero')).text == 'sub zero'
