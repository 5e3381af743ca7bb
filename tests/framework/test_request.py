from microdot import Microdot, Request, MultiDict, NoCaseDict
from microdot.test_client import TestClient


def echo_app():
    app = Microdot()

    @app.route('/echo', methods=['GET', 'POST', 'PUT'])
    def echo(req):
        return {
            'method': req.method, 'path': req.path, 'url': req.url,
            'query_string': req.query_string,
            'args': [[k, req.args.getlist(k)] for k in sorted(req.args)],
            'ua': req.headers.get('user-agent'),
            'UA': req.headers['User-Agent'] if 'USER-AGENT' in req.headers
            else None,
            'cookies': req.cookies, 'json': req.json,
            'form': None if req.form is None else
            [[k, req.form.getlist(k)] for k in sorted(req.form)],
            'body': req.body.decode(), 'content_type': req.content_type,
            'content_length': req.content_length,
            'client': req.client_addr[0], 'http_version': req.http_version,
        }

    return app


async def test_request_attributes():
    client = TestClient(echo_app())
    res = await client.get('/echo?a=1&b=x+y&a=%C3%A9&flag',
                           headers={'User-Agent': 'tester/1.0',
                                    'Cookie': 'one=1; two=2'})
    data = res.json
    assert data['method'] == 'GET'
    assert data['path'] == '/echo'
    assert data['url'] == '/echo?a=1&b=x+y&a=%C3%A9&flag'
    assert data['query_string'] == 'a=1&b=x+y&a=%C3%A9&flag'
    assert data['args'] == [['a', ['1', '\u00e9']], ['b', ['x y']],
                            ['flag', ['']]]
    assert data['ua'] == 'tester/1.0'
    assert data['UA'] == 'tester/1.0'
    assert data['cookies'] == {'one': '1', 'two': '2'}
    assert data['json'] is None and data['form'] is None
    assert data['client'] == '127.0.0.1'
    assert data['http_version'] == '1.1'
    data = (await client.get('/echo')).json  # no '?': None, as in Microdot
    assert data['query_string'] is None and data['args'] == []


async def test_json_form_and_raw_bodies():
    client = TestClient(echo_app())
    data = (await client.post('/echo', body={'x': [1, 2]})).json
    assert data['json'] == {'x': [1, 2]}
    assert data['content_type'] == 'application/json'
    assert data['content_length'] == 13
    data = (await client.post('/echo', body='a=1&a=2&b=%26', headers={
        'Content-Type': 'application/x-www-form-urlencoded'})).json
    assert data['form'] == [['a', ['1', '2']], ['b', ['&']]]
    data = (await client.put('/echo', body=b'raw bytes')).json
    assert data['body'] == 'raw bytes'
    assert data['json'] is None


async def test_invalid_json_is_400():
    client = TestClient(echo_app())
    res = await client.post('/echo', body='{not json',
                            headers={'Content-Type': 'application/json'})
    assert res.status_code == 400
    assert 'JSON' in res.text


async def test_body_limits():
    app = Microdot()

    @app.post('/size')
    async def size(req):
        if req.body:
            return 'body %d' % len(req.body)
        total = 0
        while True:
            data = await req.stream.read(100)
            if not data:
                break
            total += len(data)
        return 'stream %d' % total

    client = TestClient(app)
    assert (await client.post('/size', body=b'x' * 1000)).text == 'body 1000'
    old = Request.max_body_length, Request.max_content_length
    Request.max_body_length = 500
    try:
        res = await client.post('/size', body=b'x' * 1000)
        assert res.text == 'stream 1000'
        Request.max_content_length = 800
        res = await client.post('/size', body=b'x' * 1000)
        assert res.status_code == 413
    finally:
        Request.max_body_length, Request.max_content_length = old


async def test_g_and_request_after_request():
    app = Microdot()

    @app.before_request
    def before(req):
        req.g.user = 'susan'

    @app.get('/')
    def index(req):
        @req.after_request
        def add_header(req, res):
            res.headers['X-User'] = req.g.user
            return res
        return 'hi'

    res = await TestClient(app).get('/')
    assert res.headers['X-User'] == 'susan'


def test_multidict():
    d = MultiDict()
    d.add('a', '1')
    d.add('a', '2')
    d.add('b', 'x')
    assert d['a'] == '1'
    assert d.getlist('a') == ['1', '2']
    assert d.get('a', type=int) == 1
    assert d.get('b', type=int) is None
    assert d.get('missing', 'dflt') == 'dflt'
    assert d.getlist('missing') == []
    d['a'] = '3'  # adds, as in Microdot
    assert d.getlist('a') == ['1', '2', '3']
    del d['a']
    assert 'a' not in d and d.getlist('a') == []
    d['a'] = '4'
    assert d.getlist('a') == ['4']
    del d['b']
    assert 'b' not in d


def test_nocasedict_keeps_the_case_a_key_was_first_set_in():
    d = NoCaseDict()
    d['Content-Type'] = 'a'
    d['content-type'] = 'b'
    assert list(d.items()) == [('Content-Type', 'b')]
    assert d == {'CONTENT-TYPE': 'b'} and d != {'Content-Type': 'c'}
    del d['CONTENT-type']
    assert d == {} and 'content-type' not in d
    d.update({'X-A': '1'})
    assert list(d) == ['X-A'] and d['x-a'] == '1'


def test_nocasedict():
    d = NoCaseDict({'Content-Type': 'text/html'})
    assert d['content-type'] == 'text/html'
    assert d.get('CONTENT-TYPE') == 'text/html'
    assert 'Content-type' in d
    d['X-A'] = '1'
    del d['x-a']
    assert 'X-A' not in d
    assert d.get('nope', 5) == 5
