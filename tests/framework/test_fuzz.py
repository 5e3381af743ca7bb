"""The framework under 300 hostile requests from a seed (tests/framework/
hostile.py), sixteen connections at a time: each gets an HTTP answer or a
clean close within the timeouts, nothing prints a traceback, and a normal
request works afterwards."""
import asyncio

import microdot
from microdot import Microdot
from support import Serving
import hostile

SEED = 20261201
COUNT = 300
WORKERS = 16


def make_app():
    app = Microdot()
    app.request_timeout = 1
    app.keep_alive_timeout = 1
    # room for every client: none is closed to make room before its
    # request is read
    app.max_connections = 4 * WORKERS

    @app.route('/', methods=['GET', 'POST'])
    def index(req):
        return 'hello'

    @app.route('/echo', methods=['GET', 'POST'])
    async def echo(req):
        data = await req.stream.read(-1) if req.body == b'' else req.body
        return {'args': req.args.getlist('a'), 'cookies': req.cookies,
                'json': req.json if req.content_type and 'json' in
                req.content_type else None, 'size': len(data)}

    @app.get('/files/<path:name>')
    def files(req, name):
        return microdot.send_file('/nowhere/' + name)

    return app


async def answer(server, data):
    """What came back for `data` until a whole response head, the close,
    or the guard time."""
    reader, writer = await server.connect()
    received = []

    async def head():
        while b'\r\n\r\n' not in b''.join(received):
            part = await reader.read(1024)
            if not part:
                return
            received.append(part)
    try:
        try:
            writer.write(data)
            await writer.drain()
        except OSError:
            pass  # the server answered and closed before it took it all
        await asyncio.wait_for(head(), 5)
    except OSError:
        pass  # reset by the server, which has closed
    finally:
        writer.close()
    return b''.join(received)


async def test_hostile_requests_get_an_answer_or_a_clean_close():
    app = make_app()
    printed = []
    saved = microdot.print_exception
    microdot.print_exception = printed.append
    try:
        async with Serving(app) as server:
            queue = list(hostile.requests(SEED, COUNT, ['/', '/echo',
                                                         '/files/x']))
            results = []

            async def worker():
                while queue:
                    data = queue.pop()
                    results.append((data, await answer(server, data)))
            await asyncio.gather(*[worker() for _ in range(WORKERS)])
            assert len(results) == COUNT
            for data, received in results:
                # an HTTP/1.0 request is answered in HTTP/1.0
                assert received == b'' or received.startswith(
                    (b'HTTP/1.1 ', b'HTTP/1.0 ')), (data[:200], received[:200])
            refused = [r[9:12] for _, r in results if r.startswith(
                (b'HTTP/1.1 4', b'HTTP/1.0 4'))]
            assert len(refused) > COUNT // 4, refused  # with their reasons
            res = await server.ask(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
            assert res.text == 'hello'
    finally:
        microdot.print_exception = saved
    assert printed == []
