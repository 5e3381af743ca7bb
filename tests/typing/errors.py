"""Mistakes the stubs must catch. tests/test_stubs.py checks this file with
mypy: each line marked `# E: <error codes>` must get those errors, and no
other line any. Never run."""
from microdot import Microdot, Request, Response, abort
from microdot import Microdott  # E: attr-defined
from microdot.cors import CORS
from microdot.session import Session
from microdot.sse import sse_response
from microdot.test_client import TestClient, TestResponse
from microdot.websocket import WebSocket, with_websocket

app = Microdot()
Request.max_body_length = '1k'  # E: assignment
CORS(app, allowed_origin=['https://example.com'])  # E: call-arg
app.mount(Microdot(), prefix='/sub')  # E: call-arg


@app.get(404)  # E: arg-type
def int_pattern(request: Request) -> str:
    return 'a URL pattern is a str'


@app.after_request  # E: type-var
def one_argument_hook(request: Request) -> None:
    pass


# the request of an error response may be None (one that could not be
# parsed): a hook or status handler must take that
@app.after_error_request  # E: type-var
def error_hook(request: Request, response: Response) -> None:
    pass


@app.errorhandler(400)  # E: type-var
def bad_request(request: Request) -> str:
    return request.url


@app.get('/ws')
@with_websocket  # E: arg-type
async def no_ws_argument(request: Request) -> None:
    pass


@app.get('/misspelled')
async def misspelled(request: Request) -> Response:
    print(request.heders)  # E: attr-defined
    response = Response('body')
    response.status = 201  # E: attr-defined
    Session(app).get(request).sav()  # E: attr-defined
    return response


@app.get('/not-awaitable')
async def not_awaitable(request: Request) -> Response:
    await app.shutdown()  # E: func-returns-value misc
    await Response.redirect('/')  # E: misc
    return Response()


@app.get('/not-awaited')
async def not_awaited(request: Request, ws: WebSocket) -> str:
    data: bytes = request.stream.read()  # E: assignment
    res: TestResponse = TestClient(app).get('/')  # E: assignment
    await ws.send(3)  # E: arg-type
    return str(data) + str(res)


@app.get('/wrong-types')
async def wrong_types(request: Request) -> Response:
    token: str = request.headers.get('X-Token')  # E: assignment
    count = request.args.get('count', type=int) + 1  # E: operator
    print(token, count)
    sse_response(request, 'not a function')  # E: arg-type
    if request.method == 'GET':
        return Response(42)  # E: arg-type
    abort('404')  # E: arg-type
