"""The real board's backend (app/hw/esp32.py) on CPython, in front of
stand-ins for MicroPython's esp32, machine and network modules that behave
as v1.28's esp32 port does where the backend depends on it (ports/esp32/
network_wlan.c): one object per interface, scan() only with the station
interface up, a hidden network's SSID empty (its hidden flag is always
False there), the access point's settings taken once it is up, its address
192.168.4.1. The firmware tests (tests/firmware) compile and freeze the
module; only a board runs it against the real ones."""
import importlib.util
import re
import sys
import time
import types

import pytest

from conftest import ROOT
import hw

STA_MAC = b'\x24\x0a\xc4\x12\xa1\xb2'
CHIP_MAC = b'\x02\x00\x00\x00\xc3\x07'
HEARD = [  # (ssid, bssid, channel, RSSI, security, hidden)
    (b'cafe', b'\x01' * 6, 6, -70, 0, False),
    (b'home', b'\x02' * 6, 1, -60, 3, False),
    (b'attic', b'\x03' * 6, 11, -45, 4, False),
    (b'home', b'\x04' * 6, 11, -45, 3, False),
    (b'', b'\x05' * 6, 3, -30, 3, False),  # a hidden network
    (b'\xffgarbled', b'\x06' * 6, 3, -20, 0, False),  # not UTF-8
    (b'Caf\xc3\xa9 \xe2\x98\x95', b'\x07' * 6, 1, -80, 0, False),
]


class WLAN:
    IF_STA, IF_AP = 0, 1
    SEC_OPEN, SEC_WPA2 = 0, 3
    made = {}  # the esp32 port has one object per interface

    def __new__(cls, interface):
        if interface not in cls.made:
            wlan = cls.made[interface] = super().__new__(cls)
            wlan.interface = interface
            wlan.up = False
            wlan.settings = {}
        return cls.made[interface]

    def active(self, up=None):
        if up is not None:
            self.up = bool(up)
        return self.up

    def config(self, *names, **settings):
        if names == ('mac',):
            return STA_MAC if self.interface == self.IF_STA else None
        assert not names and self.interface == self.IF_AP, (names, settings)
        if not self.up:
            raise OSError('Wifi Invalid Mode')  # what ESP-IDF's error says
        self.settings.update(settings)

    def scan(self):
        assert self.interface == self.IF_STA
        if not self.up:
            raise OSError('STA must be active')
        return list(HEARD)

    def ipconfig(self, name):
        assert name == 'addr4' and self.interface == self.IF_AP and self.up
        return ('192.168.4.1', '255.255.255.0')


class Partition:
    RUNNING = 0

    def __init__(self, which):
        assert which == self.RUNNING

    def readblocks(self, block, buf):
        buf[:] = bytes(len(buf))
        buf[12] = 5  # the running image's header: an ESP32-C3 image


def backend(monkeypatch, qemu):
    """app/hw/esp32.py imported afresh, with the stand-ins (and openeth,
    the Ethernet of the QEMU variant, if `qemu`)."""
    WLAN.made = {}
    monkeypatch.setitem(sys.modules, 'esp32', types.SimpleNamespace(
        Partition=Partition))
    monkeypatch.setitem(sys.modules, 'machine', types.SimpleNamespace(
        unique_id=lambda: CHIP_MAC))
    monkeypatch.setitem(sys.modules, 'network', types.SimpleNamespace(
        WLAN=WLAN))
    # MicroPython's time module has these; CPython's does not
    monkeypatch.setattr(time, 'ticks_ms', lambda: 7, raising=False)
    monkeypatch.setattr(time, 'ticks_diff', lambda a, b: a - b,
                        raising=False)
    # None makes `import openeth` raise ImportError, as on a shipped image
    monkeypatch.setitem(sys.modules, 'openeth',
                        types.SimpleNamespace() if qemu else None)
    spec = importlib.util.spec_from_file_location(
        'esp32_backend', str(ROOT / 'app' / 'hw' / 'esp32.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(hw, 'board', module)
    return module


@pytest.fixture
def board(monkeypatch):
    return backend(monkeypatch, qemu=False)


@pytest.fixture
def qemu(monkeypatch):
    return backend(monkeypatch, qemu=True)


def test_mac_suffix_is_the_end_of_the_station_mac(board):
    assert board.MAC_SUFFIX == 'a1b2'
    assert board.NETWORK == 'Wi-Fi'
    assert board.DNS_PORT == 53
    assert board.CHIP == 'ESP32-C3'


def test_scan_strongest_first_one_entry_per_ssid_hidden_left_out(board):
    assert hw.scan() == [('attic', -45, True), ('home', -45, True),
                         ('cafe', -70, False), ('Caf\u00e9 \u2615', -80,
                                                False)]
    assert WLAN(WLAN.IF_STA).active()  # scans need it up
    assert not WLAN(WLAN.IF_AP).active()


def test_access_point_is_open_and_closes(board):
    assert board.start_access_point('microdot-esp-a1b2') == '192.168.4.1'
    ap = WLAN(WLAN.IF_AP)
    assert ap.active()
    assert ap.settings == {'essid': 'microdot-esp-a1b2',
                           'security': WLAN.SEC_OPEN}
    board.stop_access_point()
    assert not ap.active()
    assert not WLAN(WLAN.IF_STA).active()


def test_qemu_image_has_no_radio(qemu):
    assert qemu.wlan is None
    assert qemu.NETWORK == 'Ethernet'
    assert qemu.MAC_SUFFIX == 'c307'  # the chip's base MAC
    assert hw.scan() == []
    with pytest.raises(OSError) as raised:
        qemu.start_access_point('microdot-esp-c307')
    assert str(raised.value) == 'no Wi-Fi radio on this image'
    qemu.stop_access_point()  # nothing open: nothing to do
    assert WLAN.made == {}  # the radio's interfaces were never made


def test_the_backend_has_everything_hw_takes_from_it(board):
    # hw/__init__.py takes each name as `board.NAME`: the real backend must
    # have them all, or the first boot on a board fails at import
    source = (ROOT / 'app' / 'hw' / '__init__.py').read_text()
    taken = set(re.findall(r'\bboard\.(\w+)', source))
    assert {'ticks_ms', 'ticks_diff', 'Partition', 'radio_scan'} <= taken
    missing = sorted(name for name in taken if not hasattr(board, name))
    assert not missing, missing
    assert board.ticks_diff(board.ticks_ms(), 2) == 5
