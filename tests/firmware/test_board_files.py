"""The board definitions: their files agree with each other, with the
registry (boards/boards.json) and with what the app expects of the
firmware; and CMake, run on each board and variant the way the esp32 port
runs it, in a stand-in whose files are those of the pinned MicroPython
release (firmware/micropython-esp32-files.txt, written from a checkout of
it), finds every file the board names and sets what the port needs.
`firmware/board_config.py --check MICROPY_DIR` runs the same against a
real checkout (the firmware lab and CI's firmware job)."""
import json
import re

import pytest

from firmware_paths import BOARDS, ROOT
import board_config
import boards

BUILDS = [(board, variant) for board in BOARDS
          for variant in [None] + boards.get(board).variants]
BUILD_IDS = [board + ('-' + variant if variant else '')
             for board, variant in BUILDS]
# upstream's sdkconfig.base leaves the version out of the app descriptor;
# every stand-in file says so, and the board's own file must win
UPSTREAM_SETTING = 'CONFIG_APP_EXCLUDE_PROJECT_VER_VAR=y\n'


def board_file(board, name):
    return (ROOT / 'boards' / board / name).read_text()


def settings(board):
    """name -> value of the board's sdkconfig.board (a blank value is "n")."""
    found = {}
    for line in board_file(board, 'sdkconfig.board').splitlines():
        match = re.match(r'^(CONFIG_\w+)=(.*)$', line)
        if match:
            found[match.group(1)] = match.group(2) or 'n'
    return found


def evaluate(board, variant, tmp_path, files=None):
    files = board_config.release_files() if files is None else files
    return board_config.evaluate(board, variant, files, tmp_path,
                                 filler=UPSTREAM_SETTING)


@pytest.mark.parametrize('board', BOARDS)
def test_board_files_agree_with_the_registry(board):
    facts = boards.get(board)
    assert json.loads(board_file(board, 'board.json'))['mcu'] == facts.target
    cmake = board_file(board, 'mpconfigboard.cmake')
    assert 'include(${MICROPY_BOARD_DIR}/../firmware.cmake)' in cmake
    assert 'set(IDF_TARGET' not in cmake  # the registry's, set by firmware.cmake
    header = board_file(board, 'mpconfigboard.h')
    board_name = re.search(r'MICROPY_HW_BOARD_NAME\s+"([^"]+)"', header).group(1)
    mcu_name = re.search(r'MICROPY_HW_MCU_NAME\s+"([^"]+)"', header).group(1)
    assert 'microdot-esp' in board_name
    assert mcu_name == facts.target.upper()  # as upstream names it
    assert (ROOT / 'boards' / board / 'partitions.csv').is_file()
    assert (ROOT / 'boards' / board / 'manifest.py').is_file()
    # what the emulated board and the size checks read
    assert facts.chip_id in (5, 9) and facts.flash_size >= 4 * 1024 * 1024
    assert 0 < facts.frozen_budget < facts.generic_image


@pytest.mark.parametrize('board', BOARDS)
def test_board_settings_for_ota(board):
    found = settings(board)
    assert found['CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE'] == 'y'
    assert found['CONFIG_PARTITION_TABLE_CUSTOM'] == 'y'
    # MicroPython's sdkconfig.base drops these from the app descriptor; the
    # OTA endpoint and /api/status show them
    assert found['CONFIG_APP_EXCLUDE_PROJECT_VER_VAR'] == 'n'
    assert found['CONFIG_APP_EXCLUDE_PROJECT_NAME_VAR'] == 'n'
    assert 'CONFIG_APP_PROJECT_VER_FROM_CONFIG' not in found  # PROJECT_VER wins
    # one source for the flash size: the registry, through firmware.cmake
    assert not [name for name in found
                if name.startswith('CONFIG_ESPTOOLPY_FLASHSIZE')]


@pytest.mark.parametrize('board', BOARDS)
def test_board_has_sockets_for_the_server_to_turn_clients_away(board):
    """The server decides who is served only for connections lwIP accepted:
    room for its connections, the listening socket, the health check's
    own request, and as many again to answer or make room for."""
    from microdot import Microdot
    found = settings(board)
    needed = 2 * Microdot.max_connections
    assert int(found['CONFIG_LWIP_MAX_SOCKETS']) >= needed
    assert int(found['CONFIG_LWIP_MAX_ACTIVE_TCP']) >= needed


@pytest.mark.parametrize('board,variant', BUILDS, ids=BUILD_IDS)
def test_every_file_a_board_names_is_in_the_pinned_release(board, variant,
                                                           tmp_path):
    config = evaluate(board, variant, tmp_path)
    assert config.ok, config.output  # no missing file, no unset variable
    release = set(board_config.release_files())
    port = tmp_path / 'port'
    for path in config.sdkconfig_defaults:
        if not path.startswith('/'):  # relative to ports/esp32
            assert path in release, path
        else:
            assert path.startswith(str(ROOT / 'boards')) or \
                path.startswith(str(tmp_path)), path
            assert not path.startswith(str(port)), path
    for path in board_config.named_port_files(board):
        assert path in release, path


def test_the_c3_takes_upstreams_workarounds(tmp_path):
    """Upstream's C3 fragment carries the chip revision 3 minimum and the
    stack guard workaround (ESP-IDF issue 14456, MicroPython issue 15667);
    the board lists that file rather than a copy of it."""
    config = evaluate('ESP32_GENERIC_C3', None, tmp_path)
    assert 'boards/ESP32_GENERIC_C3/sdkconfig.c3usb' in \
        config.sdkconfig_defaults
    assert 'boards/sdkconfig.riscv' in config.sdkconfig_defaults
    s3 = evaluate('ESP32_GENERIC_S3', None, tmp_path / 's3')
    assert 'boards/ESP32_GENERIC_S3/sdkconfig.board' in s3.sdkconfig_defaults


@pytest.mark.parametrize('board,variant', BUILDS, ids=BUILD_IDS)
def test_board_cmake_sets_what_the_port_needs(board, variant, tmp_path):
    facts = boards.get(board)
    config = evaluate(board, variant, tmp_path)
    assert config.ok, config.output
    assert config.target == facts.target
    assert config.manifest == str(facts.folder / 'manifest.py')
    assert config.version == 'unversioned'  # not built by firmware/build.py
    assert config.setting('CONFIG_PARTITION_TABLE_CUSTOM_FILENAME') == \
        '"{}"'.format(facts.folder / 'partitions.csv')
    assert config.setting('CONFIG_ESPTOOLPY_FLASHSIZE_{}MB'.format(
        facts.flash_size // (1024 * 1024))) == 'y'
    assert config.setting('CONFIG_APP_EXCLUDE_PROJECT_VER_VAR') == 'n'
    assert config.setting('CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE') == 'y'

    # firmware/build.py writes the version; CMake takes a new one
    build = tmp_path / 'build'
    (build / 'firmware-version.txt').write_text('v2.0.0-3-gabc1234\n')
    again = board_config.configure(tmp_path / 'port', build, board, variant)
    assert again.version == 'v2.0.0-3-gabc1234'


def test_the_qemu_variant_adds_only_the_emulated_ethernet(tmp_path):
    shipped = evaluate('ESP32_GENERIC_C3', None, tmp_path / 'shipped')
    qemu = evaluate('ESP32_GENERIC_C3', 'QEMU', tmp_path / 'qemu')
    assert qemu.ok, qemu.output
    # the shipped image's settings, then the variant's file
    assert [path for path in qemu.sdkconfig_defaults
            if 'sdkconfig.microdot' not in path] == \
        [path for path in shipped.sdkconfig_defaults
         if 'sdkconfig.microdot' not in path] + \
        [str(ROOT / 'boards' / 'ESP32_GENERIC_C3' / 'sdkconfig.qemu')]
    assert qemu.setting('CONFIG_ETH_USE_OPENETH') == 'y'
    assert shipped.setting('CONFIG_ETH_USE_OPENETH') is None
    assert qemu.user_c_modules == str(ROOT / 'boards' / 'openeth' /
                                      'micropython.cmake')
    assert shipped.user_c_modules is None
    assert qemu.def_board == \
        'MICROPY_HW_BOARD_NAME="microdot-esp ESP32-C3 4MB OTA on QEMU"'
    assert qemu.manifest == shipped.manifest  # the same frozen set


def test_a_missing_port_file_stops_with_the_fix(tmp_path):
    files = [name for name in board_config.release_files()
             if name != 'boards/sdkconfig.ble']
    config = evaluate('ESP32_GENERIC_C3', None, tmp_path, files)
    assert not config.ok
    message = ' '.join(config.output.split())
    assert 'sdkconfig.ble does not exist in this MicroPython checkout' in message
    assert 'firmware/versions.env' in message


def test_a_board_missing_from_the_registry_stops_with_the_fix(tmp_path):
    board_config.stand_in(tmp_path / 'port', board_config.release_files())
    config = board_config.configure(
        tmp_path / 'port', tmp_path / 'build', 'ESP32_GENERIC_C6',
        board_dir=ROOT / 'boards' / 'ESP32_GENERIC_C3')
    assert not config.ok
    assert 'ESP32_GENERIC_C6 is not in boards/boards.json: add a line' in \
        ' '.join(config.output.split())


def test_the_release_file_list_says_how_it_was_made():
    text = board_config.FILE_LIST.read_text()
    assert 'python3 firmware/board_config.py --write MICROPY_DIR' in text
    versions = (ROOT / 'firmware' / 'versions.env').read_text()
    pinned = re.search(r'^MICROPYTHON_VERSION=(\S+)$', versions, re.M).group(1)
    assert "MicroPython {}'s".format(pinned) in text
    files = board_config.release_files()
    assert 'boards/sdkconfig.base' in files and \
        'boards/ESP32_GENERIC_C3/sdkconfig.c3usb' in files
    assert 'boards/sdkconfig.usb' not in files  # removed before v1.28.0
