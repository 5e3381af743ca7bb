"""The device under test of the hardware-in-loop suite, as a test bench
sees a board: a console (a pytest-embedded Dut) read like a serial port,
HTTP to the address it prints, a way to cut the power, a reading of its
flash, and the firmware it runs and can be updated to. One class per
target, the same methods for each; the tests use nothing else.

    HostDevice    host: the emulated board (tools/device.py), its flash a
                  file; runs in `make test`
    QemuDevice    qemu: the QEMU variant's image in QEMU's esp32c3 machine
                  (pytest-embedded's qemu service), the flash image file
                  kept across boots; HTTP through a forwarded loopback port
    BoardDevice   board: a real ESP32-C3/S3 over its serial port (the esp
                  and idf services, which flash the build first) and Wi-Fi

A device starts unprovisioned where it is real (qemu, board): the harness
writes /config.json with the test token over the REPL, as `mpremote cp`
would, and soft-resets it."""
import hashlib
import json
import os
import pathlib
import re
import signal
import socket
import subprocess
import sys
import time

import images
import repl

ROOT = pathlib.Path(__file__).resolve().parents[2]
TOKEN = 'test-token-0123'  # the OTA token of every test device
EXPECT_TIMEOUT = 60  # seconds: a guard against a hang, not a measurement
# the same for an upload, which may be 2 MB to a chip emulated in software
# while other clients keep it busy
UPLOAD_TIMEOUT = 300
sys.path.insert(0, str(ROOT / 'firmware'))
import boards  # noqa: E402


class Firmware:
    """An app image the tests can upload: its bytes (None for the image
    the device was flashed with, if the test has no copy), version and
    project name."""

    def __init__(self, data, version, project):
        self.data = data
        self.version = version
        self.project = project

    @classmethod
    def built(cls, folder):
        """The app image of a firmware build (build/firmware/<name>/)."""
        folder = pathlib.Path(folder)
        info = json.loads((folder / 'flash.json').read_text())
        return cls((folder / 'micropython.bin').read_bytes(), info['version'],
                   info['project'])

    @classmethod
    def of_image(cls, path):
        """An app image file of any origin (ESP-IDF's hello_world, say)."""
        data = pathlib.Path(path).read_bytes()
        return cls(data, *images.descriptor(data))

    def __repr__(self):
        return 'Firmware({} {}, {} bytes)'.format(
            self.project, self.version, len(self.data or b''))


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-case names
        self.body = body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return 'Response({}, {!r})'.format(self.status, self.body[:200])


class Match:
    """A console match with str groups."""

    def __init__(self, match):
        self.match = match

    def group(self, index=0):
        return self.match.group(index).decode('utf-8', 'replace')


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
        raise AssertionError('not expected from these routes: ' + lines[0])
    length = int(headers.get('content-length', '0'))
    while len(data) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return Response(status, headers, data[:length])


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


class Upload:
    """An upload in progress on its own connection: started() has sent the
    head and got "100 Continue" (so the device's handler runs), send()
    sends more of the body, finish() the rest, and returns the answer."""

    def __init__(self, endpoint, data, headers):
        self.data = data
        self.sent = 0
        self.sock = socket.create_connection(endpoint, timeout=UPLOAD_TIMEOUT)
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


class Device:
    """What every target has. A subclass sets `endpoint` (host, port) for
    HTTP, and implements start(), power_cycle(), stop(), read_flash() and
    wait_for_flash(); `firmware` is what it was flashed with, `updates`
    two other builds it can be updated to, one after the other."""

    kind = None
    # the longest request head the device takes, its final CRLFCRLF
    # included (4 x Request.max_readline as app/api.py sets it, and those 4)
    head_limit = 4 * 1024 + 4
    body_limit = 1024  # the most read into memory before a handler runs
    # the time a plain request may take under attack (the second);
    # QEMU emulates the chip in software, its network too, on a shared host
    answer_deadline = 1

    def __init__(self, dut, board, token=TOKEN):
        self.dut = dut  # pytest-embedded: the console
        self.board = boards.get(board)
        self.table = images.partition_table(self.board.folder /
                                            'partitions.csv')
        self.token = token
        self.address = None  # what the device printed
        self.endpoint = None
        self.started_at = 0  # the console's length when start() was done

    # --- console ----------------------------------------------------------

    def expect(self, pattern, timeout=EXPECT_TIMEOUT):
        """Waits for `pattern` (a regular expression, ^ and $ at line
        ends; lines may end in \\r\\n) in the console after what the last
        call matched; returns the match."""
        regex = re.compile(pattern.encode(), re.M)
        return Match(self.dut.expect(regex, timeout=timeout))

    def console(self, since_start=False):
        """Everything the console has shown so far, or since start() was
        done (the harness's own provisioning left out)."""
        with open(self.dut.logfile, 'rb') as f:
            if since_start:
                f.seek(self.started_at)
            return f.read().decode('utf-8', 'replace')

    def mark_started(self):
        with open(self.dut.logfile, 'rb') as f:
            self.started_at = len(f.read())

    def wait_ready(self):
        """Until the app listens: the line ESP-IDF's test harness waits for
        too."""
        self.address = self.expect(r'IPv4 address: (\S+)').group(1)
        return self.address

    def provision(self):
        """Writes the device config (the test token) through the REPL and
        restarts MicroPython, as a user does with mpremote after flashing."""
        config = json.dumps(self.config())
        repl.run(self.dut, "f = open('/config.json', 'w')\n"
                 "f.write({!r})\nf.close()\n".format(config))
        repl.soft_reset(self.dut)

    def config(self):
        return {'wifi_ssid': 'unused', 'hostname': 'microdot-esp',
                'ota_token': self.token}

    # --- HTTP -------------------------------------------------------------

    def request(self, method, path, body=b'', headers=None):
        with socket.create_connection(self.endpoint,
                                      timeout=EXPECT_TIMEOUT) as sock:
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
        return Upload(self.endpoint, data, self.ota_headers(data, token, sha))

    def upload(self, data, token=True, sha=True):
        return self.start_upload(data, token, sha).finish()

    def upload_chunked(self, data, token=True, sha=True, size=8192):
        """The same upload with Transfer-Encoding: chunked (no length)."""
        headers = self.ota_headers(data, token, sha)
        with socket.create_connection(self.endpoint,
                                      timeout=UPLOAD_TIMEOUT) as sock:
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

    # --- flash ------------------------------------------------------------

    def flash(self):
        """A bootloader's view of the device's flash now."""
        return images.Flash(self.read_flash, self.table, self.board.target)

    def slot_size(self):
        return self.table['ota_1'][1]


class FileFlash:
    """A flash that is a file (the emulated board's, QEMU's image)."""

    flash_path = None

    def read_flash(self, offset, size):
        with open(self.flash_path, 'rb') as f:
            f.seek(offset)
            return f.read(size)

    def wait_for_flash(self, offset, data, timeout=EXPECT_TIMEOUT):
        """Until `data` is at `offset` in the flash: the device has
        written it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.read_flash(offset, len(data)) == data:
                return
            time.sleep(0.05)
        raise AssertionError('the device never wrote those bytes')


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class HostDevice(FileFlash, Device):
    """The emulated board: tools/device.py in its own process group, its
    output fed to the Dut's console, with a state folder (flash file,
    config) that outlives restarts. Its first start writes the config,
    which names the one emulated Wi-Fi network it also writes (networks.json
    in the state folder: "host-network", open), so it joins that. Its DNS
    responder (set-up mode) listens on `dns_port`, of its own."""

    kind = 'host'

    def __init__(self, dut, msg_queue, state_dir, port, mpy_dir,
                 board='ESP32_GENERIC_C3', health_timeout=10, cpython=False,
                 provisioned=True):
        super().__init__(dut, board)
        self.msg_queue = msg_queue
        self.state_dir = pathlib.Path(state_dir)
        self.flash_path = self.state_dir / 'flash.bin'
        self.endpoint = ('127.0.0.1', port)
        self.firmware = Firmware(None, '1.0.0', 'microdot-esp')
        self.updates = [Firmware(images.app_image('2.0.0'), '2.0.0',
                                 'test-app'),
                        Firmware(images.app_image('3.0.0',
                                                  code_size=100 * 1024),
                                 '3.0.0', 'test-app')]
        self.dns_port = free_udp_port()
        self.env = dict(os.environ, OTA_TOKEN=self.token, BOARD=board,
                        FIRMWARE_VERSION=self.firmware.version,
                        HEALTH_TIMEOUT=str(health_timeout),
                        DNS_PORT=str(self.dns_port))
        self.provisioned = provisioned
        if not provisioned:
            # fresh from the factory: no config, so set-up mode, whose new
            # token no override may hide; two tries at a network that
            # fails before set-up mode, not five
            del self.env['OTA_TOKEN']
            self.env.update(PROVISIONED='0', WIFI_ATTEMPTS='2')
        self.runtime = ['--cpython'] if cpython else ['--mpy', str(mpy_dir)]
        self.process = None

    def start(self):
        from pytest_embedded.log import DuplicateStdoutPopen
        self.process = DuplicateStdoutPopen(
            self.msg_queue,
            [sys.executable, str(ROOT / 'tools' / 'device.py'), '--state',
             str(self.state_dir), '--port', str(self.endpoint[1]),
             '--board', self.board.name] + self.runtime,
            env=self.env, start_new_session=True)
        if self.provisioned:
            self.wait_ready()
        self.mark_started()

    def write_console(self, data):
        """Types `data` on the board's USB console (its stdin)."""
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def kill(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        if self.process:
            self.process.wait()
            self.process.close()

    def power_cycle(self):
        """Power lost without warning (SIGKILL), then switched on again."""
        self.kill()
        self.start()

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                pass
        self.kill()

    def never_confirms(self):
        """An update whose health check will fail: the emulation's switch
        for it, read at the next boot."""
        (self.state_dir / 'fail-next-health-check').touch()
        return self.updates[0]


class QemuDevice(FileFlash, Device):
    """The QEMU variant's image in QEMU (pytest-embedded's qemu service):
    its flash is the image file QEMU runs on, its HTTP port forwarded to
    loopback; a power cut kills QEMU and starts it again on that file."""

    kind = 'qemu'
    answer_deadline = 5

    def __init__(self, dut, board, port, firmware, update, unconfirmed,
                 cli_args, extra_args, provisioned=True):
        super().__init__(dut, board)
        self.provisioned = provisioned
        self.cli_args = cli_args
        self.extra_args = extra_args
        self.flash_path = dut.qemu.image_path
        self.endpoint = ('127.0.0.1', port)
        self.firmware = firmware
        self.updates = [update, firmware]
        self.unconfirmed = unconfirmed

    def start(self):
        # a fresh image: MicroPython makes its filesystem, the app finds no
        # config and, with no radio for set-up mode, waits for the network
        # over the console (Improv); provision() interrupts it for the REPL
        self.expect(r'config: /config\.json is missing')
        self.expect(r'set-up: waiting for the network over the USB console')
        if self.provisioned:
            self.provision()
            self.wait_ready()
        self.mark_started()

    def write_console(self, data):
        """Types `data` on the board's console."""
        self.dut.write(data)

    def power_cycle(self):
        from pytest_embedded_qemu import Qemu
        old = self.dut.qemu
        old.kill()
        old.wait()
        old.close()
        new = Qemu(msg_queue=self.dut._q, qemu_image_path=old.image_path,
                   qemu_prog_path=old.qemu_prog_path,
                   qemu_cli_args=self.cli_args,
                   qemu_extra_args=self.extra_args, app=old.app)
        self.dut.qemu = new
        self.dut._hard_reset_func = new._hard_reset
        self.wait_ready()

    def stop(self):
        pass  # pytest-embedded ends QEMU with the test

    def never_confirms(self):
        return self.unconfirmed


class BoardDevice(Device):
    """A real board (pytest-embedded's esp and idf services: the build is
    flashed before each test): its serial console, Wi-Fi from the config
    the harness writes, esptool for its flash (which resets it)."""

    kind = 'board'

    def __init__(self, dut, board, wifi, firmware, update, unconfirmed):
        super().__init__(dut, board)
        self.wifi = wifi  # (ssid, password)
        self.firmware = firmware
        self.updates = [update, firmware]
        self.unconfirmed = unconfirmed

    def config(self):
        config = super().config()
        config['wifi_ssid'], config['wifi_password'] = self.wifi
        return config

    def start(self):
        self.expect(r'firmware \S+ \(\S+\) on ')
        self.provision()
        self.wait_ready()
        self.mark_started()

    def wait_ready(self):
        """As the others; the address (DHCP's) may change at each boot."""
        address = super().wait_ready()
        self.endpoint = (address, 80)
        return address

    def power_cycle(self):
        self.dut.hard_reset()  # the reset line: the chip stops where it is
        self.wait_ready()

    def stop(self):
        pass

    def read_flash(self, offset, size):
        return self.dump[offset - self.dump_offset:][:size]

    def flash(self):
        """The otadata and both slots, read with esptool (which stops the
        app); the board is reset afterwards and waited for."""
        start = self.table['otadata'][0]
        end = sum(self.table['ota_1'])
        self.dump = self.dut.serial.dump_flash(address=start, size=end - start)
        self.dump_offset = start
        self.dut.hard_reset()
        self.wait_ready()
        return super().flash()

    def wait_for_flash(self, offset, data, timeout=EXPECT_TIMEOUT):
        # reading the flash would stop the app: give it time to write
        time.sleep(5)

    def never_confirms(self):
        return self.unconfirmed
