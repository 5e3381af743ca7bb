from microdot import Microdot, abort
from microdot.test_client import TestClient


class AppError(Exception):
    pass


class SpecificError(AppError):
    pass


def make_app():
    app = Microdot()
    app.log = []

    @app.before_request
    async def before(req):
        app.log.append('before')
        if req.args.get('deny'):
            return 'denied', 403

    @app.after_request
    def after(req, res):
        app.log.append('after')
        res.headers['X-After'] = 'yes'

    @app.after_error_request
    def after_error(req, res):
        app.log.append('after_error')
        res.headers['X-Error'] = str(res.status_code)
        return res

    @app.get('/')
    def index(req):
        app.log.append('handler')
        return 'ok'

    @app.get('/abort')
    def aborted(req):
        abort(409, 'busy now')

    @app.get('/abort-plain')
    def aborted_plain(req):
        app.abort(401)

    @app.get('/specific')
    def specific(req):
        raise SpecificError()

    @app.get('/generic')
    def generic(req):
        raise AppError()

    @app.get('/crash')
    def crash(req):
        raise KeyError('boom')

    @app.errorhandler(AppError)
    def app_error(req, exc):
        return {'error': type(exc).__name__}, 500

    @app.errorhandler(404)
    async def not_found(req):
        return {'error': 'not found'}, 404

    return app


async def test_before_and_after_hooks():
    app = make_app()
    client = TestClient(app)
    res = await client.get('/')
    assert res.text == 'ok' and res.headers['X-After'] == 'yes'
    assert app.log == ['before', 'handler', 'after']
    app.log.clear()
    res = await client.get('/?deny=1')
    assert (res.status_code, res.text) == (403, 'denied')
    assert app.log == ['before', 'after']


async def test_abort_and_error_handlers():
    app = make_app()
    client = TestClient(app)
    res = await client.get('/abort')
    assert (res.status_code, res.text) == (409, 'busy now')
    assert res.headers['X-Error'] == '409'
    assert 'X-After' not in res.headers
    res = await client.get('/abort-plain')
    assert (res.status_code, res.text) == (401, 'Unauthorized')
    res = await client.get('/missing')
    assert (res.status_code, res.json) == (404, {'error': 'not found'})
    assert res.headers['X-Error'] == '404'


async def test_exception_handlers_match_the_closest_class():
    client = TestClient(make_app())
    assert (await client.get('/specific')).json == {'error': 'SpecificError'}
    assert (await client.get('/generic')).json == {'error': 'AppError'}
    res = await client.get('/crash')
    assert (res.status_code, res.text) == (500, 'Internal server error')


async def test_broken_error_handler_still_answers_500():
    app = Microdot()

    @app.errorhandler(404)
    def broken(req):
        raise RuntimeError('handler bug')

    res = await TestClient(app).get('/x')
    assert res.status_code == 500
