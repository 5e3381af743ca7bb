"""The rest of the device's HTTP API on the emulated device: the web UI's
files (gzipped, ETag, 304), the status event stream, reboot."""
import gzip
import json
import socket

import pytest

from device_harness import TOKEN
from device_harness import ROOT

WEB = ROOT / 'app' / 'web'


@pytest.fixture(scope='module')
def api_device(make_device):
    device = make_device()
    yield device
    device.stop()


@pytest.mark.parametrize('path,name', [('/', 'index.html')] + [
    ('/static/' + path.name, path.name) for path in sorted(WEB.iterdir())
    if path.is_file()])
def test_web_files_are_gzipped_with_etag_and_304(api_device, path, name):
    response = api_device.request('GET', path)
    assert response.status == 200
    assert response.headers['content-encoding'] == 'gzip'
    assert gzip.decompress(response.body) == (WEB / name).read_bytes()
    etag = response.headers['etag']
    again = api_device.request('GET', path, headers={'If-None-Match': etag})
    assert again.status == 304
    assert again.body == b''
    assert again.headers['etag'] == etag


def test_web_files_outside_the_folder_are_not_served(api_device):
    for path in ('/static/../config.json', '/static/..%2fconfig.json',
                 '/static/nothing.js'):
        assert api_device.request('GET', path).status == 404


def test_status_events_stream(api_device):
    with socket.create_connection(('127.0.0.1', api_device.port),
                                  timeout=10) as sock:
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
    assert status['version'] == '1.0.0'
    assert status['partition'] == 'ota_0'
    assert status['chip'] == 'ESP32-C3'


def test_reboot_restarts_the_same_image(device):
    response = device.request('POST', '/api/reboot', headers={
        'Authorization': 'Bearer ' + TOKEN})
    assert response.status == 200
    assert response.json() == {'rebooting': True}
    device.expect(r'--- reset: booting again')
    device.wait_ready()
    status = device.status()
    assert (status['version'], status['partition']) == ('1.0.0', 'ota_0')
