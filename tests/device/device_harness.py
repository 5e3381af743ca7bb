"""The device under test, seen as a test bench sees a board: a console read
line by line like a serial port, HTTP to the address it prints, a way to
cut the power. HostDevice is the emulated board (tools/device.py). A
harness for a real board implements the same methods with the serial port
(console, reset line), Wi-Fi (HTTP) and esptool (read_flash); the tests
only use these methods."""
import hashlib
import json
import os
import pathlib
import re
import signal
import socket
import subprocess
import sys
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
TOKEN = 'test-token-0123'  # the OTA token of every test device
CSV = ROOT / 'boards' / 'ESP32_GENERIC_C3' / 'partitions.csv'
EXPECT_TIMEOUT = 60  # seconds: a guard against a hang, not a measurement


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-case names
        self.body = body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return 'Response({}, {!r})'.format(self.status, self.body[:200])


def read_response(sock):
    """One HTTP/1.1 response from `sock`, after any 100 Continue."""
    data = b''
    while True:
        while b'\r\n\r\n' not in data:
            chunk = sock.recv(65536)
            if not chunk:
                raise EOFError('connection closed before a response; got %r'
                               % data)
            data += chunk
        head, _, data = data.partition(b'\r\n\r\n')
        lines = head.decode('latin-1').split('\r\n')
        status = int(lines[0].split(' ')[1])
        if status != 100:
            break
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(':')
        headers[name.strip().lower()] = value.strip()
    if headers.get('transfer-encoding') == 'chunked':
        raise AssertionError('not expected from these routes')
    length = int(headers.get('content-length', '0'))
    while len(data) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return Response(status, headers, data[:length])


class Upload:
    """An upload in progress on its own connection: started() has sent the
    head and got "100 Continue" (so the device's handler runs), send()
    sends more of the body, finish() the rest, and returns the answer."""

    def __init__(self, address, port, data, headers):
        self.data = data
        self.sent = 0
        self.sock = socket.create_connection((address, port), timeout=30)
        head = 'POST /api/ota HTTP/1.1\r\nHost: device\r\n' \
            'Content-Length: {}\r\nExpect: 100-continue\r\n'.format(len(data))
        for name, value in headers.items():
            head += '{}: {}\r\n'.format(name, value)
        self.sock.sendall((head + '\r\n').encode())
        self.early = self.sock.recv(4096)
        # the device answers 100 Continue, or refuses before the body
        self.continued = self.early.startswith(b'HTTP/1.1 100 Continue\r\n')

    def send(self, size):
        piece = self.data[self.sent:self.sent + size]
        self.sock.sendall(piece)
        self.sent += len(piece)

    def finish(self):
        try:
            if self.continued:
                self.send(len(self.data))
                return read_response(self.sock)
            return read_response(PrefixedSocket(self.early, self.sock))
        finally:
            self.sock.close()


class PrefixedSocket:
    """A socket whose first bytes were already received."""

    def __init__(self, first, sock):
        self.first = first
        self.sock = sock

    def recv(self, size):
        if self.first:
            data, self.first = self.first, b''
            return data
        return self.sock.recv(size)


class HostDevice:
    """The emulated board: tools/device.py in its own process group, with a
    state folder (flash file, config) that outlives restarts."""

    def __init__(self, state_dir, port, token, mpy_dir, version='1.0.0',
                 health_timeout=10, cpython=False):
        self.state_dir = pathlib.Path(state_dir)
        self.port = port
        self.token = token
        self.env = dict(os.environ, OTA_TOKEN=token,
                        FIRMWARE_VERSION=version,
                        HEALTH_TIMEOUT=str(health_timeout))
        self.runtime = ['--cpython'] if cpython else ['--mpy', str(mpy_dir)]
        self.process = None
        self.lines = []
        self.cursor = 0  # expect() searches the lines from here on
        self.changed = threading.Condition()
        self.address = None

    # --- power and console ------------------------------------------------

    def start(self):
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / 'tools' / 'device.py'),
             '--state', str(self.state_dir), '--port', str(self.port)] +
            self.runtime,
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True)
        threading.Thread(target=self.read_console, args=(self.process,),
                         daemon=True).start()
        self.wait_ready()

    def read_console(self, process):
        for raw in process.stdout:
            with self.changed:
                self.lines.append(raw.decode('utf-8', 'replace').rstrip('\n'))
                self.changed.notify_all()
        with self.changed:
            self.changed.notify_all()

    def expect(self, pattern, timeout=EXPECT_TIMEOUT):
        """Waits for a console line matching `pattern` after the last one
        matched; returns the match."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                while self.cursor < len(self.lines):
                    line = self.lines[self.cursor]
                    self.cursor += 1
                    match = regex.search(line)
                    if match:
                        return match
                left = deadline - time.monotonic()
                if left <= 0 or (self.process.poll() is not None and
                                 self.cursor >= len(self.lines)):
                    raise AssertionError(
                        'no console line matches {!r}; console:\n{}'.format(
                            pattern, self.console()))
                self.changed.wait(min(left, 0.5))

    def console(self):
        return '\n'.join(self.lines[-60:])

    def wait_ready(self):
        """Until the app listens: the line ESP-IDF's test harness waits for
        too."""
        self.address = self.expect(r'IPv4 address: (\S+)').group(1)
        return self.address

    def power_cycle(self):
        """Power lost without warning (SIGKILL), then switched on again."""
        self.kill()
        self.start()

    def kill(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        if self.process:
            self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    # --- HTTP -------------------------------------------------------------

    def request(self, method, path, body=b'', headers=None):
        with socket.create_connection((self.address, self.port),
                                      timeout=30) as sock:
            head = '{} {} HTTP/1.1\r\nHost: device\r\nConnection: close\r\n' \
                .format(method, path)
            for name, value in (headers or {}).items():
                head += '{}: {}\r\n'.format(name, value)
            if body or method == 'POST':
                head += 'Content-Length: {}\r\n'.format(len(body))
            sock.sendall((head + '\r\n').encode() + body)
            return read_response(sock)

    def status(self):
        response = self.request('GET', '/api/status')
        assert response.status == 200, response
        return response.json()

    def ota_headers(self, data, token=True, sha=True):
        headers = {'Content-Type': 'application/octet-stream'}
        if token is True:
            token = self.token
        if token:
            headers['Authorization'] = 'Bearer ' + token
        if sha is True:
            sha = hashlib.sha256(data).hexdigest()
        if sha:
            headers['X-OTA-SHA256'] = sha
        return headers

    def start_upload(self, data, token=True, sha=True):
        return Upload(self.address, self.port, data,
                      self.ota_headers(data, token, sha))

    def upload(self, data, token=True, sha=True):
        return self.start_upload(data, token, sha).finish()

    def upload_chunked(self, data, token=True, sha=True, size=8192):
        """The same upload with Transfer-Encoding: chunked (no length)."""
        headers = self.ota_headers(data, token, sha)
        with socket.create_connection((self.address, self.port),
                                      timeout=30) as sock:
            head = 'POST /api/ota HTTP/1.1\r\nHost: device\r\n' \
                'Transfer-Encoding: chunked\r\n'
            for name, value in headers.items():
                head += '{}: {}\r\n'.format(name, value)
            sock.sendall((head + '\r\n').encode())
            try:
                for start in range(0, len(data), size):
                    piece = data[start:start + size]
                    sock.sendall(b'%x\r\n' % len(piece) + piece + b'\r\n')
                sock.sendall(b'0\r\n\r\n')
            except OSError:
                pass  # refused while sending: the answer says why
            return read_response(sock)

    # --- the emulation's extras ---------------------------------------------

    def read_flash(self):
        return (self.state_dir / 'flash.bin').read_bytes()

    def fail_next_health_check(self):
        (self.state_dir / 'fail-next-health-check').touch()

    def wait_for_flash(self, offset, data, timeout=EXPECT_TIMEOUT):
        """Until `data` is at `offset` in the flash: the device has written
        it. (On a board: wait long enough for the write.)"""
        deadline = time.monotonic() + timeout
        path = self.state_dir / 'flash.bin'
        while time.monotonic() < deadline:
            with open(path, 'rb') as f:
                f.seek(offset)
                if f.read(len(data)) == data:
                    return
            time.sleep(0.05)
        raise AssertionError('the device never wrote those bytes')
