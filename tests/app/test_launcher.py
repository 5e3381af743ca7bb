"""tools/device.py (`make run`) tells on every start where the OTA token
is: on the first, that the device makes it; then the token itself."""
import json
import os
import signal
import socket
import subprocess
import sys

from conftest import ROOT


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def start_until(state, wanted):
    """Starts the launcher until its console shows `wanted`; returns the
    console up to there."""
    env = dict(os.environ, HTTP_PORT=str(free_port()))
    env.pop('OTA_TOKEN', None)
    env.pop('FIRMWARE_VERSION', None)
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / 'tools' / 'device.py'), '--state',
         str(state)], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if wanted in line:
                return ''.join(lines)
        raise AssertionError('launcher ended without "{}":\n{}'.format(
            wanted, ''.join(lines)))
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def test_every_start_tells_where_the_ota_token_is(tmp_path):
    config = tmp_path / 'config.json'
    first = start_until(tmp_path, 'new config')
    assert '--- OTA token: made on first boot, as "ota_token" in {}'.format(
        config) in first
    token = json.loads(config.read_text())['ota_token']
    second = start_until(tmp_path, 'OTA token')
    assert '--- OTA token: {} ("ota_token" in {})'.format(
        token, config) in second


def test_the_emulated_image_has_the_version_a_build_would_give(tmp_path):
    # one reader of the repository's version: firmware/build.py's
    described = subprocess.run(
        ['git', 'describe', '--tags', '--always', '--dirty'], cwd=str(ROOT),
        capture_output=True, text=True).stdout.strip()
    assert described, 'git describe gave nothing (a git checkout is needed)'
    console = start_until(tmp_path, ', partition ota_0')
    assert 'firmware {} (microdot-esp) on '.format(described) in console
