"""The hardware-in-loop suite's targets, chosen on the command line by
pytest-embedded's --embedded-services (README, "Hardware-in-loop tests"):

    (none)      host: the emulated board; `make test` runs this
    qemu        the QEMU variant's image in QEMU's esp32c3 machine
    esp,idf     a real board on --port (pytest-embedded flashes the build
                of --app-path/--build-dir first)

and this suite's own options, for qemu and board:

    --hil-firmware DIR    the build under test (build/firmware/<name>/)
    --hil-update DIR      a second build with another version: the update
    --hil-unconfirmed F   an app image that never confirms itself (ESP-IDF's
                          hello_world.bin): the bootloader must roll it back
    --hil-board NAME      the board of boards/boards.json (ESP32_GENERIC_C3)
    --hil-wifi SSID:PASSWORD   (board) the network the board joins

Each test gets a device of its own (the `device` fixture, started and
waiting for "IPv4 address:"); a test marked
@pytest.mark.targets('host', ...) runs only on those targets (it needs
something only they have, such as the emulation's failing health check)."""
import pathlib
import shutil
import sys

import pytest

from harness import ROOT, BoardDevice, Firmware, HostDevice, QemuDevice
from support import free_port  # tests/framework/support.py

sys.path.insert(0, str(ROOT / 'tools'))
sys.path.insert(0, str(ROOT / 'app'))
import build_mpy  # noqa: E402


def target_of(config):
    services = (config.getoption('embedded_services', None) or '').split(',')
    if 'qemu' in services:
        return 'qemu'
    if 'esp' in services:
        return 'board'
    return 'host'


def pytest_collection_modifyitems(config, items):
    """Tests marked for other targets are left out (deselected, not
    skipped: what runs is what is reported)."""
    target = target_of(config)
    kept, left = [], []
    for item in items:
        marker = item.get_closest_marker('targets')
        if marker is not None and target not in marker.args:
            left.append(item)
        else:
            kept.append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept


def required(config, name):
    """The value of option --<name>, which the target needs."""
    value = config.getoption(name)
    if not value:
        raise pytest.UsageError('--{} is needed for the {} target'.format(
            name.replace('_', '-'), target_of(config)))
    return value


def existing(config, name):
    """The path option --<name> names, which must exist."""
    path = pathlib.Path(required(config, name))
    if not path.exists():
        raise pytest.UsageError('--{} {}: no such file or folder'.format(
            name.replace('_', '-'), path))
    return path


@pytest.fixture(scope='session')
def hil_target(pytestconfig):
    return target_of(pytestconfig)


@pytest.fixture(scope='session')
def hil_builds(pytestconfig, hil_target):
    """(firmware, update, unconfirmed) for qemu and board."""
    if hil_target == 'host':
        return None
    firmware = Firmware.built(existing(pytestconfig, 'hil_firmware'))
    update = Firmware.built(existing(pytestconfig, 'hil_update'))
    unconfirmed = Firmware.of_image(existing(pytestconfig, 'hil_unconfirmed'))
    assert update.version != firmware.version, \
        '--hil-update must be a build with another version than ' \
        '--hil-firmware; both are {}'.format(firmware.version)
    return firmware, update, unconfirmed


@pytest.fixture(scope='session')
def mpy_dir(tmp_path_factory):
    return build_mpy.build(tmp_path_factory.mktemp('mpy'))


# --- pytest-embedded's qemu service, given this suite's image and network

@pytest.fixture
def hil_port():
    """The loopback port of the device's HTTP server (host, qemu)."""
    return free_port()


@pytest.fixture
def qemu_image_path(pytestconfig, hil_target, tmp_path):
    """A flash of the board's size holding the merged firmware.bin, fresh
    for each test (QEMU writes it as the device does, and boots from it
    again after a reset or a power cut)."""
    if hil_target != 'qemu':
        return None
    from harness import boards
    size = boards.get(pytestconfig.getoption('hil_board')).flash_size
    merged = existing(pytestconfig, 'hil_firmware') / 'firmware.bin'
    image = tmp_path / 'flash.bin'
    with open(merged, 'rb') as source, open(image, 'wb') as target:
        shutil.copyfileobj(source, target)
        target.write(b'\xff' * (size - target.tell()))
    return str(image)


@pytest.fixture
def qemu_cli_args(pytestconfig, hil_target):
    """The board's machine, its console on stdio (not multiplexed with
    QEMU's monitor, so Ctrl-A reaches MicroPython's REPL)."""
    if hil_target != 'qemu':
        return None
    from harness import boards
    target = boards.get(pytestconfig.getoption('hil_board')).target
    return pytestconfig.getoption('qemu_cli_args') or \
        '-machine {} -display none -monitor none -serial stdio'.format(target)


@pytest.fixture
def qemu_extra_args(pytestconfig, hil_target, hil_port):
    """QEMU's OpenCores Ethernet on a user network that reaches nothing
    outside QEMU (restrict=on), the device's port 80 forwarded to
    loopback."""
    if hil_target != 'qemu':
        return None
    nic = '-nic user,model=open_eth,restrict=on,' \
        'hostfwd=tcp:127.0.0.1:{}-:80'.format(hil_port)
    return ' '.join(filter(None, [pytestconfig.getoption('qemu_extra_args'),
                                  nic]))


# --- the device ------------------------------------------------------------

@pytest.fixture
def device(request, hil_target, hil_builds, hil_port, tmp_path):
    """A device of its own for one test, started and listening. Options of
    the emulated board (health_timeout, cpython) come from
    @pytest.mark.device_options(...)."""
    config = request.config
    board = config.getoption('hil_board')
    dut = request.getfixturevalue('dut')
    marker = request.node.get_closest_marker('device_options')
    options = marker.kwargs if marker else {}
    if hil_target == 'host':
        device = HostDevice(dut, request.getfixturevalue('msg_queue'),
                            tmp_path / 'state', hil_port,
                            request.getfixturevalue('mpy_dir'), board,
                            **options)
    elif hil_target == 'qemu':
        device = QemuDevice(dut, board, hil_port, *hil_builds,
                            cli_args=request.getfixturevalue('qemu_cli_args'),
                            extra_args=request.getfixturevalue(
                                'qemu_extra_args'),
                            provisioned=options.get('provisioned', True))
    else:
        ssid, _, password = required(config, 'hil_wifi').partition(':')
        device = BoardDevice(dut, board, (ssid, password), *hil_builds)
    try:
        device.start()
        yield device
    finally:
        device.stop()
