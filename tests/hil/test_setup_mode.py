"""Set-up mode: a board with no network to join opens its access point,
answers every DNS name with its own address and serves the set-up page;
given a network, through the page or over the USB console (Improv), it
restarts, joins and confirms itself. On the emulated board, whose network
is the state folder's networks.json (host-network, open); QEMU's image has
no radio: with no config it waits for the network over its console
(Improv) alone, which the last test checks there too."""
import json
import re
import socket
import struct

import pytest

pytestmark = [pytest.mark.targets('host'),
              pytest.mark.device_options(provisioned=False)]

ESSID = re.compile(r'join the Wi-Fi network "(microdot-esp-[0-9a-f]{4})" '
                   r'and open http://([0-9.]+)/')


def set_up_mode(device):
    """The access point's name and address, from the console, once the
    set-up page is served."""
    match = device.expect(ESSID.pattern)
    device.expect(r'HTTP server on \S+ \(set-up\)')
    return match.group(1), match.group(2)


def dns_query(port, name, ident=7):
    question = b''.join(bytes((len(label),)) + label.encode()
                        for label in name.split('.')) + b'\0'
    query = struct.pack('>HHHHHH', ident, 0x0100, 1, 0, 0, 0) + question + \
        struct.pack('>HH', 1, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(5)
        sock.sendto(query, ('127.0.0.1', port))
        return sock.recv(512)


def improv(command, data):
    body = bytes((command, len(data))) + data
    head = b'IMPROV\x01\x03' + bytes((len(body),)) + body
    return head + bytes((sum(head) & 255,)) + b'\n'


def improv_wifi(ssid, password):
    ssid, password = ssid.encode(), password.encode()
    return improv(1, bytes((len(ssid),)) + ssid + bytes((len(password),)) +
                  password)


def test_fresh_board_opens_its_access_point_and_captive_portal(device):
    essid, address = set_up_mode(device)
    info = device.request('GET', '/api/setup').json()
    assert (info['essid'], info['hostname']) == (essid, 'microdot-esp')
    assert {'ssid': 'host-network', 'rssi': -52, 'secured': False} in \
        info['networks']
    # a phone's check for a network that is online lands on the page
    probe = device.request('GET', '/generate_204')
    assert probe.status == 302
    assert probe.headers['location'] == 'http://{}/'.format(address)
    page = device.request('GET', '/')
    assert page.status == 200 and b'Set up' in page.body
    # and every name is this board
    answer = dns_query(device.dns_port, 'connectivitycheck.gstatic.com')
    assert answer[:2] == b'\x00\x07' and answer[-4:] == \
        socket.inet_aton(address)
    # the device API waits for a network
    assert device.request('GET', '/api/status').status == 302


def test_the_page_refuses_bad_fields_by_name(device):
    set_up_mode(device)
    for fields, named in (({'wifi_ssid': ''}, 'wifi_ssid'),
                          ({'wifi_ssid': 'x', 'wifi_password': 'short'},
                           'wifi_password'),
                          ({'wifi_ssid': 'x', 'hostname': '-bad-'},
                           'hostname')):
        answer = device.request('POST', '/api/setup',
                                json.dumps(fields).encode(),
                                {'Content-Type': 'application/json'})
        assert answer.status == 400, answer
        assert answer.json()['error'].startswith(named + ' '), answer
        assert answer.json()['field'] == named
    assert not (device.state_dir / 'config.json').exists()


def test_set_up_through_the_page_then_joined_and_confirmed(device):
    set_up_mode(device)
    answer = device.request('POST', '/api/setup', json.dumps({
        'wifi_ssid': 'host-network', 'wifi_password': '',
        'hostname': 'Thermostat'}).encode(),
        {'Content-Type': 'application/json'})
    assert answer.status == 200, answer
    result = answer.json()
    assert result['url'] == 'http://thermostat.local/'
    token = result['ota_token']
    assert len(token) == 24
    saved = json.loads((device.state_dir / 'config.json').read_text())
    assert saved == {'wifi_ssid': 'host-network', 'wifi_password': '',
                     'hostname': 'thermostat', 'ota_token': token}
    # it restarts and joins; the access point is gone
    device.expect(r'reset: booting again')
    device.wait_ready()
    device.expect(r'health check passed')
    assert device.status()['hostname'] == 'thermostat'
    assert device.request('GET', '/api/setup').status == 404
    # the token shown once is the one the device asks for
    assert device.request('POST', '/api/reboot', headers={
        'Authorization': 'Bearer ' + token}).status == 200


def test_set_up_over_the_usb_console_with_improv(device):
    set_up_mode(device)
    device.write_console(improv(3, b''))  # device info
    device.expect(r'IMPROV\x01\x04')
    device.write_console(improv_wifi('host-network', 'not-the-password'))
    device.expect(r'IMPROV\x01\x02\x01\x03')  # unable to connect
    device.write_console(improv_wifi('host-network', ''))
    token = device.expect(r'the OTA token is ([0-9a-f]{24})').group(1)
    device.expect(r'IMPROV\x01\x01\x01\x04')  # provisioned
    url = device.expect(r'(http://[0-9.]+/)').group(1)
    device.expect(r'reset: booting again')
    device.wait_ready()
    device.expect(r'health check passed')
    assert url == 'http://127.0.0.1/'
    saved = json.loads((device.state_dir / 'config.json').read_text())
    assert (saved['wifi_ssid'], saved['ota_token']) == ('host-network', token)


def test_a_network_that_cannot_be_joined_leads_back_to_set_up(device):
    set_up_mode(device)
    (device.state_dir / 'config.json').write_text(json.dumps({
        'wifi_ssid': 'gone', 'hostname': 'microdot-esp',
        'ota_token': device.token}))
    device.power_cycle()
    device.expect(r'attempt 1 of \d+ failed')
    device.expect(r'set-up mode: could not join "gone"')
    set_up_mode(device)


@pytest.mark.targets('host', 'qemu')
def test_improv_on_the_console_gives_the_board_its_network(device):
    if device.kind == 'host':
        set_up_mode(device)
    # (QEMU: start() saw the image wait for the network over its console)
    device.write_console(improv(3, b''))  # device info
    device.expect(r'IMPROV\x01\x04[^\n]*microdot-esp')
    # the emulated board's network; QEMU's Ethernet takes any name
    device.write_console(improv_wifi('host-network', ''))
    device.expect(r'IMPROV\x01\x01\x01\x04')  # provisioned
    device.wait_ready()
    device.expect(r'health check passed')
