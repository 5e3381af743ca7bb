"""The three servers measured side by side, as scripts for either runtime:
this framework, Microdot 2.7.0 from PyPI, and a raw asyncio responder (the
ceiling). Each answers GET / with "Hello, World!" and, after WARM requests,
reports the heap allocated per request over the next COUNT (MicroPython)."""

COUNTER = '''
import gc
PORT, WARM, COUNT = {port}, {warm}, {count}
state = [0, 0]

def count():
    state[0] += 1
    if not hasattr(gc, 'mem_alloc'):
        return
    if state[0] == WARM:
        gc.collect()
        gc.disable()
        state[1] = gc.mem_alloc()
    elif state[0] == WARM + COUNT:
        print('heap_per_request', (gc.mem_alloc() - state[1]) // COUNT)
        gc.enable()
'''

FRAMEWORK_APP = '''
from microdot import Microdot
app = Microdot()
app.max_connections = 10  # wrk opens 10 (our default cap is 8; Microdot has none)

@app.get('/')
def index(request):
    count()
    return 'Hello, World!'
'''

FRAMEWORK = COUNTER + FRAMEWORK_APP + '''
print('ready')
app.run('127.0.0.1', PORT)
'''

RAW_HANDLER = '''
import asyncio
RESPONSE = (b'HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\n'
            b'Content-Length: 13\\r\\n')

async def handle(reader, writer):
    buf = b''
    try:
        while True:
            end = buf.find(b'\\r\\n\\r\\n')
            if end < 0:
                data = await reader.read(1024)
                if not data:
                    break
                buf += data
                continue
            head, buf = buf[:end].lower(), buf[end + 4:]
            count()
            close = b'connection: close' in head
            writer.write(RESPONSE + (b'Connection: close\\r\\n\\r\\n' if close
                                     else b'\\r\\n') + b'Hello, World!')
            await writer.drain()
            if close:
                break
    except OSError:
        pass
    writer.close()
    await writer.wait_closed()
'''

RAW = COUNTER + RAW_HANDLER + '''
async def main():
    await asyncio.start_server(handle, '127.0.0.1', PORT)
    print('ready')
    while True:
        await asyncio.sleep(3600)

asyncio.run(main())
'''

# The connection handler of each server, driven without sockets: a client
# stream in memory sends COUNT requests, each on a connection of its own
# (CLOSE) or all on one. What is left is the server's own work, which
# valgrind counts in instructions: a figure that does not move with the
# load of the machine, unlike req/s.
IN_MEMORY = '''
import asyncio
COUNT, CLOSE = {count}, {close}
REQUEST = (b'GET / HTTP/1.1\\r\\nHost: bench\\r\\n' +
           (b'Connection: close\\r\\n' if CLOSE else b'') + b'\\r\\n')

def count():
    pass

answers = [0]

class Client:
    def __init__(self, requests):
        self.data = REQUEST * requests

    async def read(self, n=-1):
        data = self.data[:n] if n >= 0 else self.data
        self.data = self.data[len(data):]
        return data

    async def readline(self):
        end = self.data.find(b'\\n') + 1 or len(self.data)
        return await self.read(end)

    async def readexactly(self, n):
        return await self.read(n)

    def write(self, data):
        answers[0] += bytes(data).count(b'Hello, World!')

    async def drain(self):
        pass

    async def awrite(self, data):
        self.write(data)

    def close(self):
        pass

    async def aclose(self):
        pass

    async def wait_closed(self):
        pass

    def get_extra_info(self, name):
        return ('127.0.0.1', 40000)
'''

IN_MEMORY_MAIN = '''
async def main():
    if CLOSE:
        for _ in range(COUNT):
            client = Client(1)
            await handler(client, client)
    else:
        client = Client(COUNT)
        await handler(client, client)
    print('answers', answers[0])

asyncio.run(main())
'''

HANDLERS = {
    'ours': FRAMEWORK_APP + '''
from microdot import Server
handler = Server(app).handle
''',
    'microdot': FRAMEWORK_APP + '''
handler = app.handle_request
''',
    'raw': RAW_HANDLER + '''
handler = handle
''',
}


def script(kind, port, warm=50, count=200):
    template = RAW if kind == 'raw' else FRAMEWORK
    return template.format(port=port, warm=warm, count=count)


def in_memory_script(kind, count, close):
    """The IN_MEMORY client against `kind`'s connection handler."""
    return IN_MEMORY.format(count=count, close=close) + HANDLERS[kind] + \
        IN_MEMORY_MAIN
