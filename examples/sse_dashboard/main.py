"""A live dashboard with Server-Sent Events: the page opens one long
response (EventSource) and the server pushes the figures down it, every
few seconds and at once when they change; here, when someone presses the
button, which POSTs to /api/click. When a client leaves, its handler is
cancelled.

Run it on CPython, from this folder:

    PYTHONPATH=../../modules python main.py

then open http://127.0.0.1:5000/ in two browser tabs and press the button
in one. On a board with the framework and a network: copy main.py to it
(there the page also shows the free heap).
"""
import asyncio
import gc
import time

from microdot import Microdot
from microdot.sse import with_sse

app = Microdot()
PERIOD = 5  # seconds between updates when nothing changes
STARTED = time.time()
clicks = [0]
listeners = []  # an asyncio.Event for each open stream

PAGE = '''<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Dashboard</title></head>
<body><h1>Dashboard</h1>
<p>Clicks: <b id="clicks">?</b> <button id="click">Click</button></p>
<p>Up for <span id="uptime">?</span> s; free heap:
<span id="heap">?</span> bytes</p>
<script>
const events = new EventSource('/events');
events.addEventListener('stats', (event) => {
  const stats = JSON.parse(event.data);
  for (const key of ['clicks', 'uptime', 'heap'])
    document.getElementById(key).textContent = stats[key] ?? 'n/a';
});
document.getElementById('click').onclick = () =>
  fetch('/api/click', {method: 'POST'});
</script></body></html>'''


def stats():
    # gc.mem_free() is MicroPython's: None on CPython
    heap = gc.mem_free() if hasattr(gc, 'mem_free') else None
    return {'clicks': clicks[0], 'uptime': int(time.time() - STARTED),
            'heap': heap}


@app.get('/')
async def index(request):
    return PAGE, {'Content-Type': 'text/html; charset=UTF-8'}


@app.post('/api/click')
async def click(request):
    clicks[0] += 1
    for changed in listeners:
        changed.set()
    return stats()


@app.get('/events')
@with_sse
async def events(request, sse):
    changed = asyncio.Event()
    listeners.append(changed)
    try:
        while True:
            changed.clear()  # before reading: a click during send() counts
            await sse.send(stats(), event='stats')
            try:
                await asyncio.wait_for(changed.wait(), PERIOD)
            except asyncio.TimeoutError:
                pass
    finally:  # also when the client has gone (CancelledError)
        listeners.remove(changed)


if __name__ == '__main__':
    app.run(port=5000, debug=True)
