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

FRAMEWORK = COUNTER + '''
from microdot import Microdot
app = Microdot()
app.max_connections = 10  # wrk opens 10 (our default cap is 8; Microdot has none)

@app.get('/')
def index(request):
    count()
    return 'Hello, World!'

print('ready')
app.run('127.0.0.1', PORT)
'''

RAW = COUNTER + '''
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

async def main():
    await asyncio.start_server(handle, '127.0.0.1', PORT)
    print('ready')
    while True:
        await asyncio.sleep(3600)

asyncio.run(main())
'''


def script(kind, port, warm=50, count=200):
    template = RAW if kind == 'raw' else FRAMEWORK
    return template.format(port=port, warm=warm, count=count)
