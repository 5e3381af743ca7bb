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
import sys
import microdot
from microdot.test_client import TestClient


def loaded(step):
    names = sorted(m for m in sys.modules if m.startswith('microdot.'))
    print(step, ','.join(n[len('microdot.'):] for n in names) or '-')


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


loaded('import')
app.route('/items/<int:id>')(lambda request, id: str(id))
loaded('dynamic-route')


async def main():
    client = TestClient(app)
    response = await client.get('/')
    assert response.json == {'ok': True}, response.body
    loaded('get')
    response = await client.get('/items/7')
    assert response.text == '7', response.body
    response = await client.post('/echo', body={'a': 1})
    assert response.json == {'json': {'a': 1}}, response.body
    loaded('post')
    response = await client.get('/search?q=x%20y')
    assert response.text == 'x y', response.body
    loaded('query')

asyncio.run(main())

# public names and submodules, as Microdot's package gives them
import microdot
from microdot import MultiDict, cors
assert MultiDict.__name__ == 'MultiDict' and cors.CORS
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
    # the test client is imported by the script itself
    assert steps['import'] == {'test_client'}
    assert steps['dynamic-route'] == {'test_client', 'segments'}
    # a GET to a route answered with JSON needs nothing more
    assert steps['get'] == steps['dynamic-route']
    # a body: its reader; JSON decoding is in the same module
    assert steps['post'] == steps['get'] | {'body'}
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
