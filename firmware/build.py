"""Builds the firmware for one board: MicroPython (the release pinned in
firmware/versions.env) for the ESP32 with the framework, the app and its
web UI frozen in.

    python3 firmware/build.py ESP32_GENERIC_C3      (make firmware BOARD=...)
    python3 firmware/build.py ESP32_GENERIC_C3 --variant QEMU
                                 (make firmware BOARD=... BOARD_VARIANT=QEMU)

Where the tools come from, first match wins:
  - ESP-IDF: an exported ESP-IDF (idf.py on PATH, IDF_PATH set: run
    `. $IDF_PATH/export.sh`), else Docker, which runs this script again in
    Espressif's image espressif/idf:<pinned version>.
  - MicroPython: MICROPY_DIR (a checkout), else a shallow clone of the
    pinned release in build/micropython-<version>/ (made once).
The version in the image's app descriptor is FIRMWARE_VERSION if set,
else `git describe --tags --always --dirty` of this repository.

A variant is the board with its mpconfigvariant_<VARIANT>.cmake on top: QEMU
is the C3 image with QEMU's emulated Ethernet in place of Wi-Fi (for the
hardware-in-loop tests in QEMU). Its outputs are named <BOARD>-<VARIANT>.

Output, in build/firmware/<BOARD>/ (the ESP-IDF build tree is in
build/idf-<BOARD>/):
    firmware.bin     bootloader, partition table, otadata and app, merged:
                     flash it at offset 0 (make flash)
    micropython.bin  the app image alone: what POST /api/ota takes
    size-report.md   frozen bytes per module, app slot used and free
    flash.json       chip, offsets and files, for firmware/flash.py
    version.txt      the version in the app descriptor
--dry-run prints the steps and commands without running anything."""
import argparse
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import boards  # noqa: E402
from app_formats import image, partition_table  # noqa: E402
import sizes  # noqa: E402

VERSIONS = HERE / 'versions.env'
VERSION_BYTES = 31  # the descriptor's version field is 32 bytes with a NUL


class Failure(SystemExit):
    """Stops the build with a message that says what to do."""

    def __init__(self, message):
        super().__init__('firmware/build.py: error: ' + message)


def read_versions(path=VERSIONS):
    """NAME=value lines of versions.env."""
    values = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        name, sep, value = line.partition('=')
        if not sep:
            raise Failure('{} line {}: expected NAME=value'.format(path, number))
        values[name.strip()] = value.strip()
    for name in ('MICROPYTHON_VERSION', 'ESP_IDF_VERSION', 'MICROPYTHON_REPO',
                 'ESP_IDF_IMAGE'):
        if not values.get(name):
            raise Failure('{}: {} is missing'.format(path, name))
    return values


class Steps:
    """Numbered progress lines, and the commands they run (or print)."""

    def __init__(self, total, dry_run):
        self.number = 0
        self.total = total
        self.dry_run = dry_run

    def start(self, title):
        self.number += 1
        print('[{}/{}] {}'.format(self.number, self.total, title), flush=True)

    def run(self, command, cwd=None, env=None, what=None):
        """Runs `command` with the variables of `env` added to this
        process's environment (shown before the command, as a shell would
        take them)."""
        env = env or {}
        shown = ' '.join(['{}={}'.format(*item) for item in env.items()] +
                         [str(part) for part in command])
        print('    $ ' + shown, flush=True)
        if self.dry_run:
            return
        try:
            # output goes straight to the terminal: ninja's [n/N] counter
            # and git's progress are the long steps' progress
            result = subprocess.run([str(part) for part in command],
                                    cwd=None if cwd is None else str(cwd),
                                    env=dict(os.environ, **env))
        except FileNotFoundError:
            raise Failure('{} is not installed ({})'.format(command[0],
                                                            what or shown))
        if result.returncode != 0:
            raise Failure('{} failed (exit code {}): {}'.format(
                what or command[0], result.returncode, shown))


def project_version():
    """FIRMWARE_VERSION, else git describe; at most 31 ASCII characters."""
    version = os.environ.get('FIRMWARE_VERSION')
    if not version:
        try:
            result = subprocess.run(
                ['git', 'describe', '--tags', '--always', '--dirty'],
                cwd=str(ROOT), capture_output=True, text=True)
            version = result.stdout.strip() if result.returncode == 0 else ''
        except FileNotFoundError:
            version = ''
        if not version:
            raise Failure('no version: this is not a git checkout (or git is '
                          'missing); set FIRMWARE_VERSION=1.2.3')
    if not version.isascii() or len(version) > VERSION_BYTES:
        raise Failure('FIRMWARE_VERSION "{}" must be at most {} ASCII '
                      'characters (the app descriptor\'s field)'.format(
                          version, VERSION_BYTES))
    return version


def idf_version():
    """The version of the exported ESP-IDF ("v5.5.1"), or None."""
    try:
        result = subprocess.run(['idf.py', '--version'], capture_output=True,
                                text=True)
    except FileNotFoundError:
        return None
    found = re.search(r'v\d+\.\d+(\.\d+)?', result.stdout + result.stderr)
    return found.group(0) if found else 'unknown'


def micropython_version(checkout):
    """The release of a MicroPython checkout, from py/mpconfig.h."""
    header = checkout / 'py' / 'mpconfig.h'
    try:
        text = header.read_text()
    except OSError:
        raise Failure('MICROPY_DIR={} is not a MicroPython checkout (no '
                      'py/mpconfig.h)'.format(checkout))
    # v1.28.0 writes `#define MICROPY_VERSION_MAJOR 1`, older ones `(1)`
    parts = [re.search(r'#define MICROPY_VERSION_%s \(?(\d+)\)?' % name, text)
             for name in ('MAJOR', 'MINOR', 'MICRO')]
    if not all(parts):
        return 'unknown'
    return 'v' + '.'.join(part.group(1) for part in parts)


def choose_toolchain(versions, wanted_toolchain):
    """'native' (an exported ESP-IDF) or 'docker'; stops with the fix when
    there is neither."""
    if wanted_toolchain != 'auto':
        return wanted_toolchain
    wanted = versions['ESP_IDF_VERSION']
    found = idf_version()
    if found:
        if found != wanted:
            print('warning: ESP-IDF {} is exported, MicroPython {} is built '
                  'and tested with {} (firmware/versions.env); the build may '
                  'fail or behave differently'.format(
                      found, versions['MICROPYTHON_VERSION'], wanted))
        return 'native'
    if os.environ.get('IDF_PATH'):
        raise Failure('IDF_PATH is set but idf.py is not on PATH: run '
                      '`. $IDF_PATH/export.sh` in this shell first')
    if shutil.which('docker'):
        if docker_daemon_answers():
            return 'docker'
        raise Failure('Docker is installed but its daemon does not answer '
                      '(`docker info` failed): start Docker, or install '
                      'ESP-IDF {} and run `. $IDF_PATH/export.sh`'.format(
                          wanted))
    raise Failure(
        'no ESP-IDF: install ESP-IDF {v} (git clone -b {v} --recursive '
        'https://github.com/espressif/esp-idf.git; ./install.sh esp32c3,esp32s3) '
        'and run `. ./export.sh` so that IDF_PATH is set and idf.py is on '
        'PATH, or install Docker to build in {image}:{v}'.format(
            v=wanted, image=versions['ESP_IDF_IMAGE']))


def docker_daemon_answers():
    try:
        result = subprocess.run(['docker', 'info'], capture_output=True,
                                timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def build_name(board, variant):
    """ESP32_GENERIC_C3, or ESP32_GENERIC_C3-QEMU for a variant."""
    return board.name + ('-' + variant if variant else '')


def output_dir(board, variant=None):
    return ROOT / 'build' / 'firmware' / build_name(board, variant)


def check_variant(board, variant):
    if variant and variant not in board.variants:
        raise Failure('board {} has no variant {} (no boards/{}/'
                      'mpconfigvariant_{}.cmake); its variants: {}'.format(
                          board.name, variant, board.name, variant,
                          ', '.join(board.variants) or 'none'))


def in_docker(args, versions, version):
    """Runs this script again in Espressif's image, this repository mounted
    at the same path (so paths in the build tree stay valid)."""
    image = '{}:{}'.format(versions['ESP_IDF_IMAGE'],
                           versions['ESP_IDF_VERSION'])
    command = ['docker', 'run', '--rm', '-v', '{0}:{0}'.format(ROOT),
               '-w', str(ROOT), '-e', 'FIRMWARE_VERSION=' + version,
               '-e', 'HOME=/tmp/home']
    if hasattr(os, 'getuid'):  # files in build/ stay the user's
        command += ['-u', '{}:{}'.format(os.getuid(), os.getgid())]
    if sys.stdout.isatty():
        command.append('-t')
    micropy = os.environ.get('MICROPY_DIR')
    if micropy:
        micropy = str(pathlib.Path(micropy).resolve())
        command += ['-v', '{0}:{0}'.format(micropy), '-e',
                    'MICROPY_DIR=' + micropy]
    command += [image, 'python3', 'firmware/build.py', args.board,
                '--toolchain', 'native']
    if args.variant:
        command += ['--variant', args.variant]
    print('building in Docker, image {} (the first run downloads it)'.format(
        image), flush=True)
    Steps(1, args.dry_run).run(command, what='docker run ' + image)


def fetch_micropython(steps, versions):
    """MICROPY_DIR, or the pinned release cloned into build/."""
    wanted = versions['MICROPYTHON_VERSION']
    given = os.environ.get('MICROPY_DIR')
    if given:
        checkout = pathlib.Path(given).resolve()
        steps.start('MicroPython: MICROPY_DIR={}'.format(checkout))
        if not steps.dry_run:
            found = micropython_version(checkout)
            if found != wanted:
                print('warning: MICROPY_DIR is MicroPython {}, the boards '
                      'follow {} (firmware/versions.env)'.format(found, wanted))
        return checkout
    checkout = ROOT / 'build' / ('micropython-' + wanted)
    if (checkout / 'py' / 'mpconfig.h').exists():
        steps.start('MicroPython {}: {}'.format(wanted, checkout))
        return checkout
    steps.start('MicroPython {}: cloning into {}'.format(wanted, checkout))
    steps.run(['git', 'clone', '--depth', '1', '--branch', wanted,
               '--progress', versions['MICROPYTHON_REPO'], checkout],
              what='git clone of MicroPython ' + wanted)
    return checkout


def host_compiler():
    for name in ('cc', 'gcc', 'clang'):
        if shutil.which(name):
            return name
    raise Failure('no host C compiler to build mpy-cross: install gcc (Debian '
                  'and Ubuntu: apt-get install gcc)')


def forget_stale_config(build_dir, board_dir, dry_run):
    """ESP-IDF applies sdkconfig defaults only when it creates build/sdkconfig,
    so a changed board setting needs a fresh one."""
    sdkconfig = build_dir / 'sdkconfig'
    if dry_run or not sdkconfig.exists():
        return
    inputs = list(board_dir.iterdir()) + [board_dir.parent / 'firmware.cmake']
    newest = max(path.stat().st_mtime for path in inputs if path.is_file())
    if newest > sdkconfig.stat().st_mtime or \
            str(board_dir / 'partitions.csv') not in sdkconfig.read_text():
        print('    board settings changed: a new sdkconfig')
        sdkconfig.unlink()


def write_if_changed(path, text):
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def esptool_command():
    """esptool as a command, and whether it spells commands with dashes
    (esptool 5: merge-bin; 4.x: merge_bin)."""
    try:
        import esptool
    except ImportError:
        raise Failure('esptool is missing from this Python ({}): it comes with '
                      'ESP-IDF\'s Python environment (export.sh), or pip '
                      'install esptool'.format(sys.executable))
    major = int(re.match(r'\d+', getattr(esptool, '__version__', '4')).group(0))
    return [sys.executable, '-m', 'esptool'], major >= 5


def app_descriptor(path):
    """(version, project name) from an app image's esp_app_desc_t."""
    with open(str(path), 'rb') as f:
        head = f.read(image.CHECK_SIZE)
    try:
        found = image.describe(head)
    except image.ImageError as exc:
        raise Failure('{}: {}'.format(path, exc))
    return found['version'], found['project']


def collect(steps, board, build_dir, out_dir, version):
    """firmware.bin (merged at 0), micropython.bin, flash.json, version.txt."""
    steps.start('collecting the images into {}'.format(out_dir))
    args_file = build_dir / 'flasher_args.json'
    if steps.dry_run:
        steps.run(['esptool', '--chip', '<chip>', 'merge-bin', '-o',
                   out_dir / 'firmware.bin',
                   '<offset file>...  (from {})'.format(args_file)])
        return
    esptool, dashes = esptool_command()
    flasher = json.loads(args_file.read_text())
    chip = flasher['extra_esptool_args']['chip']
    files = sorted(flasher['flash_files'].items(), key=lambda i: int(i[0], 16))
    out_dir.mkdir(parents=True, exist_ok=True)
    command = esptool + ['--chip', chip, 'merge-bin' if dashes else
                         'merge_bin', '-o', out_dir / 'firmware.bin']
    for offset, name in files:
        command += [offset, build_dir / name]
    steps.run(command, what='esptool merge-bin')
    app = build_dir / flasher['app']['file']
    shutil.copyfile(str(app), str(out_dir / 'micropython.bin'))
    found, project = app_descriptor(app)
    if found != version:
        raise Failure('the app descriptor says version "{}", expected "{}": '
                      'boards/firmware.cmake did not set PROJECT_VER (is '
                      'CONFIG_APP_EXCLUDE_PROJECT_VER_VAR=n in '
                      'boards/{}/sdkconfig.board?)'.format(found, version, board))
    table = partition_table.read(boards.get(board).folder / 'partitions.csv')
    app_offset = partition_table.ota_slots(table)[0].offset
    if int(flasher['app']['offset'], 16) != app_offset:
        raise Failure('ESP-IDF put the app at {}, boards/{}/partitions.csv has '
                      'ota_0 at 0x{:x}: the build did not use the board\'s '
                      'partition table'.format(flasher['app']['offset'], board,
                                               app_offset))
    (out_dir / 'flash.json').write_text(json.dumps({
        'board': board, 'chip': chip, 'version': version, 'project': project,
        'merged': {'offset': '0x0', 'file': 'firmware.bin'},
        'app': {'offset': '0x%x' % app_offset, 'file': 'micropython.bin'},
        'parts': dict(files),
    }, indent=2) + '\n')
    (out_dir / 'version.txt').write_text(version + '\n')


def size_report(steps, board, mpy_cross, out_dir):
    steps.start('size report')
    if steps.dry_run:
        print('    (frozen bytes per module; app slot used and free)')
        return
    measured = sizes.measure(board, str(mpy_cross))
    image = (out_dir / 'micropython.bin').stat().st_size
    lines = sizes.report(board, measured, image)
    (out_dir / 'size-report.md').write_text('\n'.join(lines) + '\n')
    print('\n'.join('    ' + line for line in lines))
    if image > sizes.slot_size(board):
        raise Failure('micropython.bin ({:,} B) does not fit the {:,} B app '
                      'slot'.format(image, sizes.slot_size(board)))


def build(args, versions, version):
    board = boards.get(args.board)
    name = build_name(board, args.variant)
    build_dir = ROOT / 'build' / ('idf-' + name)
    out_dir = output_dir(board, args.variant)
    steps = Steps(6, args.dry_run)
    micropy = fetch_micropython(steps, versions)
    port = micropy / 'ports' / 'esp32'
    make = ['make', '-C', port, 'BOARD_DIR=' + str(board.folder),
            'BUILD=' + str(build_dir)]
    if args.variant:
        make.append('BOARD_VARIANT=' + args.variant)

    steps.start('MicroPython submodules for the esp32 port')
    steps.run(make + ['submodules'], what='make submodules')

    steps.start('mpy-cross (compiles the frozen modules)')
    if not args.dry_run:
        host_compiler()
    steps.run(['make', '-C', micropy / 'mpy-cross'], what='make -C mpy-cross')
    mpy_cross = micropy / 'mpy-cross' / 'build' / 'mpy-cross'
    # Without MICROPY_MPYCROSS, MicroPython's CMake runs `make -C mpy-cross`
    # itself, and the BUILD= given above reaches that make through MAKEFLAGS:
    # mpy-cross is then built inside the firmware's build folder and its
    # module list is mixed into the firmware's (link error: undefined
    # reference to mp_module_string). Name the one just built instead.
    env = {'MICROPY_MPYCROSS': str(mpy_cross)}

    steps.start('firmware {} for {} (ESP-IDF build; the first one takes '
                'minutes)'.format(version, name))
    if not args.dry_run:
        build_dir.mkdir(parents=True, exist_ok=True)
        write_if_changed(build_dir / 'firmware-version.txt', version + '\n')
        forget_stale_config(build_dir, board.folder, args.dry_run)
    steps.run(make, env=env, what='the ESP-IDF build')

    collect(steps, args.board, build_dir, out_dir, version)
    size_report(steps, args.board, mpy_cross, out_dir)
    if args.dry_run:
        return
    if args.variant:
        print('done: {} is in {}'.format(name, out_dir))
    else:
        print('done: flash with `make flash BOARD={} PORT=/dev/ttyACM0`, or '
              'update over the air with tools/ota_client.py HOST {}'.format(
                  args.board, out_dir / 'micropython.bin'))


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n\n', 1)[1])
    parser.add_argument('board', help='a board of boards/boards.json: ' +
                        ', '.join(boards.names()))
    parser.add_argument('--variant', help='a variant of the board (its '
                        'mpconfigvariant_<VARIANT>.cmake), e.g. QEMU')
    parser.add_argument('--dry-run', action='store_true',
                        help='print the steps and commands, run nothing')
    parser.add_argument('--print-version', action='store_true',
                        help='print the version the image would carry, '
                        'build nothing')
    parser.add_argument('--toolchain', choices=('auto', 'native', 'docker'),
                        default='auto', help='native: the exported ESP-IDF; '
                        'docker: Espressif\'s image; auto (default): native '
                        'if idf.py is on PATH, else docker')
    args = parser.parse_args()
    board = boards.get(args.board)  # stops early on an unknown board
    check_variant(board, args.variant)
    versions = read_versions()
    version = project_version()
    if args.print_version:
        print(version)
        return
    print('firmware {} for {}: MicroPython {}, ESP-IDF {}'.format(
        version, build_name(board, args.variant),
        versions['MICROPYTHON_VERSION'],
        versions['ESP_IDF_VERSION']), flush=True)
    if choose_toolchain(versions, args.toolchain) == 'docker':
        in_docker(args, versions, version)
    else:
        build(args, versions, version)


if __name__ == '__main__':
    main()
