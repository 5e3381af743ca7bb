"""An app made of parts, with request hooks. The API is an app of its own,
mounted under /api with `local=True`: its hook (an API key check) and its
error handler (errors as JSON) apply to its routes only, while the main
app's hooks apply to all its routes and the mounted ones: before_request
gives each request an id in `request.g` and answers 503 by itself in
maintenance mode, when no route is called; after_request and
after_error_request put the id in a header of the answer, errors
included. (Hooks run once a route is found: a URL without one is answered
404 without them.)

Run it on CPython, from this folder:

    PYTHONPATH=../../modules python main.py
    curl -i -H 'X-API-Key: k3y' http://127.0.0.1:5000/api/items/1

On a board with the framework and a network: copy main.py to it.
"""
from microdot import Microdot, abort

API_KEY = 'k3y'

# --- the API, an app of its own (it could be a module: api.py) -----------
api = Microdot()
items = {1: 'lamp', 2: 'fan'}


@api.before_request
async def check_key(request):
    if request.headers.get('X-API-Key') != API_KEY:
        return {'error': 'send the API key in X-API-Key'}, 401


@api.get('/items/<int:item_id>')
async def get_item(request, item_id):
    if item_id not in items:
        abort(404)
    return {'id': item_id, 'name': items[item_id]}


@api.errorhandler(404)
async def api_not_found(request):
    return {'error': 'no such item'}, 404


# --- the main app --------------------------------------------------------
app = Microdot()
app.mount(api, url_prefix='/api', local=True)
state = {'requests': 0, 'maintenance': False}


@app.before_request
async def count(request):
    state['requests'] += 1
    request.g.request_id = state['requests']
    if state['maintenance'] and request.path != '/maintenance':
        return 'Down for maintenance', 503  # the route is not called


@app.after_request
@app.after_error_request
async def add_request_id(request, response):
    # none for a request that found no route, or was malformed (then
    # `request` is None)
    request_id = request and getattr(request.g, 'request_id', None)
    if request_id:
        response.headers['X-Request-Id'] = str(request_id)
    return response


@app.get('/')
async def index(request):
    return 'Request %d' % request.g.request_id


@app.put('/maintenance')
async def maintenance(request):
    state['maintenance'] = request.body == b'on'
    return 'maintenance ' + ('on' if state['maintenance'] else 'off')


if __name__ == '__main__':
    app.run(port=5000, debug=True)
