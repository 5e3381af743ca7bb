"""Settings and logs of the device API (the OTA token required), on every
target: the settings read without secrets, refused by field, saved across
a restart; the token replaced; the logs kept since boot and streamed.
What reads the emulated board's state folder (its config file, its Wi-Fi
networks) runs on the host target only."""
import json
import re
import socket

import pytest

from harness import EXPECT_TIMEOUT

ROUTES = [('GET', '/api/settings'), ('POST', '/api/settings'),
          ('POST', '/api/settings/token'), ('POST', '/api/factory-reset'),
          ('GET', '/api/logs'), ('GET', '/api/logs/stream')]


def bearer(token):
    return {'Authorization': 'Bearer ' + token}


def settings(device, token=None):
    response = device.request('GET', '/api/settings',
                              headers=bearer(token or device.token))
    assert response.status == 200, response
    return response.json()


def change(device, fields, token=None):
    headers = dict(bearer(token or device.token),
                   **{'Content-Type': 'application/json'})
    return device.request('POST', '/api/settings',
                          json.dumps(fields).encode(), headers)


def saved_config(device):
    """The emulated board's config file, None once it is erased."""
    path = device.state_dir / 'config.json'
    return json.loads(path.read_text()) if path.exists() else None


def restarted(device):
    """Waits for the next boot (its first line) and the server."""
    device.expect(r'^firmware \S+ \(\S+\) on ')
    device.wait_ready()


class LogStream:
    """GET /api/logs/stream on a connection of its own: events() gives each
    event as a dict of its fields, the data lines joined."""

    def __init__(self, device, last_id=None):
        self.sock = socket.create_connection(device.endpoint,
                                             timeout=EXPECT_TIMEOUT)
        head = 'GET /api/logs/stream HTTP/1.1\r\nHost: device\r\n' \
            'Authorization: Bearer {}\r\n'.format(device.token)
        if last_id is not None:
            head += 'Last-Event-ID: {}\r\n'.format(last_id)
        self.sock.sendall((head + '\r\n').encode())
        self.raw = b''
        while b'\r\n\r\n' not in self.raw:
            self.receive()
        head, _, self.raw = self.raw.partition(b'\r\n\r\n')
        self.head = head.decode('latin-1').lower()
        self.chunked = 'transfer-encoding: chunked' in self.head
        self.text = ''  # the body decoded so far, not yet made into events

    def receive(self):
        data = self.sock.recv(4096)
        assert data, 'the device closed the log stream'
        self.raw += data

    def body(self):
        """More of the body, de-chunked."""
        if not self.chunked:
            if not self.raw:
                self.receive()
            data, self.raw = self.raw, b''
            return data
        while b'\r\n' not in self.raw:
            self.receive()
        size, _, rest = self.raw.partition(b'\r\n')
        size = int(size, 16)
        while len(rest) < size + 2:
            self.receive()
            rest = self.raw.partition(b'\r\n')[2]
        self.raw = rest[size + 2:]
        return rest[:size]

    def event(self):
        while '\n\n' not in self.text:
            self.text += self.body().decode()
        block, _, self.text = self.text.partition('\n\n')
        fields = {}
        for line in block.split('\n'):
            name, _, value = line.partition(': ')
            if name == 'data' and 'data' in fields:
                value = fields['data'] + '\n' + value
            fields[name] = value
        return fields

    def until(self, text):
        """The events up to the first log event holding `text`."""
        seen = []
        while not seen or text not in seen[-1].get('data', ''):
            seen.append(self.event())
        return seen

    def close(self):
        self.sock.close()


def test_every_route_needs_the_token(device):
    before = settings(device)
    for method, path in ROUTES:
        for headers, reason in (({}, 'missing OTA token'),
                                (bearer('not-the-token-0'),
                                 'wrong OTA token')):
            response = device.request(method, path, b'{"hostname": "x"}'
                                      if method == 'POST' else b'', headers)
            assert response.status == 401, (method, path, response)
            assert response.headers['www-authenticate'] == 'Bearer'
            assert response.json()['error'].startswith(reason)
    # nothing changed, nothing was erased, no restart was asked for
    assert settings(device) == before
    assert 'restarting' not in device.console(since_start=True)


def test_settings_are_read_without_secrets(device):
    found = settings(device)
    assert sorted(found) == ['hostname', 'wifi_ssid']
    assert found['hostname'] == device.status()['hostname']
    assert found['wifi_ssid'] and isinstance(found['wifi_ssid'], str)
    response = device.request('GET', '/api/settings',
                              headers=bearer(device.token))
    assert device.token.encode() not in response.body
    assert response.headers['cache-control'] == 'no-store'


@pytest.mark.parametrize('body, field', [
    ({'hostname': '-garden'}, 'hostname'),
    ({'hostname': 'a' * 64}, 'hostname'),
    ({'hostname': 7}, 'hostname'),
    ({'wifi_ssid': ''}, 'wifi_ssid'),
    ({'wifi_ssid': 'x' * 33}, 'wifi_ssid'),
    ({'wifi_password': 'short'}, 'wifi_password'),
    ({'hostname': 'garden', 'colour': 'green'}, 'colour'),
    ({'ota_token': 'a-new-token-of-mine'}, 'ota_token'),
])
def test_a_wrong_field_is_refused_by_name(device, body, field):
    before = settings(device)
    response = change(device, body)
    assert response.status == 400, response
    answer = response.json()
    assert answer['field'] == field
    assert answer['error'].startswith(field + ' ')
    assert settings(device) == before
    assert 'restarting' not in device.console(since_start=True)


@pytest.mark.parametrize('body', [b'', b'not json', b'[1, 2]', b'{}',
                                  b'"hostname"', b'\xff{}'])
def test_a_body_that_is_no_settings_object_is_refused(device, body):
    response = device.request('POST', '/api/settings', body,
                              bearer(device.token))
    assert response.status == 400, response
    assert 'send a JSON object' in response.json()['error']


def test_settings_larger_than_the_body_limit_are_refused(device):
    body = json.dumps({'hostname': 'x' * device.body_limit}).encode()
    response = device.request('POST', '/api/settings', body,
                              bearer(device.token))
    assert response.status == 413, response
    assert str(device.body_limit) in response.json()['error']


def test_a_hostname_change_persists_across_the_restart(device):
    before = settings(device)
    response = change(device, {'hostname': 'Garden-Sensor-2'})
    assert response.status == 200, response
    assert response.json() == {'ok': True, 'rebooting': True}
    device.expect(r'settings: hostname saved; restarting')
    restarted(device)
    assert device.status()['hostname'] == 'garden-sensor-2'  # lower-cased
    assert settings(device) == dict(before, hostname='garden-sensor-2')


@pytest.mark.targets('host')
def test_a_wifi_change_is_saved_and_joined(device):
    # a second network in range of the emulated board
    (device.state_dir / 'networks.json').write_text(json.dumps([
        {'ssid': 'host-network', 'password': '', 'rssi': -52},
        {'ssid': 'Garden Wi-Fi', 'password': 'correct horse', 'rssi': -60}]))
    response = change(device, {'wifi_ssid': 'Garden Wi-Fi',
                               'wifi_password': 'correct horse'})
    assert response.status == 200, response
    device.expect(r'settings: wifi_password, wifi_ssid saved; restarting')
    restarted(device)
    assert settings(device)['wifi_ssid'] == 'Garden Wi-Fi'
    saved = saved_config(device)
    assert (saved['wifi_ssid'], saved['wifi_password']) == (
        'Garden Wi-Fi', 'correct horse')
    assert device.status()['wifi_rssi'] == -60


def test_a_new_token_replaces_the_old_one_at_once(device):
    old = device.token
    response = device.request('POST', '/api/settings/token',
                              headers=bearer(old))
    assert response.status == 200, response
    assert response.headers['cache-control'] == 'no-store'
    new = response.json()['ota_token']
    assert sorted(response.json()) == ['ota_token']
    assert re.fullmatch(r'[0-9a-f]{24}', new) and new != old
    refused = device.request('GET', '/api/settings', headers=bearer(old))
    assert refused.status == 401
    assert refused.json()['error'] == 'wrong OTA token'
    assert device.request('POST', '/api/reboot',
                          headers=bearer(old)).status == 401
    assert settings(device, new)['hostname'] == device.status()['hostname']
    if device.kind == 'host':
        assert saved_config(device)['ota_token'] == new
    device.token = new  # the device's now (an update would need it)


def assert_reset_to_factory(device, before):
    """The device restarted without the config it had: on the emulated
    board the file is gone, or (its first start writes one when there is
    none) a new one with a new token. Set-up mode is what comes next."""
    restarted_line = r'^firmware \S+ \(\S+\) on '
    device.expect(r'factory reset: config erased; restarting into set-up '
                  r'mode')
    device.expect(restarted_line)
    after = saved_config(device)
    assert after is None or after['ota_token'] != before['ota_token'], after


@pytest.mark.targets('host')
def test_factory_reset_erases_the_config_and_restarts(device):
    before = saved_config(device)
    assert before is not None
    response = device.request('POST', '/api/factory-reset',
                              headers=bearer(device.token))
    assert response.status == 200, response
    assert response.json() == {'ok': True, 'rebooting': True}
    assert_reset_to_factory(device, before)


def test_the_boot_lines_are_in_the_log(device):
    response = device.request('GET', '/api/logs',
                              headers=bearer(device.token))
    assert response.status == 200, response
    assert response.headers['content-type'] == 'text/plain; charset=UTF-8'
    assert response.headers['cache-control'] == 'no-store'
    text = response.body.decode()
    firmware = device.firmware
    for line in (r'firmware {} \({}\) on ESP32-\S+, partition ota_0, '
                 r'valid'.format(re.escape(firmware.version),
                                 re.escape(firmware.project)),
                 r'IPv4 address: {}'.format(re.escape(device.address)),
                 r'HTTP server on http://'):
        assert re.search('^' + line, text, re.M), (line, text)


def test_a_new_line_appears_on_the_stream(device):
    stream = LogStream(device)
    try:
        assert stream.head.startswith('http/1.1 200 ')
        assert 'content-type: text/event-stream' in stream.head
        # a line logged after the stream opened (replacing the token logs
        # one)
        token = device.request('POST', '/api/settings/token',
                               headers=bearer(device.token))
        device.token = token.json()['ota_token']
        events = stream.until('settings: new OTA token saved')
        last = events[-1]
        assert last['event'] == 'log'
        assert last['data'].endswith('the old one no longer works\n')
    finally:
        stream.close()
    # a client that comes back with the last id it had gets what came
    # after it only
    again = LogStream(device, last_id=last['id'])
    try:
        device.request('POST', '/api/settings/token',
                       headers=bearer(device.token))
        # a slow target may log something else first (its health check)
        events = again.until('settings: new OTA token saved')
        assert events[-1]['data'] == 'settings: new OTA token saved; the ' \
            'old one no longer works\n'
        assert last['id'] not in [event['id'] for event in events]
        assert not [event for event in events
                    if event['data'].startswith('firmware ')]  # boot lines
    finally:
        again.close()
