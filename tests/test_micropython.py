"""Runs every framework and extension test again on the MicroPython unix
port, importing the framework from the .mpy files that get frozen into
firmware. Each test shows up here as its own pytest item:
`micropython[module::test]`."""
import ast
import os
import pathlib
import random
import socket
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
FRAMEWORK_TESTS = ROOT / 'tests' / 'framework'
RUNNER = ROOT / 'tests' / 'mp_runner.py'  # also the app tests' runner
TEST_DIRS = (FRAMEWORK_TESTS, ROOT / 'tests' / 'extensions')
from runtimes import MICROPYTHON, marker_results  # noqa: E402


def collect():
    for path in sorted(p for d in TEST_DIRS for p in d.glob('test_*.py')
                       if not p.name.startswith('test_cpython_')):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and \
                    node.name.startswith('test_'):
                yield path.stem, node.name


def free_port_range(size=200):
    """The start of `size` ports that are free now, below Linux's ephemeral
    range so that client sockets do not take them meanwhile."""
    for _ in range(50):
        base = random.randrange(20000, 32000 - size)
        try:
            for port in range(base, base + size):
                probe = socket.socket()
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind(('127.0.0.1', port))
                probe.close()
            return base
        except OSError:
            probe.close()
    raise RuntimeError('no free range of {} ports on 127.0.0.1'.format(size))


@pytest.fixture(scope='session')
def mpy_path(mpy_build):
    return ':'.join([str(mpy_build)] + [str(d) for d in TEST_DIRS] +
                    ['.frozen'])


_results = {}


def results_of(module, mpy_path):
    if module not in _results:
        env = dict(os.environ, MICROPYPATH=mpy_path,
                   MICRODOT_TEST_PORT=str(free_port_range()))
        proc = subprocess.run(
            [MICROPYTHON, '-X', 'heapsize=8M', str(RUNNER), module,
             'microdot'], capture_output=True, text=True, timeout=300, env=env,
            cwd=str(FRAMEWORK_TESTS))
        results = marker_results(proc.stdout)
        results['@@output'] = proc.stdout + proc.stderr
        _results[module] = results
    return _results[module]


@pytest.mark.parametrize('module,name', list(collect()),
                         ids=['{}::{}'.format(*item) for item in collect()])
def test_micropython(module, name, mpy_path):
    results = results_of(module, mpy_path)
    assert name in results, 'no result; MicroPython printed:\n' + \
        results['@@output'][-3000:]
    assert results[name] == 'PASS', results[name]
