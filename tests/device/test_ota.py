"""OTA updates against the emulated device, over HTTP on loopback, with its
console read like a serial port. After each scenario the flash file is
read back with esptool's image loader and an otadata parser of these tests,
and must agree with what the device reports."""
import hashlib
import subprocess
import sys

import pytest

from device_harness import CSV, TOKEN
from device_harness import ROOT
from device_images import (Flash, app_image, bad_magic, corrupted,
                           partition_table, without_app_desc)

SLOT_SIZE = 0x1E0000
OTA_1 = 0x1F0000  # offset of the ota_1 slot in the flash


def flash_of(device):
    return Flash(device.read_flash(), partition_table(CSV))


def consistent(device):
    """The device's status agrees with a bootloader's reading of its
    flash: the slot it boots, the image's version, the OTA state."""
    status = device.status()
    flash = flash_of(device)
    assert status['partition'] == flash.boot_slot()
    assert status['version'] == flash.version(status['partition'])
    assert status['ota_state'] == flash.state_of(status['partition'])
    return status, flash


def running(status):
    return status['version'], status['partition'], status['ota_state']


def entries(flash):
    return [(entry.sector, entry.seq, entry.state_name)
            for entry in flash.written_entries()]


def test_first_boot_runs_the_flashed_image(device):
    status, flash = consistent(device)
    assert running(status) == ('1.0.0', 'ota_0', 'undefined')
    assert status['chip'] == 'ESP32-C3'
    assert status['next_partition'] == 'ota_1'
    assert status['project'] == 'microdot-esp'
    assert isinstance(status['uptime_s'], int)
    assert status['free_heap'] > 0
    assert isinstance(status['wifi_rssi'], int)
    assert status['hostname'] == 'microdot-esp'
    assert device.address == '127.0.0.1'
    # as `esptool write_flash` leaves a board: otadata erased, ota_1 empty
    assert entries(flash) == []
    assert flash.version('ota_1') is None


def test_update_boots_pending_verify_then_is_confirmed(device):
    v2 = app_image('2.0.0')
    response = device.upload(v2)
    assert response.status == 200, response
    assert response.json() == {'ok': True, 'version': '2.0.0',
                               'rebooting': True}
    device.expect(r'I \(host\) reset')
    device.expect(r'firmware 2\.0\.0 \(test-app\) on ESP32-C3, partition '
                  r'ota_1, pending-verify')
    device.wait_ready()
    device.expect(r'health check passed: ota_1 confirmed')
    status, flash = consistent(device)
    assert running(status) == ('2.0.0', 'ota_1', 'valid')
    assert flash.slot('ota_1')[:len(v2)] == v2
    assert entries(flash) == [(0, 2, 'valid')]
    assert flash.version('ota_0') == '1.0.0'  # the image to go back to

    # the next one (sent with chunked transfer coding this time) goes to
    # ota_0, with the next sequence number in the other otadata sector
    v3 = app_image('3.0.0', code_size=100 * 1024)
    assert device.upload_chunked(v3).status == 200
    device.expect(r'firmware 3\.0\.0 .* partition ota_0, pending-verify')
    device.wait_ready()
    device.expect(r'health check passed: ota_0 confirmed')
    status, flash = consistent(device)
    assert running(status) == ('3.0.0', 'ota_0', 'valid')
    assert entries(flash) == [(0, 2, 'valid'), (1, 3, 'valid')]
    assert flash.version('ota_1') == '2.0.0'


def test_host_backend_runs_on_cpython_too(make_device):
    device = make_device(cpython=True)
    try:
        assert device.upload(app_image('2.0.0')).status == 200
        device.expect(r'firmware 2\.0\.0 .* partition ota_1, pending-verify')
        device.expect(r'health check passed: ota_1 confirmed')
        status, flash = consistent(device)
        assert running(status) == ('2.0.0', 'ota_1', 'valid')
        assert entries(flash) == [(0, 2, 'valid')]
    finally:
        device.stop()


@pytest.fixture(scope='module')
def shared_device(make_device):
    device = make_device()
    yield device
    device.stop()


V2 = app_image('2.0.0')
REJECTED = {
    # name: (image, upload options, status, words of the reason)
    'corrupted': (corrupted(V2), {}, 400, 'checksum mismatch'),
    'wrong-chip': (app_image('2.0.0', chip='esp32s3'), {}, 400,
                   'built for ESP32-S3 (chip id 9), this device is an '
                   'ESP32-C3 (chip id 5)'),
    'truncated': (V2[:len(V2) // 2], {}, 400, 'truncated'),
    'bad-magic': (bad_magic(V2), {}, 400, 'first byte is 0xE8, not 0xE9'),
    'no-app-descriptor': (without_app_desc(V2), {}, 400,
                          'no app descriptor at offset 32'),
    'trailing-bytes': (V2 + bytes(100), {}, 400,
                       '100 bytes follow the end of the image'),
    'oversized': (app_image('2.0.0', code_size=SLOT_SIZE), {}, 413,
                  'the ota_1 slot holds 1966080'),
    'oversized-chunked': (app_image('2.0.0', code_size=SLOT_SIZE),
                          {'chunked': True}, 413, 'past the 1966080 bytes'),
    'sha-mismatch': (V2, {'sha': hashlib.sha256(b'other').hexdigest()}, 400,
                     'SHA-256 mismatch'),
    'sha-malformed': (V2, {'sha': 'abc'}, 400, 'must be 64 hex digits'),
    'empty': (b'', {}, 400, 'the upload is empty'),
}


@pytest.mark.parametrize('name', sorted(REJECTED))
def test_bad_image_is_rejected_and_boot_slot_unchanged(shared_device, name):
    device = shared_device
    data, options, status_code, reason = REJECTED[name]
    options = dict(options)
    if options.pop('chunked', False):
        response = device.upload_chunked(data, **options)
    else:
        response = device.upload(data, **options)
    assert response.status == status_code, response
    assert reason in response.json()['error']
    device.expect(r'OTA: refused, {}'.format(status_code))
    status, flash = consistent(device)
    assert running(status) == ('1.0.0', 'ota_0', 'undefined')
    assert entries(flash) == []  # nothing selects the other slot
    assert not any('reset' in line for line in device.lines)


def test_power_loss_during_upload_keeps_the_old_image(device):
    v2 = app_image('2.0.0', code_size=400 * 1024)
    upload = device.start_upload(v2)
    assert upload.continued
    upload.send(len(v2) // 2)
    device.wait_for_flash(OTA_1, v2[:4096])  # writing has begun
    device.power_cycle()  # SIGKILL, then power on
    upload.sock.close()
    status, flash = consistent(device)
    assert running(status) == ('1.0.0', 'ota_0', 'undefined')
    assert entries(flash) == []
    assert flash.slot('ota_1')[:4096] == v2[:4096]  # half written...
    assert flash.version('ota_1') is None  # ...and not a valid image
    # and the next upload goes through
    assert device.upload(app_image('2.0.1')).status == 200
    device.expect(r'health check passed: ota_1 confirmed')
    assert running(consistent(device)[0]) == ('2.0.1', 'ota_1', 'valid')


def test_failed_health_check_rolls_back(make_device):
    device = make_device(health_timeout=3)
    try:
        device.fail_next_health_check()  # read at the next boot
        assert device.upload(app_image('2.0.0')).status == 200
        device.expect(r'firmware 2\.0\.0 .* partition ota_1, pending-verify')
        device.expect(r'health check failed for 3 s: resetting')
        device.expect(r'otadata\[0\]: the image in ota_1 was not confirmed: '
                      r'marked aborted, rolling back')
        device.expect(r'firmware 1\.0\.0 .* partition ota_0')
        device.wait_ready()
        status, flash = consistent(device)
        assert running(status) == ('1.0.0', 'ota_0', 'undefined')
        assert entries(flash) == [(0, 2, 'aborted')]
        assert flash.version('ota_1') == '2.0.0'  # intact, but not booted
    finally:
        device.stop()


def test_unconfirmed_image_refuses_updates_and_rolls_back_on_power_loss(
        make_device):
    device = make_device(health_timeout=600)
    try:
        device.fail_next_health_check()
        assert device.upload(app_image('2.0.0')).status == 200
        device.expect(r'firmware 2\.0\.0 .* pending-verify')
        device.wait_ready()
        assert running(device.status()) == ('2.0.0', 'ota_1',
                                            'pending-verify')
        response = device.upload(app_image('3.0.0'))
        assert response.status == 409
        assert 'not passed its health check' in response.json()['error']
        device.power_cycle()  # crashed before being confirmed
        device.expect(r'health check passed$')
        status, flash = consistent(device)
        assert running(status) == ('1.0.0', 'ota_0', 'undefined')
        assert entries(flash) == [(0, 2, 'aborted')]
    finally:
        device.stop()


def test_missing_or_wrong_token_is_401(shared_device):
    device = shared_device
    v2 = app_image('2.0.0')
    for token, reason in ((None, 'missing OTA token'),
                          ('not-the-token', 'wrong OTA token'),
                          (TOKEN + 'x', 'wrong OTA token')):
        upload = device.start_upload(v2, token=token)
        assert not upload.continued  # refused before the body was sent
        response = upload.finish()
        assert response.status == 401
        assert response.headers['www-authenticate'] == 'Bearer'
        assert reason in response.json()['error']
    response = device.request('POST', '/api/ota', v2, {
        'Authorization': 'Basic ' + TOKEN})
    assert response.status == 401
    response = device.request('POST', '/api/reboot')
    assert response.status == 401
    status, flash = consistent(device)
    assert running(status) == ('1.0.0', 'ota_0', 'undefined')
    assert entries(flash) == []


def test_second_upload_during_an_update_is_409(device):
    v2 = app_image('2.0.0')
    first = device.start_upload(v2)
    assert first.continued  # its handler runs and holds the update
    first.send(len(v2) // 3)
    second = device.upload(app_image('3.0.0'))
    assert second.status == 409
    assert second.json() == {'error': 'another update is in progress'}
    assert device.request('POST', '/api/reboot', headers={
        'Authorization': 'Bearer ' + TOKEN}).status == 409
    response = first.finish()
    assert response.status == 200
    assert response.json()['version'] == '2.0.0'
    device.expect(r'health check passed: ota_1 confirmed')
    assert running(consistent(device)[0]) == ('2.0.0', 'ota_1', 'valid')


def test_ota_client_command(device, tmp_path):
    image = tmp_path / 'micropython.bin'
    image.write_bytes(app_image('2.1.0', code_size=200 * 1024))
    host = '127.0.0.1:{}'.format(device.port)
    command = [sys.executable, str(ROOT / 'tools' / 'ota_client.py'), host,
               str(image)]
    result = subprocess.run(command + ['--token', TOKEN], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'updated: 2.1.0 is running from ota_1 and confirmed' in \
        result.stdout
    assert '100%' in result.stderr  # the progress bar
    assert running(consistent(device)[0]) == ('2.1.0', 'ota_1', 'valid')

    # any error answer: a message and exit code 1
    result = subprocess.run(command + ['--token', 'wrong'],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert 'refused the update (401): wrong OTA token' in result.stderr
    image.write_bytes(app_image('2.2.0', chip='esp32s3'))
    result = subprocess.run(command + ['--token', TOKEN],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert 'refused the update (400)' in result.stderr
    assert 'ESP32-S3' in result.stderr
    result = subprocess.run(command, capture_output=True, text=True,
                            timeout=60, env={'PATH': '/usr/bin:/bin'})
    assert result.returncode == 1
    assert 'no OTA token' in result.stderr
