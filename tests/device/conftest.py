"""Fixtures for the device tests: the framework compiled once to .mpy, and
emulated devices, each with a fresh state folder and loopback port."""
import socket
import sys

import pytest

from device_harness import ROOT, TOKEN, HostDevice

sys.path.insert(0, str(ROOT / 'tools'))
sys.path.insert(0, str(ROOT / 'app'))
import build_mpy  # noqa: E402


def free_port():
    probe = socket.socket()
    probe.bind(('127.0.0.1', 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


@pytest.fixture(scope='session')
def mpy_dir(tmp_path_factory):
    return build_mpy.build(tmp_path_factory.mktemp('mpy'))


@pytest.fixture(scope='session')
def make_device(tmp_path_factory, mpy_dir):
    """make_device(**options) starts an emulated device in a new state
    folder; all are stopped at the end of the session."""
    devices = []

    def make(**options):
        device = HostDevice(tmp_path_factory.mktemp('device'), free_port(),
                            TOKEN, mpy_dir, **options)
        devices.append(device)
        device.start()
        return device
    yield make
    for device in devices:
        device.stop()


@pytest.fixture
def device(make_device):
    """A device of its own for one test."""
    device = make_device()
    yield device
    device.stop()
