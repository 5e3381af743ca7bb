"""The rest of the device's HTTP API, on every target: the web UI's files
(gzipped, ETag, 304), the status event stream, reboot."""
import gzip
import json
import re
import socket

from harness import ROOT, TOKEN

WEB = ROOT / 'app' / 'web'
PAGES = [('/', 'index.html')] + [('/static/' + path.name, path.name)
                                 for path in sorted(WEB.iterdir())
                                 if path.is_file()]


def framework_version():
    # read from the source: the device runs its own frozen copy
    source = (ROOT / 'modules' / 'microdot' / '__init__.py').read_text()
    return re.search(r"^__version__ = '([^']+)'$", source, re.M).group(1)


def test_boot_line_and_version(device):
    firmware = device.firmware
    assert re.search(r'^firmware {} \({}\) on ESP32-\S+, partition ota_0, '
                     r'valid\r?$'.format(re.escape(firmware.version),
                                         re.escape(firmware.project)),
                     device.console(), re.M)
    status = device.status()
    assert (status['version'], status['project']) == (firmware.version,
                                                      firmware.project)
    # the framework's release, from its one source
    assert status['framework'] == framework_version()


def test_web_files_are_gzipped_with_etag_and_304(device):
    gzipped = {'Accept-Encoding': 'gzip, deflate'}
    for path, name in PAGES:
        response = device.request('GET', path, headers=gzipped)
        assert response.status == 200, path
        assert response.headers['content-encoding'] == 'gzip'
        assert gzip.decompress(response.body) == (WEB / name).read_bytes()
        etag = response.headers['etag']
        again = device.request('GET', path, headers=dict(
            gzipped, **{'If-None-Match': etag}))
        assert again.status == 304
        assert again.body == b''
        assert again.headers['etag'] == etag


def test_web_files_outside_the_folder_are_not_served(device):
    for path in ('/static/../config.json', '/static/..%2fconfig.json',
                 '/static/nothing.js'):
        assert device.request('GET', path).status == 404


def test_status_events_stream(device):
    with socket.create_connection(device.endpoint, timeout=10) as sock:
        sock.sendall(b'GET /api/events HTTP/1.1\r\nHost: device\r\n\r\n')
        data = b''
        while data.count(b'event: status') < 2:
            chunk = sock.recv(4096)
            assert chunk, data
            data += chunk
    head, _, body = data.partition(b'\r\n\r\n')
    assert b'Content-Type: text/event-stream' in head
    event = body[body.index(b'event: status'):]
    payload = event.split(b'data: ', 1)[1].split(b'\n', 1)[0]
    status = json.loads(payload)
    assert status['version'] == device.firmware.version
    assert status['partition'] == 'ota_0'
    assert status['chip'].startswith('ESP32-')


def test_reboot_restarts_the_same_image(device):
    boot_id = device.status()['boot_id']
    assert re.fullmatch('[0-9a-f]{8}', boot_id), boot_id
    response = device.request('POST', '/api/reboot', headers={
        'Authorization': 'Bearer ' + TOKEN})
    assert response.status == 200
    assert response.json() == {'rebooting': True}
    device.expect(r'firmware {} .* partition ota_0, valid'.format(
        re.escape(device.firmware.version)))
    device.wait_ready()
    status = device.status()
    assert (status['version'], status['partition']) == (
        device.firmware.version, 'ota_0')
    assert status['uptime_s'] < 30
    # what a client waiting for the restart compares
    assert re.fullmatch('[0-9a-f]{8}', status['boot_id'])
    assert status['boot_id'] != boot_id
