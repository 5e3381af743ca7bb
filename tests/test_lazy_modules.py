"""`import microdot` loads the core alone; the optional parts load when an
app first uses them. Checked in a fresh interpreter on both runtimes (on
MicroPython from the .mpy files that get frozen), since a test process that
has run other tests has loaded everything already."""
import os
import pathlib
import subprocess
import sys

import pytest

from test_micropython import MICROPYTHON, mpy_path  # noqa: F401 (fixture)

ROOT = pathlib.Path(__file__).resolve().parent.parent

SCRIPT = '''
import asyncio
import json
import sys
import microdot


def loaded(step):
    names = sorted(m for m in sys.modules if m.startswith('microdot.'))
    print(step, ','.join(n[len('microdot.'):] for n in names) or '-')


class Reader:
    def __init__(self, data):
        self.data = data

    async def read(self, n):
        data = self.data[:n]
        self.data = self.data[n:]
        return data


class Writer:
    data = b''

    def write(self, data):
        self.data += data

    async def drain(self):
        pass

    def close(self):
        pass

    async def wait_closed(self):
        pass

    def get_extra_info(self, name):
        return ('127.0.0.1', 1234)


async def request(head, body=b''):
    # through the server's own connection code, with no test client (which
    # needs more of the framework than an app does)
    writer = Writer()
    await microdot.Server(app).handle(
        Reader(head.encode() + b'\\r\\nHost: x\\r\\n\\r\\n' + body), writer)
    return writer.data[writer.data.find(b'\\r\\n\\r\\n') + 4:]


app = microdot.Microdot()


@app.get('/')
def index(request):
    return {'ok': True}


@app.get('/search')
def search(request):
    return request.args.get('q')


@app.post('/echo')
def echo(request):
    return {'json': request.json}


@app.get('/agent')
def agent(request):
    return request.headers.get('User-Agent') or '-'


loaded('import')
app.route('/items/<int:id>')(lambda request, id: str(id))
loaded('dynamic-route')


async def main():
    body = await request('GET / HTTP/1.1')
    assert json.loads(body) == {'ok': True}, body
    loaded('get')
    body = await request('GET /agent HTTP/1.1')
    assert body == b'-', body
    loaded('agent')
    body = await request('GET /items/7 HTTP/1.1')
    assert body == b'7', body
    body = await request('POST /echo HTTP/1.1\\r\\nContent-Length: 8\\r\\n'
                         'Content-Type: application/json', b'{"a": 1}')
    assert json.loads(body) == {'json': {'a': 1}}, body
    loaded('post')
    body = await request('GET /search?q=x%20y HTTP/1.1')
    assert body == b'x y', body
    loaded('query')

asyncio.run(main())

# public names and submodules, as Microdot's package gives them
import microdot
from microdot import MultiDict, NoCaseDict, cors
assert MultiDict.__name__ == 'MultiDict' and cors.CORS
assert NoCaseDict.__name__ == 'NoCaseDict'
assert not hasattr(microdot, 'no_such_module')
try:
    from microdot import no_such_module
except (ImportError, AttributeError):  # the latter on MicroPython
    loaded('names')
'''


def modules_loaded(command, env):
    out = subprocess.run(command + ['-c', SCRIPT], env=env, timeout=60,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    steps = {}
    for line in out.stdout.split('\n'):
        if line:
            step, names = line.split(' ')
            steps[step] = set(names.split(',')) - {'-'}
    return steps


def check(steps):
    assert steps['import'] == set()
    assert steps['dynamic-route'] == {'segments'}
    # a GET to a route answered with JSON needs nothing more
    assert steps['get'] == steps['dynamic-route']
    # request.headers is made when first read
    assert steps['agent'] == steps['get'] | {'headers'}
    # a body: its reader; JSON decoding is in the same module
    assert steps['post'] == steps['agent'] | {'body'}
    assert steps['query'] == steps['post'] | {'urlencoded'}
    # `from microdot import cors` on MicroPython too, where the package's
    # __getattr__ is asked first; hasattr() of a missing name is False
    assert steps['names'] == steps['query'] | {'cors', 'vary'}  # its Vary


def test_lazy_modules_on_cpython():
    env = dict(os.environ, PYTHONPATH=str(ROOT / 'modules'))
    check(modules_loaded([sys.executable], env))


def test_lazy_modules_on_micropython(mpy_path):  # noqa: F811
    if not MICROPYTHON:
        pytest.fail('the micropython command is missing (run: make test)')
    env = dict(os.environ, MICROPYPATH=mpy_path)
    check(modules_loaded([MICROPYTHON], env))
