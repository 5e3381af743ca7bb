"""app/config.py, the device config. The top-level tests run on CPython
and, from the .mpy file that gets frozen, on the MicroPython unix port
(test_micropython); the power-cut tests kill a process of each runtime
in the middle of a save."""
import json
import os
import sys

import config

MICROPYTHON = sys.implementation.name == 'micropython'
_made = [0]


def scratch():
    """An empty folder for one test, under APP_TEST_DIR (pytest's tmp_path
    on CPython, a temporary folder the runner is given on MicroPython)."""
    _made[0] += 1
    path = '{}/t{}'.format(os.getenv('APP_TEST_DIR'), _made[0])
    os.mkdir(path)
    return path


def read_json(path):
    with open(path) as f:
        return json.load(f)


def write(path, text):
    with open(path, 'w') as f:
        f.write(text)


GOOD = {'wifi_ssid': 'Café 5G', 'wifi_password': 'correct horse',
        'hostname': 'kitchen-esp', 'ota_token': 'a' * 24}


def test_save_then_load_gives_the_same_config():
    path = scratch() + '/config.json'
    config.save(path, GOOD)
    assert config.load(path) == (GOOD, None)
    changed = dict(GOOD, hostname='hall')
    config.save(path, changed)
    assert config.load(path) == (changed, None)
    assert os.listdir(path.rpartition('/')[0]) == ['config.json']


def test_load_says_why_there_is_no_config():
    path = scratch() + '/config.json'
    assert config.load(path) == (None, (
        'config: {} is missing; create it with wifi_ssid, wifi_password, '
        'hostname and ota_token'.format(path)))
    write(path, '{"wifi_ssid": "home"')
    assert config.load(path) == (
        None, 'config: {} is not valid JSON'.format(path))
    for text in ('["home"]', '"home"', '{}', '{"wifi_ssid": ""}'):
        write(path, text)
        assert config.load(path) == (None, (
            'config: {} needs a JSON object with at least "wifi_ssid"'
            .format(path))), text


def test_a_wired_device_needs_no_ssid():
    path = scratch() + '/config.json'
    write(path, '{"hostname": "qemu"}')
    assert config.load(path, ssid=False) == ({'hostname': 'qemu'}, None)
    write(path, '[]')
    assert config.load(path, ssid=False)[0] is None


class FailingRename:
    """config's os, whose rename fails as a power cut would stop it: after
    the new file is written, before it replaces the old one."""

    def __getattr__(self, name):
        return getattr(os, name)

    def rename(self, old, new):
        raise OSError(5)


def test_a_save_cut_before_the_rename_leaves_the_old_config():
    path = scratch() + '/config.json'
    config.save(path, GOOD)
    config.os = FailingRename()
    try:
        config.save(path, dict(GOOD, hostname='new'))
        raise AssertionError('the rename did not fail')
    except OSError:
        pass
    finally:
        config.os = os
    assert read_json(path + '.new')['hostname'] == 'new'
    assert config.load(path) == (GOOD, None)
    assert not config.exists(path + '.new')  # load() removed it


def test_a_half_written_new_file_is_replaced_by_the_next_save():
    path = scratch() + '/config.json'
    config.save(path, GOOD)
    write(path + '.new', '{"wifi_ssid": "ha')  # a save cut while writing
    assert config.load(path) == (GOOD, None)
    write(path + '.new', '{"wifi_ssid": "ha')
    config.save(path, dict(GOOD, hostname='next'))
    assert not config.exists(path + '.new')
    assert config.load(path)[0]['hostname'] == 'next'


def test_erase_removes_the_config_and_a_leftover_new_file():
    path = scratch() + '/config.json'
    config.save(path, GOOD)
    write(path + '.new', '{')
    config.erase(path)
    assert not config.exists(path) and not config.exists(path + '.new')
    assert config.load(path)[0] is None
    config.erase(path)  # nothing to erase is fine too


def test_exists_tells_files_and_folders_from_nothing():
    folder = scratch()
    path = folder + '/config.json'
    assert config.exists(folder)
    assert not config.exists(path)
    config.save(path, {'wifi_ssid': 'home'})
    assert config.exists(path)
    assert not config.exists(folder + '/nothing/config.json')


def test_new_token_is_24_random_hex_digits():
    tokens = [config.new_token() for _ in range(20)]
    assert len(set(tokens)) == 20
    for token in tokens:
        assert len(token) == 24
        assert not [c for c in token if c not in '0123456789abcdef']
        assert config.check({'ota_token': token}) is None


def test_check_accepts_good_settings():
    assert config.check(dict(GOOD)) is None
    assert config.check({}) is None
    assert config.check({'wifi_password': ''}) is None  # an open network
    assert config.check({'wifi_ssid': 'é' * 16}) is None  # 32 bytes
    assert config.check({'wifi_password': 'p' * 8}) is None
    assert config.check({'wifi_password': 'p' * 63}) is None
    assert config.check({'hostname': 'a'}) is None
    assert config.check({'hostname': 'a' * 63}) is None
    assert config.check({'hostname': 'esp-32-c3'}) is None
    assert config.check({'ota_token': '0123456789abcdef'}) is None


def test_check_lower_cases_the_hostname():
    fields = {'hostname': 'Kitchen-ESP'}
    assert config.check(fields) is None
    assert fields == {'hostname': 'kitchen-esp'}


SSID = 'wifi_ssid must be 1 to 32 bytes (UTF-8), not {}'
PASSWORD = ('wifi_password must be 8 to 63 characters (WPA2), or empty for '
            'an open network')
HOSTNAME = ('hostname must be 1 to 63 of a-z, 0-9 and "-", not starting or '
            'ending with "-"')
TOKEN = ('ota_token must be at least 16 characters, printable ASCII without '
         'spaces (it travels in an HTTP header)')


def test_check_names_the_field_and_the_fix():
    cases = [
        ({'wifi_ssid': ''}, SSID.format(0)),
        ({'wifi_ssid': 's' * 33}, SSID.format(33)),
        ({'wifi_ssid': 'é' * 17}, SSID.format(34)),
        ({'wifi_password': 'p' * 7}, PASSWORD),
        ({'wifi_password': 'p' * 64}, PASSWORD),
        ({'hostname': ''}, HOSTNAME),
        ({'hostname': 'a' * 64}, HOSTNAME),
        ({'hostname': '-esp'}, HOSTNAME),
        ({'hostname': 'esp-'}, HOSTNAME),
        ({'hostname': 'esp_32'}, HOSTNAME),
        ({'hostname': 'esp.local'}, HOSTNAME),
        ({'hostname': 'café'}, HOSTNAME),
        ({'ota_token': 'a' * 15}, TOKEN),
        ({'ota_token': 'a' * 16 + ' b'}, TOKEN),
        ({'ota_token': 'a' * 16 + 'é'}, TOKEN),
        ({'wifi_ssid': 5}, 'wifi_ssid must be a string'),
        ({'hostname': None}, 'hostname must be a string'),
        ({'ssid': 'home'}, 'ssid is not a setting; use wifi_ssid, '
         'wifi_password, hostname, ota_token'),
        (dict(GOOD, wifi_password='short'), PASSWORD),
    ]
    for fields, message in cases:
        assert config.check(fields) == message, fields


if not MICROPYTHON:
    import signal
    import subprocess

    import pytest

    from on_micropython import (  # noqa: F401 (app_mpy: a fixture)
        MICROPYTHON as MICROPYTHON_COMMAND, ROOT, app_mpy, micropython_env,
        portable_tests_on_micropython)

    test_micropython = portable_tests_on_micropython(__file__)

    @pytest.fixture(autouse=True)
    def test_dir(tmp_path, monkeypatch):
        monkeypatch.setenv('APP_TEST_DIR', str(tmp_path))

    # A process of either runtime that saves a big config and is stopped,
    # for the test to kill it, halfway through writing the new file
    # ("write") or once it is written, before the rename ("rename"); or
    # the next boot, that loads the config ("load") or saves another one
    # ("save").
    CHILD = r'''
import json
import sys
import time

import config

path, step = sys.argv[1], sys.argv[2]
real_json, real_os = config.json, config.os


def stop():
    print('stopped')
    if hasattr(sys.stdout, 'flush'):
        sys.stdout.flush()
    while True:
        time.sleep(1)


class HalfJson:
    def dump(self, value, f):
        text = real_json.dumps(value)
        f.write(text[:len(text) // 2])
        f.flush()
        stop()


class NoRename:
    def __getattr__(self, name):
        return getattr(real_os, name)

    def rename(self, old, new):
        stop()


big = {'wifi_ssid': 'new', 'notes': 'x' * 200000}
if step == 'write':
    config.json = HalfJson()
    config.save(path, big)
elif step == 'rename':
    config.os = NoRename()
    config.save(path, big)
elif step == 'load':
    print(json.dumps(config.load(path)))
elif step == 'save':
    config.save(path, {'wifi_ssid': 'third'})
'''

    def child(runtime, request, tmp_path, *args):
        script = tmp_path / 'child.py'
        script.write_text(CHILD)
        if runtime == 'micropython':
            app_mpy = request.getfixturevalue('app_mpy')
            return subprocess.Popen(
                [MICROPYTHON_COMMAND, str(script)] + list(args),
                env=micropython_env(app_mpy), stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, text=True)
        return subprocess.Popen(
            [sys.executable, str(script)] + list(args),
            env=dict(os.environ, PYTHONPATH=str(ROOT / 'app')),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def finished(proc):
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        return out

    @pytest.mark.parametrize('runtime', ['cpython', 'micropython'])
    @pytest.mark.parametrize('cut', ['write', 'rename'])
    @pytest.mark.parametrize('then', ['load', 'save'])
    def test_a_process_killed_while_saving_leaves_a_loadable_config(
            runtime, cut, then, request, tmp_path):
        path = str(tmp_path / 'config.json')
        config.save(path, GOOD)
        proc = child(runtime, request, tmp_path, path, cut)
        try:
            line = proc.stdout.readline()
            assert line == 'stopped\n', line + proc.stderr.read()
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
        assert proc.returncode == -signal.SIGKILL
        # the power cut happened where it should: the new file is there,
        # half or whole, and the old one is untouched
        with open(path + '.new') as f:
            written = f.read()
        assert len(written) > 100000
        assert (cut == 'rename') == written.endswith('}')
        assert read_json(path) == GOOD
        # the next boot
        out = finished(child(runtime, request, tmp_path, path, then))
        assert not config.exists(path + '.new')
        if then == 'load':
            assert json.loads(out) == [GOOD, None]
        else:
            assert read_json(path) == {'wifi_ssid': 'third'}
