"""What a board's cmake files give MicroPython's esp32 port, worked out by
CMake the way ports/esp32/CMakeLists.txt does it (mpconfigboard.cmake, then
the variant's mpconfigvariant_<VARIANT>.cmake, then the sdkconfig files
concatenated in order), in a stand-in for ports/esp32 whose files are the
pinned release's: read from a MicroPython checkout, or from the list of
them committed in firmware/micropython-esp32-files.txt.

    files = release_files()                       # the committed list
    files = checkout_files('/path/to/micropython')  # a checkout's
    config = evaluate('ESP32_GENERIC_C3', 'QEMU', files, work_dir)
    config.ok, config.output        # False and CMake's message if a named
                                    # file is missing or a variable unset
    config.target, config.sdkconfig_defaults, config.combined, ...

python3 firmware/board_config.py --check MICROPY_DIR checks every board and
variant against a checkout (the lab and CI's firmware job run it), and that
the committed list is that checkout's; --write MICROPY_DIR writes the list
again from a checkout of the pinned release."""
import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import boards
import build
import frozen

ROOT = boards.ROOT
PORT = 'ports/esp32'
FILE_LIST = ROOT / 'firmware' / 'micropython-esp32-files.txt'
LIST_HEADER = '''\
# The files of MicroPython {version}'s ports/esp32/boards/ folder and its
# other sdkconfig and .cmake files, one path per line, relative to
# ports/esp32.
# Written by `python3 firmware/board_config.py --write MICROPY_DIR` from a
# checkout of that release; the board checks (tests/firmware/
# test_board_files.py) test every file a board names against it.
'''

# The stand-in: what ports/esp32/CMakeLists.txt does with a board before
# ESP-IDF's project(), and a record of it.
CMAKE_LISTS = r'''
cmake_minimum_required(VERSION 3.16)
project(port_stand_in NONE)
set(MICROPY_PORT_DIR ${CMAKE_CURRENT_SOURCE_DIR})
# what the record reads, so that only a board's own use of an unset
# variable warns (upstream's boards set neither the version nor a manifest)
foreach(name IDF_TARGET PROJECT_VER MICROPY_FROZEN_MANIFEST USER_C_MODULES
        MICROPY_DEF_BOARD)
    set(${name} "")
endforeach()
include(${MICROPY_BOARD_DIR}/mpconfigboard.cmake)
if(MICROPY_BOARD_VARIANT)
    include(${MICROPY_BOARD_DIR}/mpconfigvariant_${MICROPY_BOARD_VARIANT}.cmake)
endif()
file(WRITE ${CMAKE_BINARY_DIR}/combined "")
foreach(fragment ${SDKCONFIG_DEFAULTS})
    file(READ ${fragment} text)
    file(APPEND ${CMAKE_BINARY_DIR}/combined "${text}")
endforeach()
string(REPLACE "\"" "\\\"" def_board "${MICROPY_DEF_BOARD}")
file(WRITE ${CMAKE_BINARY_DIR}/result.json "{
  \"target\": \"${IDF_TARGET}\",
  \"version\": \"${PROJECT_VER}\",
  \"manifest\": \"${MICROPY_FROZEN_MANIFEST}\",
  \"sdkconfig_defaults\": \"${SDKCONFIG_DEFAULTS}\",
  \"user_c_modules\": \"${USER_C_MODULES}\",
  \"def_board\": \"${def_board}\"
}")
'''


class Config:
    """A board's configuration as the port would see it."""

    def __init__(self, ok, output, result=None, combined=''):
        self.ok = ok
        self.output = output  # what CMake printed
        result = result or {}
        self.target = result.get('target')
        self.version = result.get('version')
        self.manifest = result.get('manifest')
        self.sdkconfig_defaults = [
            item for item in result.get('sdkconfig_defaults', '').split(';')
            if item]
        self.user_c_modules = result.get('user_c_modules') or None
        self.def_board = result.get('def_board', '')
        self.combined = combined  # the sdkconfig files, concatenated

    def setting(self, name):
        """The value the last sdkconfig file gives `name`, or None."""
        value = None
        for line in self.combined.splitlines():
            if line.startswith(name + '='):
                value = line[len(name) + 1:]
        return value


def release_files(path=FILE_LIST):
    """The committed list of the release's files (relative to ports/esp32)."""
    lines = pathlib.Path(path).read_text().splitlines()
    return [line for line in lines if line and not line.startswith('#')]


def wanted(name):
    """The files of ports/esp32 the list keeps: all a board can name (its
    CMakeLists.txt is the stand-in's own)."""
    return name.startswith('boards/') or name.startswith('sdkconfig') or \
        name.endswith('.cmake')


def checkout_files(micropy):
    """The same list, read from a MicroPython checkout."""
    port = pathlib.Path(micropy) / PORT
    if not port.is_dir():
        raise SystemExit('{} is not a MicroPython checkout (no {})'.format(
            micropy, PORT))
    found = []
    for folder, dirs, names in os.walk(str(port)):
        dirs[:] = [d for d in dirs if not d.startswith('build')]
        for name in names:
            relative = os.path.relpath(os.path.join(folder, name), str(port))
            relative = relative.replace(os.sep, '/')
            if wanted(relative):
                found.append(relative)
    return sorted(found)


def stand_in(port, files, source=None, filler=''):
    """A folder `port` holding each of `files`: a link to the file in
    `source` (ports/esp32 of a checkout), or a file holding `filler`."""
    if port.exists():
        shutil.rmtree(str(port))
    for name in files:
        path = port / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if source is None:
            path.write_text(filler)
        else:
            os.symlink(str(pathlib.Path(source) / name), str(path))
    (port / 'CMakeLists.txt').write_text(CMAKE_LISTS)


def cmake_command():
    """The pinned cmake beside this Python (requirements.txt), else the
    system's."""
    found = shutil.which('cmake', path=os.path.dirname(sys.executable)) or \
        shutil.which('cmake')
    if not found:
        raise SystemExit('cmake is missing: pip install -r requirements.txt '
                         '(it pins cmake) or install CMake 3.19 or newer')
    return found


def configure(port, build, board, variant=None, board_dir=None):
    """Runs CMake on the stand-in; a Config of what the board (in
    `board_dir`, by default this project's boards/<board>) set."""
    board_dir = board_dir or boards.FOLDER / board
    command = [cmake_command(), '--warn-uninitialized', '-S', str(port),
               '-B', str(build), '-DMICROPY_BOARD=' + board,
               '-DMICROPY_BOARD_DIR=' + str(board_dir)]
    if variant:
        command.append('-DMICROPY_BOARD_VARIANT=' + variant)
    result = subprocess.run(command, capture_output=True, text=True,
                            timeout=120)
    output = result.stdout + result.stderr
    # a board that uses a variable nobody sets gets an empty entry
    unset = 'uninitialized variable' in output.lower()
    if result.returncode != 0 or unset:
        return Config(False, output)
    return Config(True, output,
                  json.loads((build / 'result.json').read_text()),
                  (build / 'combined').read_text())


def evaluate(board, variant, files, work_dir, source=None, filler=''):
    """Config of `board` (and `variant`) in a stand-in of `files`."""
    work_dir = pathlib.Path(work_dir)
    port = work_dir / 'port'
    stand_in(port, files, source, filler)
    return configure(port, work_dir / 'build', board, variant)


def named_port_files(board):
    """The files of ports/esp32 the board's frozen manifest names
    ($(PORT_DIR)/...), relative to ports/esp32."""
    named = []
    for entry in frozen.evaluate(board).external:
        path = entry.split(' ', 1)[1]
        if path.startswith('$(PORT_DIR)/'):
            named.append(path[len('$(PORT_DIR)/'):])
    return named


def upstream_defaults(board, work_dir, source):
    """The sdkconfig files upstream's board of the same name lists, or None
    if the release has no such board."""
    upstream = pathlib.Path(source) / 'boards' / board
    if not (upstream / 'mpconfigboard.cmake').is_file():
        return None
    config = configure(pathlib.Path(work_dir) / 'port',
                       pathlib.Path(work_dir) / ('upstream-' + board), board,
                       board_dir=upstream)
    if not config.ok:
        raise SystemExit('upstream\'s {} does not configure in the stand-in:'
                         '\n{}'.format(board, config.output))
    return config.sdkconfig_defaults


def problems(files, work_dir, source=None):
    """Every board and variant configured against `files`: what is wrong,
    as sentences ([] when all is well). With `source` (ports/esp32 of a
    checkout), each board must also list every sdkconfig file upstream's
    board of the same name lists (its workarounds, such as the C3's stack
    guard, come with them)."""
    found = []
    for name in boards.names():
        for variant in [None] + boards.get(name).variants:
            label = name + ('-' + variant if variant else '')
            work = pathlib.Path(work_dir) / label
            config = evaluate(name, variant, files, work, source)
            if not config.ok:
                found.append('{}: CMake stops or warns:\n{}'.format(
                    label, config.output))
            elif source is not None and variant is None:
                theirs = upstream_defaults(name, work, source) or []
                for path in theirs:
                    if path not in config.sdkconfig_defaults:
                        found.append('{}: upstream\'s {} lists {}, this '
                                     'board does not'.format(name, name,
                                                             path))
        for path in named_port_files(name):
            if path not in files:
                found.append('{}: its manifest names ports/esp32/{}, which '
                             'the release does not have'.format(name, path))
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument('--check', metavar='MICROPY_DIR',
                        help='check the boards against this checkout')
    action.add_argument('--write', metavar='MICROPY_DIR',
                        help='write ' + str(FILE_LIST.relative_to(ROOT)) +
                        ' from this checkout')
    args = parser.parse_args()
    version = build.read_versions()['MICROPYTHON_VERSION']
    micropy = pathlib.Path(args.check or args.write).resolve()
    found_version = build.micropython_version(micropy)
    if found_version != version:
        raise SystemExit('{} is MicroPython {}, the boards follow {} '
                         '(firmware/versions.env)'.format(micropy, found_version,
                                                          version))
    files = checkout_files(micropy)
    if args.write:
        FILE_LIST.write_text(LIST_HEADER.format(version=version) +
                             '\n'.join(files) + '\n')
        print('wrote {} ({} files)'.format(FILE_LIST, len(files)))
        return
    with tempfile.TemporaryDirectory() as work:
        found = problems(files, work, source=micropy / PORT)
    if release_files() != files:
        missing = sorted(set(files) - set(release_files()))
        extra = sorted(set(release_files()) - set(files))
        found.append('{} differs from the checkout: {} missing, {} extra '
                     '(e.g. {}); write it again with --write'.format(
                         FILE_LIST.relative_to(ROOT), len(missing),
                         len(extra), (missing + extra)[:3]))
    for problem in found:
        print('board_config: ' + problem, file=sys.stderr)
    if found:
        sys.exit(1)
    print('board_config: every board and variant configures against {} '
          '({}), and {} lists its files'.format(
              micropy, version, FILE_LIST.relative_to(ROOT)))


if __name__ == '__main__':
    main()
