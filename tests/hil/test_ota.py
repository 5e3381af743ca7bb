"""OTA updates and rollback, over HTTP, with the console read like a serial
port, on every target (host, qemu, board: conftest.py). After each scenario
the flash is read back (the file, or esptool on a board) with esptool's
image loader and an otadata parser of these tests, and must agree with what
the device reports."""
import hashlib
import re
import subprocess
import sys

import pytest

from harness import ROOT, TOKEN
from images import app_image, bad_magic, corrupted, without_app_desc


def consistent(device):
    """The device's status agrees with a bootloader's reading of its
    flash: the slot it boots, the image's version, the OTA state."""
    status = device.status()
    flash = device.flash()
    assert status['partition'] == flash.boot_slot()
    assert status['version'] == flash.version(status['partition'])
    assert status['ota_state'] == flash.state_of(status['partition'])
    return status, flash


def running(status):
    return status['version'], status['partition'], status['ota_state']


def entries(flash):
    return [(entry.sector, entry.seq, entry.state_name)
            for entry in flash.written_entries()]


def boot_line(firmware, partition, state=''):
    return r'firmware {} \({}\) on {}, partition {}, {}'.format(
        re.escape(firmware.version), re.escape(firmware.project), r'\S+',
        partition, state)


# What ESP-IDF's bootloader leaves in otadata after the first boot of a
# freshly flashed device (set_actual_ota_seq(): ota_0, confirmed).
FIRST_BOOT = [(0, 1, 'valid')]


def test_first_boot_runs_the_flashed_image(device):
    status, flash = consistent(device)
    assert running(status) == (device.firmware.version, 'ota_0', 'valid')
    assert status['project'] == device.firmware.project
    assert status['chip'] == {5: 'ESP32-C3', 9: 'ESP32-S3'}[
        device.board.chip_id]
    assert status['next_partition'] == 'ota_1'
    assert status['hostname'] == 'microdot-esp'
    assert isinstance(status['uptime_s'], int)
    assert status['free_heap'] > 0
    assert status['wifi_rssi'] is None or isinstance(status['wifi_rssi'], int)
    assert entries(flash) == FIRST_BOOT
    assert flash.version('ota_1') is None  # as esptool write-flash left it
    assert 'firmware {} ({}) on {}, partition ota_0'.format(
        device.firmware.version, device.firmware.project,
        status['chip']) in device.console()


def test_update_boots_pending_verify_then_is_confirmed(device):
    first, second = device.updates
    response = device.upload(first.data)
    assert response.status == 200, response
    assert response.json() == {'ok': True, 'version': first.version,
                               'rebooting': True}
    # the bootloader starts the new image (the reset is a real one on qemu
    # and board), which confirms itself once it serves
    device.expect(boot_line(first, 'ota_1', 'pending-verify'))
    device.wait_ready()
    device.expect(r'health check passed: ota_1 confirmed')
    status, flash = consistent(device)
    assert running(status) == (first.version, 'ota_1', 'valid')
    assert flash.slot('ota_1')[:len(first.data)] == first.data
    assert entries(flash) == FIRST_BOOT + [(1, 2, 'valid')]
    assert flash.version('ota_0') == device.firmware.version  # to go back to

    # the next one (sent with chunked transfer coding this time) goes to
    # ota_0, with the next sequence number in the other otadata sector
    assert device.upload_chunked(second.data).status == 200
    device.expect(boot_line(second, 'ota_0', 'pending-verify'))
    device.wait_ready()
    device.expect(r'health check passed: ota_0 confirmed')
    status, flash = consistent(device)
    assert running(status) == (second.version, 'ota_0', 'valid')
    assert entries(flash) == [(0, 3, 'valid'), (1, 2, 'valid')]
    assert flash.version('ota_1') == first.version


def test_an_image_that_never_confirms_is_rolled_back(device):
    """The real bootloader's rollback (qemu, board: ESP-IDF's hello_world,
    which never calls esp_ota_mark_app_valid_cancel_rollback(); host: the
    app with a failing health check)."""
    unconfirmed = device.never_confirms()
    assert device.upload(unconfirmed.data).status == 200
    # it restarts unconfirmed (hello_world after 10 s, the app when its
    # health check gives up): the bootloader marks it aborted and boots
    # the previous image
    device.expect(boot_line(device.firmware, 'ota_0', 'valid'))
    device.wait_ready()
    status, flash = consistent(device)
    assert running(status) == (device.firmware.version, 'ota_0', 'valid')
    assert entries(flash) == FIRST_BOOT + [(1, 2, 'aborted')]
    assert flash.version('ota_1') == unconfirmed.version  # intact, not booted


@pytest.mark.targets('host')
@pytest.mark.device_options(health_timeout=3)
def test_failed_health_check_says_why_on_the_console(device):
    device.never_confirms()
    assert device.upload(device.updates[0].data).status == 200
    device.expect(r'partition ota_1, pending-verify')
    device.expect(r'health check failed for 3 s: resetting')
    device.expect(r'otadata\[1\]: the image in ota_1 was not confirmed: '
                  r'marked aborted, rolling back')
    device.wait_ready()


@pytest.mark.targets('host')
@pytest.mark.device_options(health_timeout=600)
def test_unconfirmed_image_refuses_updates_and_rolls_back_on_power_loss(
        device):
    first, second = device.updates
    device.never_confirms()
    assert device.upload(first.data).status == 200
    device.expect(boot_line(first, 'ota_1', 'pending-verify'))
    device.wait_ready()
    assert running(device.status()) == (first.version, 'ota_1',
                                        'pending-verify')
    response = device.upload(second.data)
    assert response.status == 409
    assert 'not passed its health check' in response.json()['error']
    device.power_cycle()  # crashed before being confirmed
    device.expect(r'health check passed\r?$')
    status, flash = consistent(device)
    assert running(status) == (device.firmware.version, 'ota_0', 'valid')
    assert entries(flash) == FIRST_BOOT + [(1, 2, 'aborted')]


@pytest.mark.targets('host')
@pytest.mark.device_options(cpython=True)
def test_host_backend_runs_on_cpython_too(device):
    first = device.updates[0]
    assert device.upload(first.data).status == 200
    device.expect(boot_line(first, 'ota_1', 'pending-verify'))
    device.expect(r'health check passed: ota_1 confirmed')
    status, flash = consistent(device)
    assert running(status) == (first.version, 'ota_1', 'valid')
    assert entries(flash) == FIRST_BOOT + [(1, 2, 'valid')]


def rejected(device):
    """name: (image, upload options, status, words of the reason)."""
    slot = device.slot_size()
    other_chip = 'esp32s3' if device.board.target == 'esp32c3' else 'esp32c3'
    good = app_image('2.0.0', chip=device.board.target)
    return {
        'corrupted': (corrupted(good), {}, 400, 'checksum mismatch'),
        'wrong-chip': (app_image('2.0.0', chip=other_chip), {}, 400,
                       'this device is an {}'.format(
                           {5: 'ESP32-C3', 9: 'ESP32-S3'}[
                               device.board.chip_id])),
        'truncated': (good[:len(good) // 2], {}, 400, 'truncated'),
        'bad-magic': (bad_magic(good), {}, 400,
                      'first byte is 0xE8, not 0xE9'),
        'no-app-descriptor': (without_app_desc(good), {}, 400,
                              'no app descriptor at offset 32'),
        'trailing-bytes': (good + bytes(100), {}, 400,
                           '100 bytes follow the end of the image'),
        'oversized': (app_image('2.0.0', chip=device.board.target,
                                code_size=slot), {}, 413,
                      'the ota_1 slot holds {}'.format(slot)),
        'oversized-chunked': (app_image('2.0.0', chip=device.board.target,
                                        code_size=slot),
                              {'chunked': True}, 413,
                              'past the {} bytes'.format(slot)),
        'sha-mismatch': (good, {'sha': hashlib.sha256(b'other').hexdigest()},
                         400, 'SHA-256 mismatch'),
        'sha-malformed': (good, {'sha': 'abc'}, 400, 'must be 64 hex digits'),
        'empty': (b'', {}, 400, 'the upload is empty'),
    }


REJECTED = ['corrupted', 'wrong-chip', 'truncated', 'bad-magic',
            'no-app-descriptor', 'trailing-bytes', 'oversized',
            'oversized-chunked', 'sha-mismatch', 'sha-malformed', 'empty']


@pytest.mark.parametrize('name', REJECTED)
def test_bad_image_is_rejected_and_boot_slot_unchanged(device, name):
    data, options, status_code, reason = rejected(device)[name]
    options = dict(options)
    if options.pop('chunked', False):
        response = device.upload_chunked(data, **options)
    else:
        response = device.upload(data, **options)
    assert response.status == status_code, response
    assert reason in response.json()['error']
    device.expect(r'OTA: refused, {}'.format(status_code))
    status, flash = consistent(device)
    assert running(status) == (device.firmware.version, 'ota_0', 'valid')
    assert entries(flash) == FIRST_BOOT  # nothing selects the other slot
    assert 'partition ota_1' not in device.console()


def test_power_loss_during_upload_keeps_the_old_image(device):
    first = device.updates[0]
    data = first.data if device.kind != 'host' else \
        app_image(first.version, code_size=400 * 1024)
    upload = device.start_upload(data)
    assert upload.continued
    upload.send(len(data) // 2)
    ota_1 = device.table['ota_1'][0]
    device.wait_for_flash(ota_1, data[:4096])  # writing has begun
    device.power_cycle()  # power cut, then power on
    upload.sock.close()
    status, flash = consistent(device)
    assert running(status) == (device.firmware.version, 'ota_0', 'valid')
    assert entries(flash) == FIRST_BOOT
    assert flash.slot('ota_1')[:4096] == data[:4096]  # half written...
    assert flash.version('ota_1') is None  # ...and not a valid image
    # and the next upload goes through
    assert device.upload(first.data).status == 200
    device.expect(r'health check passed: ota_1 confirmed')
    assert running(consistent(device)[0]) == (first.version, 'ota_1',
                                              'valid')


def test_missing_or_wrong_token_is_401(device):
    data = device.updates[0].data
    for token, reason in ((None, 'missing OTA token'),
                          ('not-the-token', 'wrong OTA token'),
                          (TOKEN + 'x', 'wrong OTA token')):
        upload = device.start_upload(data, token=token)
        assert not upload.continued  # refused before the body was sent
        response = upload.finish()
        assert response.status == 401
        assert response.headers['www-authenticate'] == 'Bearer'
        assert reason in response.json()['error']
    response = device.request('POST', '/api/ota', data, {
        'Authorization': 'Basic ' + TOKEN})
    assert response.status == 401
    response = device.request('POST', '/api/reboot')
    assert response.status == 401
    status, flash = consistent(device)
    assert running(status) == (device.firmware.version, 'ota_0', 'valid')
    assert entries(flash) == FIRST_BOOT


def test_second_upload_during_an_update_is_409(device):
    first, second = device.updates
    upload = device.start_upload(first.data)
    assert upload.continued  # its handler runs and holds the update
    upload.send(len(first.data) // 3)
    answer = device.upload(second.data)
    assert answer.status == 409
    assert answer.json() == {'error': 'another update is in progress'}
    assert device.request('POST', '/api/reboot', headers={
        'Authorization': 'Bearer ' + TOKEN}).status == 409
    response = upload.finish()
    assert response.status == 200
    assert response.json()['version'] == first.version
    device.expect(r'health check passed: ota_1 confirmed')
    assert running(consistent(device)[0]) == (first.version, 'ota_1',
                                              'valid')


def test_ota_client_command(device, tmp_path):
    first = device.updates[0]
    image = tmp_path / 'micropython.bin'
    image.write_bytes(first.data)
    host = '{}:{}'.format(*device.endpoint)
    command = [sys.executable, str(ROOT / 'tools' / 'ota_client.py'), host,
               str(image)]
    result = subprocess.run(command + ['--token', TOKEN], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'updated: {} is running from ota_1 and confirmed'.format(
        first.version) in result.stdout
    assert '100%' in result.stderr  # the progress bar
    assert running(consistent(device)[0]) == (first.version, 'ota_1',
                                              'valid')

    # any error answer: a message and exit code 1
    result = subprocess.run(command + ['--token', 'wrong'],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert 'refused the update (401): wrong OTA token' in result.stderr
    image.write_bytes(app_image('2.2.0', chip='esp32s3' if
                                device.board.target == 'esp32c3' else
                                'esp32c3'))
    result = subprocess.run(command + ['--token', TOKEN],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert 'refused the update (400)' in result.stderr
    assert 'built for ESP32-' in result.stderr
    result = subprocess.run(command, capture_output=True, text=True,
                            timeout=60, env={'PATH': '/usr/bin:/bin'})
    assert result.returncode == 1
    assert 'no OTA token' in result.stderr
