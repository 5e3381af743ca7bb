"""A chat over WebSockets: every message a client sends goes to all the
clients connected, with the sender's name; joins and leaves are announced.
Each connection is a route handler that waits for its client's messages;
a client that has gone raises WebSocketError, which ends its handler.

The server holds at most Microdot.max_streams (3) WebSockets and event
streams at once, so that a board keeps places for short requests; the
fourth client takes the place of the oldest. Raise it on a board with
memory to spare.

Run it on CPython, from this folder:

    PYTHONPATH=../../modules python main.py

then open http://127.0.0.1:5000/ in two browser tabs. On a board with the
framework and a network: copy main.py to it.
"""
from microdot import Microdot
from microdot.websocket import WebSocketError, with_websocket

app = Microdot()
clients = []  # the WebSockets of the people in the chat

PAGE = '''<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Chat</title></head>
<body><h1>Chat</h1>
<pre id="log"></pre>
<form id="form"><input id="text" autocomplete="off"> <button>Send</button>
</form>
<script>
const name = prompt('Your name?') || 'someone';
const ws = new WebSocket('ws://' + location.host + '/chat?name=' +
                         encodeURIComponent(name));
const log = document.getElementById('log');
ws.onmessage = (event) => { log.textContent += event.data + '\\n'; };
ws.onclose = () => { log.textContent += '(disconnected)\\n'; };
document.getElementById('form').onsubmit = (event) => {
  event.preventDefault();
  const text = document.getElementById('text');
  ws.send(text.value);
  text.value = '';
};
</script></body></html>'''


async def broadcast(text):
    for ws in clients[:]:  # a copy: a client that fails is removed
        try:
            await ws.send(text)
        except WebSocketError:
            clients.remove(ws)


@app.get('/')
async def index(request):
    return PAGE, {'Content-Type': 'text/html; charset=UTF-8'}


@app.route('/chat')
@with_websocket
async def chat(request, ws):
    name = request.args.get('name', 'someone')[:20]
    clients.append(ws)
    await broadcast(name + ' joined')
    try:
        while True:
            await broadcast(name + ': ' + await ws.receive())
    finally:
        if ws in clients:
            clients.remove(ws)
        await broadcast(name + ' left')


if __name__ == '__main__':
    app.run(port=5000, debug=True)
