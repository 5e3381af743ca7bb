"""Fixtures for the device tests: the framework compiled once to .mpy, and
emulated devices, each with a fresh state folder and loopback port."""
import sys

import pytest

from device_harness import ROOT, TOKEN, HostDevice
from support import free_port  # tests/framework/support.py

sys.path.insert(0, str(ROOT / 'tools'))
sys.path.insert(0, str(ROOT / 'app'))
import build_mpy  # noqa: E402


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
