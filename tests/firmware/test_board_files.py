"""The board definitions: their files agree with each other and with what
the app expects of the firmware, and boards/firmware.cmake does what the
esp32 port needs when CMake runs it (in a stand-in for ports/esp32 made
here: MicroPython and ESP-IDF are not on this machine)."""
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from firmware_paths import BOARDS, ROOT

CHIP = {'ESP32_GENERIC_C3': ('esp32c3', 'ESP32C3'),
        'ESP32_GENERIC_S3': ('esp32s3', 'ESP32S3')}
# the pinned cmake of .venv (requirements.txt), else the system's
CMAKE = shutil.which('cmake', path=os.path.dirname(sys.executable)) or \
    shutil.which('cmake')


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


@pytest.mark.parametrize('board', BOARDS)
def test_board_files_agree(board):
    mcu, mcu_name = CHIP[board]
    assert json.loads(board_file(board, 'board.json'))['mcu'] == mcu
    cmake = board_file(board, 'mpconfigboard.cmake')
    assert re.search(r'^set\(IDF_TARGET %s\)$' % mcu, cmake, re.M)
    assert 'include(${MICROPY_BOARD_DIR}/../firmware.cmake)' in cmake
    header = board_file(board, 'mpconfigboard.h')
    board_name = re.search(r'MICROPY_HW_BOARD_NAME\s+"([^"]+)"', header).group(1)
    mcu_define = re.search(r'MICROPY_HW_MCU_NAME\s+"([^"]+)"', header).group(1)
    # os.uname().machine as MicroPython builds it; app/hw/esp32.py finds the
    # chip in it
    machine = board_name + ' with ' + mcu_define
    assert mcu_name in machine and 'microdot-esp' in board_name
    other = [name for b, (_, name) in CHIP.items() if b != board][0]
    assert other not in machine
    assert (ROOT / 'boards' / board / 'partitions.csv').is_file()
    assert (ROOT / 'boards' / board / 'manifest.py').is_file()


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


def port_stand_in(tmp_path, board, fragments=('sdkconfig.base',
                                              'sdkconfig.ble', 'sdkconfig.usb',
                                              'sdkconfig.spiram_sx')):
    """A CMake project that does what ports/esp32/CMakeLists.txt does with a
    board: include its mpconfigboard.cmake, then concatenate the sdkconfig
    files in order; it writes down what the board set."""
    port = tmp_path / 'port'
    (port / 'boards').mkdir(parents=True)
    for name in fragments:
        # MicroPython's base settings leave the version out; the board's
        # later file must win
        (port / 'boards' / name).write_text(
            'CONFIG_APP_EXCLUDE_PROJECT_VER_VAR=y\n')
    (port / 'CMakeLists.txt').write_text('''
cmake_minimum_required(VERSION 3.16)
project(port_stand_in NONE)
include(${MICROPY_BOARD_DIR}/mpconfigboard.cmake)
file(WRITE ${CMAKE_BINARY_DIR}/combined "")
foreach(fragment ${SDKCONFIG_DEFAULTS})
    file(READ ${fragment} text)
    file(APPEND ${CMAKE_BINARY_DIR}/combined "${text}")
endforeach()
file(WRITE ${CMAKE_BINARY_DIR}/result.json "{
  \\"target\\": \\"${IDF_TARGET}\\",
  \\"version\\": \\"${PROJECT_VER}\\",
  \\"manifest\\": \\"${MICROPY_FROZEN_MANIFEST}\\"
}")
''')
    return port


def configure(port, build, board):
    assert CMAKE, 'cmake is missing (run make test: requirements.txt pins it)'
    return subprocess.run(
        [CMAKE, '-S', str(port), '-B', str(build),
         '-DMICROPY_BOARD=' + board,
         '-DMICROPY_BOARD_DIR=' + str(ROOT / 'boards' / board)],
        capture_output=True, text=True, timeout=120)


def last_setting(text, name):
    values = re.findall(r'^%s=(.*)$' % name, text, re.M)
    return values[-1] if values else None


@pytest.mark.parametrize('board', BOARDS)
def test_board_cmake_sets_what_the_port_needs(board, tmp_path):
    port = port_stand_in(tmp_path, board)
    build = tmp_path / 'build'
    result = configure(port, build, board)
    assert result.returncode == 0, result.stdout + result.stderr
    found = json.loads((build / 'result.json').read_text())
    assert found['target'] == CHIP[board][0]
    assert found['manifest'] == str(ROOT / 'boards' / board / 'manifest.py')
    assert found['version'] == 'unversioned'  # not built by firmware/build.py
    combined = (build / 'combined').read_text()
    assert last_setting(combined, 'CONFIG_PARTITION_TABLE_CUSTOM_FILENAME') == \
        '"{}"'.format(ROOT / 'boards' / board / 'partitions.csv')
    assert last_setting(combined, 'CONFIG_APP_EXCLUDE_PROJECT_VER_VAR') == 'n'
    assert last_setting(combined, 'CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE') == 'y'

    # firmware/build.py writes the version; CMake takes a new one
    (build / 'firmware-version.txt').write_text('v2.0.0-3-gabc1234\n')
    assert configure(port, build, board).returncode == 0
    assert json.loads((build / 'result.json').read_text())['version'] == \
        'v2.0.0-3-gabc1234'


def test_a_missing_port_file_stops_with_the_fix(tmp_path):
    port = port_stand_in(tmp_path, 'ESP32_GENERIC_C3',
                         fragments=('sdkconfig.base',))  # no sdkconfig.ble
    result = configure(port, tmp_path / 'build', 'ESP32_GENERIC_C3')
    assert result.returncode != 0
    message = ' '.join((result.stdout + result.stderr).split())
    assert 'sdkconfig.ble does not exist in this MicroPython checkout' in message
    assert 'firmware/versions.env' in message
