"""On CPython plain (def) handlers run in threads, as in Microdot: one that
blocks does not stop the other clients. (MicroPython runs them in the event
loop: it has no threads to spare.)"""
import asyncio
import threading

from microdot import Microdot
from support import Serving


async def test_a_blocking_handler_does_not_stop_the_others():
    app = Microdot()
    released = threading.Event()

    @app.get('/blocking')
    def blocking(req):
        # blocks its thread until the other request is served: were it
        # run in the event loop, that request could never be
        return 'released' if released.wait(30) else 'stuck'

    @app.get('/release')
    async def release(req):
        released.set()
        return 'ok'

    async with Serving(app) as server:
        blocked = asyncio.ensure_future(server.ask(
            b'GET /blocking HTTP/1.1\r\nHost: x\r\n\r\n'))
        await asyncio.sleep(0)
        res = await server.ask(b'GET /release HTTP/1.1\r\nHost: x\r\n\r\n')
        assert res.text == 'ok'
        assert (await blocked).text == 'released'
