"""Hardening figures for `make bench`: the emulated device (tools/device.py:
the app on the MicroPython unix port with a 256 KB heap, as `make run`)
answering one plain client that asks GET /api/status over and over, alone
and while others attack it; then its heap after 100,000 requests. Written
to bench/HARDENING.md and the README's "Limits and hardening" section.

    python bench/hardening.py [--seconds 10]

The tests hold the behaviour (tests/hil/test_hostile.py); these are
figures, from a shared machine: read them as orders of magnitude."""
import argparse
import json
import os
import pathlib
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'tests' / 'hil'))
import attacks  # noqa: E402  (the hardening tests' clients)
SOAK_REQUESTS = 100000


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Device:
    """tools/device.py on a port of its own, in a fresh state folder."""

    def __init__(self):
        self.port = free_port()
        self.endpoint = ('127.0.0.1', self.port)
        self.state = tempfile.mkdtemp(prefix='microdot-hardening-')
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / 'tools' / 'device.py'), '--state',
             self.state, '--port', str(self.port)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=dict(os.environ, HEALTH_TIMEOUT='60'))
        for line in self.proc.stdout:
            if line.startswith('IPv4 address:'):
                break
        else:
            sys.exit('the emulated device did not start')
        # its console must not fill a pipe nobody reads
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def stop(self):
        self.proc.terminate()
        self.proc.wait()

    def status(self):
        answer = attacks.status(self.endpoint, 10)
        return json.loads(answer.split(b'\r\n\r\n', 1)[1])


def probe(endpoint, seconds):
    """One client asking GET /api/status on a new connection each time:
    (answers, answers other than 200, median and 95th percentile ms)."""
    times, others = [], 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        start = time.monotonic()
        try:
            first = attacks.status(endpoint, 10)[:16]
        except OSError:
            first = b''
        times.append((time.monotonic() - start) * 1000)
        if not first.startswith(b'HTTP/1.1 200'):
            others += 1
    times.sort()
    return (len(times), others, times[len(times) // 2],
            times[int(len(times) * 0.95)])


def soak(device):
    """(heap free before, heap free after, requests): SOAK_REQUESTS
    requests by wrk, four keep-alive connections."""
    before = device.status()['free_heap']
    done = 0
    while done < SOAK_REQUESTS:
        out = subprocess.run(
            ['wrk', '-t1', '-c4', '-d10s',
             'http://127.0.0.1:%d/api/status' % device.port],
            capture_output=True, text=True).stdout
        match = re.search(r'(\d+) requests in', out)
        if not match:
            sys.exit('wrk failed:\n' + out)
        done += int(match.group(1))
    return before, device.status()['free_heap'], done


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--seconds', type=int, default=10,
                        help='how long each probe runs (default 10)')
    args = parser.parse_args()
    rows = []
    device = Device()
    try:
        for name, attack in (
                ('alone', None),
                ('200 slowloris connections',
                 attacks.Slowloris(device.endpoint)),
                ('50 event streams reopened as they close, and 8 clients '
                 'that never read', attacks.Attack(device.endpoint)),
                ('8 clients asking as fast as they can (keep-alive)',
                 attacks.Flood(device.endpoint))):
            print('probe:', name, flush=True)
            if attack is None:
                rows.append((name, probe(device.endpoint, args.seconds)))
                continue
            with attack:
                time.sleep(2)  # the attack is in place
                rows.append((name, probe(device.endpoint, args.seconds)))
        print('soak:', SOAK_REQUESTS, 'requests', flush=True)
        heap = soak(device)
    finally:
        device.stop()
    write(rows, heap, args.seconds)


def write(rows, heap, seconds):
    lines = ['| The plain client\'s GET /api/status, while ... | answered '
             '| not 200 | median | 95th percentile |', '|---|---|---|---|---|']
    for name, (count, others, median, p95) in rows:
        lines.append('| {} | {:,} | {:,} | {:.1f} ms | {:.1f} ms |'.format(
            name, count, others, median, p95))
    before, after, done = heap
    table = '\n'.join(lines) + '\n\nHeap free (after a collection) before ' \
        'and after {:,} requests: {:,} B and {:,} B.'.format(done, before,
                                                             after)
    note = ('Measured by `make bench` (bench/hardening.py) on {} ({} cores): '
            'the emulated device, MicroPython unix port, 256 KB heap; {} s '
            'per probe.'.format(time.strftime('%Y-%m-%d'), os.cpu_count(),
                                seconds))
    (ROOT / 'bench' / 'HARDENING.md').write_text(
        '# Hardening figures\n\n' + note + '\n\n' + table + '\n')
    readme = ROOT / 'README.md'
    text = readme.read_text()
    start, end = '<!-- hardening:start -->', '<!-- hardening:end -->'
    if start in text:
        text = text[:text.index(start) + len(start)] + '\n' + note + \
            '\n\n' + table + '\n' + text[text.index(end):]
        readme.write_text(text)
    print(note + '\n\n' + table)


if __name__ == '__main__':
    main()
