"""Checks of the emulated board's Wi-Fi (app/hw/host.py through the hw
interface) that run on both runtimes. The emulation reads its settings
from the environment when it is imported, so each check runs in a process
of its own, on a fresh state folder (STATE_DIR); test_hw_host.py starts
them on CPython and on the MicroPython unix port (the hw modules compiled
to .mpy, as they are frozen):

    python hw_host_checks.py check_name   runs one check, prints a marker
                                          line (see tests/runtimes.py)
    python hw_host_checks.py facts        prints MAC_SUFFIX, DNS_PORT and
                                          where hw.host was loaded from
"""
import asyncio
import json
import os
import sys

import hw
from hw import host

STATE = host.STATE_DIR
NETWORKS = STATE + '/networks.json'

# two access points of "home", one of "attic" as strong as the better
# one, a hidden network, an open one and a name outside ASCII
AROUND = [
    {'ssid': 'cafe', 'password': '', 'rssi': -70},
    {'ssid': 'home', 'password': 'pw-home', 'rssi': -60},
    {'ssid': 'attic', 'password': 'pw-attic', 'rssi': -45},
    {'ssid': 'home', 'password': 'pw-home', 'rssi': -45},
    {'ssid': 'secret', 'password': 'pw-secret', 'rssi': -30, 'hidden': True},
    {'ssid': 'Caf\u00e9 \u2615', 'password': '', 'rssi': -80},
]


def write_networks(value):
    try:
        os.mkdir(STATE)
    except OSError:
        pass  # there already
    with open(NETWORKS, 'w') as f:
        f.write(value if isinstance(value, str) else json.dumps(value))


def read_json(path):
    with open(path) as f:
        return json.load(f)


def join(ssid, password):
    return asyncio.run(hw.connect_wifi(ssid, password, 'microdot-esp'))


def refused(ssid, password):
    """The OSError's message of a join that must fail."""
    try:
        join(ssid, password)
    except OSError as exc:
        assert not hw.wifi_connected()
        assert hw.wifi_rssi() is None
        return str(exc)
    raise AssertionError('joined {!r} with password {!r}'.format(ssid,
                                                                password))


def value_error(call):
    try:
        call()
    except ValueError as exc:
        return str(exc)
    raise AssertionError('no ValueError')


def check_first_start_writes_a_network_its_config_joins():
    hw.boot()
    assert read_json(NETWORKS) == [
        {'ssid': 'host-network', 'password': '', 'rssi': -52}]
    config = read_json(STATE + '/config.json')
    assert hw.scan() == [('host-network', -52, False)]
    assert not hw.wifi_connected()
    assert join(config['wifi_ssid'], config['wifi_password']) == '127.0.0.1'
    assert hw.wifi_connected()
    assert hw.wifi_rssi() == -52


def check_a_config_erased_later_stays_erased():
    """A factory reset erases it: the next boot is into set-up mode."""
    hw.boot()
    os.remove(STATE + '/config.json')
    os.remove(NETWORKS)
    hw.boot()
    assert 'config.json' not in os.listdir(STATE)
    assert read_json(NETWORKS)[0]['ssid'] == 'host-network'


def check_unprovisioned_first_start_writes_no_config():
    hw.boot()
    assert 'config.json' not in os.listdir(STATE)
    assert hw.scan() == [('host-network', -52, False)]


# the environment a check runs in, on top of a fresh STATE_DIR
ENV = {'check_unprovisioned_first_start_writes_no_config': {
    'PROVISIONED': '0'}}


def check_first_start_keeps_the_networks_there():
    write_networks(AROUND)
    hw.boot()
    assert read_json(NETWORKS) == AROUND


def check_scan_strongest_first_one_entry_per_ssid_hidden_left_out():
    write_networks(AROUND)
    # equally strong networks come in the order of their names
    assert hw.scan() == [('attic', -45, True), ('home', -45, True),
                         ('cafe', -70, False),
                         ('Caf\u00e9 \u2615', -80, False)]


def check_scan_finds_nothing_without_the_file():
    assert hw.scan() == []
    assert 'no such network in ' + NETWORKS in refused('host-network', '')


def check_join_only_with_an_ssid_and_password_of_the_file():
    write_networks(AROUND)
    message = refused('home', 'pw-attic')
    assert message == 'Wi-Fi: no connection to "home" (wrong password: ' \
        'not the one in {})'.format(NETWORKS), message
    message = refused('nowhere', '')
    assert message == 'Wi-Fi: no connection to "nowhere" (no such network ' \
        'in {})'.format(NETWORKS), message
    assert 'no such network' in refused('HOME', 'pw-home')
    assert 'no such network' in refused('', '')
    assert 'wrong password' in refused('home', '')
    assert 'wrong password' in refused('cafe', 'pw-home')
    # the board is then on the stronger access point of the network
    assert join('home', 'pw-home') == '127.0.0.1'
    assert hw.wifi_connected()
    assert hw.wifi_rssi() == -45
    assert join('cafe', '') == '127.0.0.1'
    assert hw.wifi_rssi() == -70
    assert 'wrong password' in refused('attic', 'pw-home')


def check_a_hidden_network_is_joined_by_its_name():
    write_networks(AROUND)
    assert join('secret', 'pw-secret') == '127.0.0.1'
    assert hw.wifi_rssi() == -30
    assert 'wrong password' in refused('secret', '')


def check_a_wrong_networks_file_is_named_with_the_fix():
    write_networks('[{"ssid": "home",')
    assert value_error(hw.scan) == NETWORKS + ' is not valid JSON'
    write_networks({'ssid': 'home'})
    assert value_error(hw.scan) == NETWORKS + ' must hold a list of ' \
        'networks'
    form = ' must be {"ssid": "<name>", "password": "<or empty: open>", ' \
        '"rssi": <dBm, e.g. -52>}, with "hidden": true if it is'
    good = {'ssid': 'a', 'password': '', 'rssi': -50}
    for wrong in (dict(good, rssi='-50'), dict(good, ssid=None),
                  {'ssid': 'a', 'rssi': -50}, dict(good, hidden=1),
                  'home'):
        write_networks([good, wrong])
        assert value_error(hw.scan) == NETWORKS + ': network 2' + form
        assert value_error(lambda: join('a', '')) == \
            NETWORKS + ': network 2' + form


def check_access_point_opens_on_the_server_address_and_closes():
    """Its console lines are checked by test_hw_host.py."""
    essid = 'microdot-esp-' + hw.MAC_SUFFIX
    assert hw.start_access_point(essid) == hw.HTTP_HOST == '127.0.0.1'
    assert host.access_point == essid
    print('@@between')
    hw.stop_access_point()
    assert host.access_point is None
    hw.stop_access_point()  # closed already: nothing to do, nothing said


def table_refused(text):
    """The message the emulated board stops with for a partition table."""
    write_networks([])  # makes the state folder
    host.TABLE_PATH = STATE + '/partitions.csv'
    with open(host.TABLE_PATH, 'w') as f:
        f.write(text)
    try:
        host.read_table()
    except SystemExit as exc:
        return str(exc.args[0])
    raise AssertionError('the table was taken: ' + text)


def check_partition_table_is_read_and_checked_as_the_build_does():
    table = host.TABLE = host.read_table()
    assert [(p.name, p.offset, p.size) for p in host.ota_slots()] == [
        ('ota_0', 0x10000, 0x1E0000), ('ota_1', 0x1F0000, 0x1E0000)]
    assert table[0].name == 'nvs' and table[0].offset == 0x9000
    path = STATE + '/partitions.csv'
    good = 'nvs, data, nvs, , 0x4000\notadata, data, ota, , 0x2000\n' \
        'ota_0, app, ota_0, , 1M\n'
    assert table_refused(good + 'spare, data, ota, , 0x1000\n') == (
        path + ' line 4 (spare): otadata must be 0x2000 bytes, not 0x1000\n'
        + path + ': more than one otadata partition')
    assert table_refused(good + 'ota_1, app, ota_1, 0x100000, 1M\n') == \
        path + ' line 4 (ota_1) at 0x100000 overlaps ota_0 (0x10000-0x10ffff)'
    assert table_refused(good + 'big, data, fat, , 8M\n') == \
        path + ' line 4 (big): ends at 0x910000, past the 4 MB flash'
    assert table_refused('nvs, data, nvram, , 0x4000\n') == \
        path + ' line 1: subtype "nvram" is not one of ota, phy, nvs, ' \
        'coredump, nvs_keys, efuse, undefined, fat, spiffs, littlefs for ' \
        'data partitions'


def main():
    name = sys.argv[1]
    if name == 'facts':
        print(hw.MAC_SUFFIX, hw.DNS_PORT, host.__file__)
        return
    try:
        globals()[name]()
        print('@@PASS', name)
    except Exception as exc:
        print('@@FAIL', name)
        if hasattr(sys, 'print_exception'):
            sys.print_exception(exc, sys.stdout)
        else:
            import traceback
            traceback.print_exc(file=sys.stdout)


if __name__ == '__main__':
    main()
