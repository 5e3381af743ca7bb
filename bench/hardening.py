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
from attacks import Attack  # noqa: E402  (the hardening tests' attackers)

STATUS = b'GET /api/status HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n'
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
        with socket.create_connection(self.endpoint, timeout=10) as sock:
            sock.sendall(STATUS)
            data = b''
            while True:
                part = sock.recv(65536)
                if not part:
                    break
                data += part
        return json.loads(data.split(b'\r\n\r\n', 1)[1])


def probe(endpoint, seconds):
    """One client asking GET /api/status on a new connection each time:
    (answers, answers other than 200, median and 95th percentile ms)."""
    times, others = [], 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        start = time.monotonic()
        try:
            with socket.create_connection(endpoint, timeout=10) as sock:
                sock.sendall(STATUS)
                first = sock.recv(16)
                while sock.recv(65536):
                    pass
        except OSError:
            first = b''
        times.append((time.monotonic() - start) * 1000)
        if not first.startswith(b'HTTP/1.1 200'):
            others += 1
    times.sort()
    return (len(times), others, times[len(times) // 2],
            times[int(len(times) * 0.95)])


class Slowloris:
    """`count` connections that send a request head a byte at a time, one
    byte per connection every half second, and never finish it."""

    def __init__(self, endpoint, count=200):
        self.endpoint = endpoint
        self.count = count
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.thread.join(10)

    def run(self):
        sockets = []
        while not self.stopped.is_set():
            while len(sockets) < self.count:
                try:
                    sockets.append(socket.create_connection(self.endpoint, 1))
                except OSError:
                    break
            for sock in list(sockets):
                try:
                    sock.send(b'X')
                except OSError:  # closed by the device: open another
                    sockets.remove(sock)
                    sock.close()
            self.stopped.wait(0.5)
        for sock in sockets:
            sock.close()


class Flood:
    """`count` clients asking GET /api/status as fast as they can, on
    keep-alive connections."""

    def __init__(self, endpoint, count=8):
        self.endpoint = endpoint
        self.stopped = threading.Event()
        self.threads = [threading.Thread(target=self.run, daemon=True)
                        for _ in range(count)]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        for thread in self.threads:
            thread.join(10)

    def run(self):
        request = STATUS.replace(b'Connection: close', b'Connection: keep-alive')
        while not self.stopped.is_set():
            try:
                with socket.create_connection(self.endpoint, timeout=5) as sock:
                    while not self.stopped.is_set():
                        sock.sendall(request)
                        data = b''
                        while b'\r\n\r\n' not in data:
                            part = sock.recv(4096)
                            if not part:
                                raise OSError('closed')
                            data += part
                        head, _, body = data.partition(b'\r\n\r\n')
                        length = int(re.search(rb'Content-Length: (\d+)',
                                               head).group(1))
                        while len(body) < length:
                            body += sock.recv(4096)
            except OSError:
                self.stopped.wait(0.1)


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
                ('200 slowloris connections', Slowloris(device.endpoint)),
                ('50 event streams reopened as they close, and 8 clients '
                 'that never read', Attack(device.endpoint)),
                ('8 clients asking as fast as they can (keep-alive)',
                 Flood(device.endpoint))):
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
