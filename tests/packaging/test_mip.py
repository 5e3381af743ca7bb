"""The mip packages (package.json, modules/<name>.json, written by
tools/mip_packages.py): they list what manifest.py freezes, carry
microdot.__version__, and MicroPython's own mip (frozen into the unix port)
installs them from a web server on loopback serving the repository, as it
would from `github:OWNER/REPO`; then apps run from the installed files.
mpremote's mip, which downloads on the host and copies the files over the
board's REPL, installs them too, onto the unix port as the board."""
import functools
import http.client
import http.cookies
import http.server
import json
import os
import pathlib
import pty
import select
import signal
import socket
import subprocess
import sys
import threading
import tty

import pytest

import microdot
from runtimes import MICROPYTHON
from support import free_port

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / 'tools'))
import mip_packages  # noqa: E402

CORE, EXTENSIONS = mip_packages.manifest_lists()
LOGIN_FILES = {'login.py', 'session.py', 'auth.py'}


def read(path):
    return json.loads((ROOT / path).read_text())


def targets(package):
    return [destination for destination, source in package['urls']]


# --- the package files ---------------------------------------------------

def test_core_package_is_manifest_core():
    package = read('package.json')
    assert package['urls'] == [['microdot/' + name, 'modules/microdot/' + name]
                               for name in CORE]
    assert package['version'] == microdot.__version__
    assert 'deps' not in package  # mip fetches each dep by full URL


@pytest.mark.parametrize('name', sorted(EXTENSIONS) + ['test_client'])
def test_extension_package_is_the_extension_and_what_it_imports(name):
    package = read('modules/{}.json'.format(name))
    needs = EXTENSIONS.get(name, [])  # test_client imports the core only
    assert sorted(targets(package)) == sorted(
        'microdot/{}.py'.format(each) for each in needs + [name])
    for destination, source in package['urls']:
        assert source == destination  # relative to modules/
        assert (ROOT / 'modules' / source).is_file()
    assert package['version'] == microdot.__version__
    assert 'deps' not in package


def test_login_needs_session_and_auth():
    # the chain the install test below relies on
    assert sorted(EXTENSIONS['login']) == ['auth', 'session']
    assert EXTENSIONS['session'] == ['auth']


def test_only_micropython_modules_have_packages():
    # of manifest.py's NOT_FOR_DEVICES only test_client, which runs on
    # MicroPython; the others need CPython
    names = {p.stem for p in (ROOT / 'modules').glob('*.json')}
    assert names == set(EXTENSIONS) | {'test_client'}
    not_for_devices = mip_packages.assigned(
        mip_packages.MANIFEST, ('NOT_FOR_DEVICES',))['NOT_FOR_DEVICES']
    assert names & set(not_for_devices) == {'test_client'}


def test_files_are_what_the_tool_writes():
    for path, package in mip_packages.packages().items():
        assert (ROOT / path).read_text() == mip_packages.render(package), \
            '{} is out of date: run .venv/bin/python tools/mip_packages.py' \
            .format(path)


def test_tool_names_a_missing_manifest_list(tmp_path, monkeypatch):
    manifest = tmp_path / 'manifest.py'
    manifest.write_text('CORE = ["__init__.py"]\n')
    monkeypatch.setattr(mip_packages, 'MANIFEST', manifest)
    with pytest.raises(ValueError) as caught:
        mip_packages.packages()
    assert str(manifest) in str(caught.value)
    assert 'EXTENSIONS' in str(caught.value)

    manifest.write_text('CORE = ["nothere.py"]\nEXTENSIONS = {}\n')
    with pytest.raises(ValueError) as caught:
        mip_packages.packages()
    assert 'nothere.py' in str(caught.value)


# --- installed by mip ----------------------------------------------------

class RecordingHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files, and records each request's path and status in
    server.requested instead of logging it."""

    def log_request(self, code='-', size='-'):
        self.server.requested.append((self.path, int(code)))

    def log_message(self, *args):
        pass


@pytest.fixture(scope='module')
def repository():
    """The repository served over HTTP on loopback, as github: serves it:
    .url, and .requested, the requests of the test running."""
    server = http.server.ThreadingHTTPServer(
        ('127.0.0.1', 0),
        functools.partial(RecordingHandler, directory=str(ROOT)))
    server.url = 'http://127.0.0.1:{}'.format(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def repository_url(repository):
    repository.requested = []
    return repository.url


def micropython_env(*folders):
    # MICROPYPATH takes the place of the default path: `folders`, and the
    # port's frozen modules (asyncio, mip, requests) at '.frozen'
    return dict(os.environ, MICROPYPATH=':'.join(
        [str(folder) for folder in folders] + ['.frozen']))


def mip_install(urls, target):
    """`micropython -m mip install --target <target> <urls>`; its
    output."""
    assert MICROPYTHON, 'the micropython command is missing from ' + \
        str(pathlib.Path(sys.executable).parent) + ' (run: make test)'
    proc = subprocess.run(
        [MICROPYTHON, '-m', 'mip', 'install', '--target', str(target)] + urls,
        capture_output=True, text=True, timeout=120,
        env=micropython_env(target))
    output = proc.stdout + proc.stderr
    # mip reports a failure in its output, not in its exit status
    assert proc.returncode == 0 and output.rstrip().endswith('Done') and \
        'Error' not in output and 'not found' not in output, output
    return output


def installed(target):
    return sorted(str(p.relative_to(target)) for p in target.rglob('*')
                  if p.is_file())


def test_mip_installs_the_core(repository, repository_url, tmp_path):
    target = tmp_path / 'lib'
    # as `mip install github:OWNER/REPO`: the folder's package.json
    mip_install([repository_url], target)
    assert sorted(repository.requested) == sorted(
        [('/package.json', 200)] +
        [('/modules/microdot/' + name, 200) for name in CORE])
    assert installed(target) == sorted('microdot/' + name for name in CORE)
    for name in CORE:
        assert (target / 'microdot' / name).read_bytes() == \
            (ROOT / 'modules' / 'microdot' / name).read_bytes()


APP = '''
import sys
import microdot
from microdot import Microdot
from microdot.login import Login
from microdot.session import Session


class User:
    def __init__(self, id, name):
        self.id = id
        self.name = name


USERS = {7: User(7, 'susan')}
app = Microdot()
Session(app, secret_key='installed by mip')
login = Login()


@login.user_loader
def load_user(user_id):
    return USERS.get(user_id)


@app.post('/login')
async def do_login(request):
    for user in USERS.values():
        if user.name == request.form.get('name'):
            return await login.login_user(request, user, redirect_url='/me')
    return 'who?', 401


@app.get('/me')
@login
async def me(request):
    return {
        'name': request.g.current_user.name,
        'implementation': sys.implementation.name,
        'files': sorted(module.__file__ for name, module in sys.modules.items()
                        if name.split('.')[0] == 'microdot'),
    }


app.run(host='127.0.0.1', port=int(sys.argv[1]))
'''


def wait_for_port(server, port):
    for _ in range(500):
        assert server.poll() is None, 'the app stopped:\n' + \
            server.communicate()[0]
        try:
            socket.create_connection(('127.0.0.1', port), 1).close()
            return
        except OSError:
            threading.Event().wait(0.02)
    raise AssertionError('the app did not listen on port {}'.format(port))


def request(port, method, path, body=None, headers=None):
    client = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
    try:
        client.request(method, path, body, headers or {})
        response = client.getresponse()
        return response, response.read()
    finally:
        client.close()


def test_mip_installs_an_extension_with_what_it_imports(
        repository, repository_url, tmp_path):
    target = tmp_path / 'lib'
    mip_install([repository_url + '/modules/login.json'], target)
    # each source resolved against the package file's own folder
    assert sorted(repository.requested) == sorted(
        [('/modules/login.json', 200)] +
        [('/modules/microdot/' + name, 200) for name in LOGIN_FILES])
    assert installed(target) == sorted('microdot/' + name
                                       for name in LOGIN_FILES)
    for name in LOGIN_FILES:
        assert (target / 'microdot' / name).read_bytes() == \
            (ROOT / 'modules' / 'microdot' / name).read_bytes()


def test_an_app_runs_from_the_core_and_an_extension_mip_installed(
        repository_url, tmp_path):
    target = tmp_path / 'lib'
    # one command, as the README has it: the core, then the extension
    mip_install([repository_url, repository_url + '/modules/login.json'],
                target)
    assert installed(target) == sorted(
        'microdot/' + name for name in CORE + sorted(LOGIN_FILES))

    app_dir = tmp_path / 'app'
    app_dir.mkdir()
    (app_dir / 'app.py').write_text(APP)
    port = free_port()
    server = subprocess.Popen(
        [MICROPYTHON, str(app_dir / 'app.py'), str(port)],
        env=micropython_env(target), cwd=str(app_dir),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    try:
        wait_for_port(server, port)
        response, _ = request(port, 'GET', '/me')
        assert response.status == 302
        assert response.getheader('Location').startswith('/login?next=')

        response, _ = request(
            port, 'POST', '/login', 'name=susan',
            {'Content-Type': 'application/x-www-form-urlencoded'})
        assert response.status == 302
        assert response.getheader('Location') == '/me'
        cookies = http.cookies.SimpleCookie()
        for header in response.headers.get_all('Set-Cookie'):
            cookies.load(header)
        assert 'session' in cookies

        response, body = request(port, 'GET', '/me', headers={
            'Cookie': '; '.join(name + '=' + morsel.value
                                for name, morsel in cookies.items())})
        assert response.status == 200, body
        me = json.loads(body)
        assert me['name'] == 'susan'
        assert me['implementation'] == 'micropython'
        files = [pathlib.Path(file) for file in me['files']]
        assert {file.name for file in files} >= LOGIN_FILES | {'__init__.py'}
        assert all(file.parent == target / 'microdot' for file in files)
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


TEST_CLIENT_SCRIPT = '''
import asyncio
from microdot import Microdot
from microdot.test_client import TestClient

app = Microdot()


@app.get('/hello/<name>')
def hello(request, name):
    return {'hello': name}


async def main():
    response = await TestClient(app).get('/hello/mip')
    print(response.status_code, response.json['hello'])

asyncio.run(main())
'''


def test_mip_installs_the_test_client_which_runs_on_micropython(
        repository_url, tmp_path):
    target = tmp_path / 'lib'
    mip_install([repository_url, repository_url + '/modules/test_client.json'],
                target)
    assert (target / 'microdot' / 'test_client.py').is_file()
    script = tmp_path / 'script.py'
    script.write_text(TEST_CLIENT_SCRIPT)
    proc = subprocess.run([MICROPYTHON, str(script)], capture_output=True,
                          text=True, timeout=60, env=micropython_env(target),
                          cwd=str(tmp_path))
    assert proc.stdout.strip() == '200 mip', proc.stdout + proc.stderr


# The README's commands name the repository as github:OWNER/REPO, which mip
# turns into raw.githubusercontent.com URLs. This `requests`, ahead of the
# port's own on the path, answers those from the working tree (and 404 to
# any other URL), and records each URL asked for.
GITHUB_REQUESTS = '''
import io
import json

RAW = 'https://raw.githubusercontent.com/OWNER/REPO/'


class Response:
    def __init__(self, status_code, data):
        self.status_code = status_code
        self.data = data
        self.raw = io.BytesIO(data)

    def json(self):
        return json.loads(self.data)

    def close(self):
        pass


def get(url):
    with open({log!r}, 'a') as log:
        log.write(url + '\\n')
    ref, _, path = url[len(RAW):].partition('/')
    try:
        with open({root!r} + '/' + path, 'rb') as f:
            return Response(200, f.read())
    except OSError:
        return Response(404, b'')
'''


@pytest.mark.parametrize('command,ref,files', [
    ('github:OWNER/REPO', 'HEAD',
     ['package.json'] + ['modules/microdot/' + name for name in CORE]),
    ('github:OWNER/REPO/modules/login.json@v1.2.3', 'v1.2.3',
     ['modules/login.json'] +
     ['modules/microdot/' + name for name in sorted(LOGIN_FILES)]),
])
def test_github_commands_fetch_the_repository_files(tmp_path, command, ref,
                                                    files):
    stub, log = tmp_path / 'stub', tmp_path / 'urls.txt'
    stub.mkdir()
    (stub / 'requests.py').write_text(
        GITHUB_REQUESTS.format(log=str(log), root=str(ROOT)))
    target = tmp_path / 'lib'
    proc = subprocess.run(
        [MICROPYTHON, '-m', 'mip', 'install', '--target', str(target),
         command], capture_output=True, text=True, timeout=120,
        env=micropython_env(stub))
    assert proc.stdout.rstrip().endswith('Done'), proc.stdout + proc.stderr
    assert sorted(log.read_text().split()) == sorted(
        'https://raw.githubusercontent.com/OWNER/REPO/{}/{}'.format(ref, path)
        for path in files)
    assert len(installed(target)) == len(files) - 1


# --- installed by mpremote -----------------------------------------------

class UnixPortBoard:
    """The unix port's REPL on a pseudo-terminal, bridged to a loopback TCP
    port: a board that mpremote reaches as socket://127.0.0.1:<port>
    (pyserial's URL for a serial line over TCP)."""

    def __init__(self):
        self.terminal, board_side = pty.openpty()
        tty.setraw(board_side)  # the REPL's bytes pass unchanged
        self.process = subprocess.Popen(
            [MICROPYTHON], stdin=board_side, stdout=board_side,
            stderr=board_side, env=micropython_env(),
            start_new_session=True)
        os.close(board_side)
        self.listener = socket.create_server(('127.0.0.1', 0))
        self.listener.settimeout(300)
        self.url = 'socket://127.0.0.1:{}'.format(
            self.listener.getsockname()[1])
        self.thread = threading.Thread(target=self.bridge, daemon=True)
        self.thread.start()

    def bridge(self):
        try:
            connection, _ = self.listener.accept()
        except OSError:  # mpremote never came
            return
        with connection:
            while True:
                try:
                    ready, _, _ = select.select(
                        [self.terminal, connection], [], [])
                    if self.terminal in ready:
                        connection.sendall(os.read(self.terminal, 4096))
                    if connection in ready:
                        data = connection.recv(4096)
                        if not data:
                            return
                        os.write(self.terminal, data)
                except OSError:  # the interpreter or mpremote has gone
                    return

    def close(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.thread.join(10)  # it ends as the terminal's reads fail
        self.listener.close()
        os.close(self.terminal)


def test_mpremote_installs_an_extension_onto_a_board(repository_url,
                                                     tmp_path):
    # the extension alone: mpremote copies files over the REPL slowly, and
    # its mip resolves the core's package.json as it does the extension's
    target = tmp_path / 'lib'
    board = UnixPortBoard()
    try:
        # `resume`: no soft reset, which the unix port's REPL does not have
        proc = subprocess.run(
            [sys.executable, '-m', 'mpremote', 'connect', board.url, 'resume',
             'mip', 'install', '--target', str(target),
             repository_url + '/modules/login.json'],
            capture_output=True, text=True, timeout=300)
    finally:
        board.close()
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0 and output.rstrip().endswith('Done'), output
    assert installed(target) == sorted('microdot/' + name
                                       for name in LOGIN_FILES)
    for name in LOGIN_FILES:
        assert (target / 'microdot' / name).read_bytes() == \
            (ROOT / 'modules' / 'microdot' / name).read_bytes()
