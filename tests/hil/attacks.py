"""Clients that do not play along, each in a thread of its own while a
`with` block lasts, for the hardening tests (tests/hil/test_hostile.py) and
the hardening figures of `make bench` (bench/hardening.py)."""
import re
import select
import socket
import threading
import time

STATUS = b'GET /api/status HTTP/1.1\r\nHost: device\r\nConnection: close\r\n' \
    b'\r\n'


def status(endpoint, timeout):
    """The whole answer to GET /api/status, `timeout` seconds the most."""
    with socket.create_connection(endpoint, timeout=timeout) as sock:
        sock.sendall(STATUS)
        data = b''
        while True:
            part = sock.recv(65536)
            if not part:
                return data
            data += part


class Background:
    """Runs run() in a thread from `with` on; stopped (and close()d) at
    its end."""

    def __init__(self):
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.thread.join(10)
        self.close()

    def close(self):
        pass


class Attack(Background):
    """Clients that hold connections, from a thread: `streams` event streams
    reopened a second after the device closes one (as a browser's
    EventSource does), and `sleepers` clients that send a request and never
    read the answer (their receive buffers are small: on a board, whose TCP
    buffers are 5.7 KB, the device's write stalls). Started before the
    device listens, they are there first."""

    def __init__(self, endpoint, streams=50, sleepers=8):
        super().__init__()
        self.endpoint = endpoint
        self.kinds = ['stream'] * streams + ['sleeper'] * sleepers
        self.sockets = [None] * len(self.kinds)
        self.closed_at = [0] * len(self.kinds)
        self.opened = 0

    def close(self):
        for sock in self.sockets:
            if sock:
                sock.close()

    def open(self, kind):
        sock = socket.socket()
        if kind == 'sleeper':
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(0.5)
        sock.connect(self.endpoint)
        if kind == 'stream':
            sock.sendall(b'GET /api/events HTTP/1.1\r\nHost: device\r\n\r\n')
        else:
            sock.sendall(b'GET /static/app.js HTTP/1.1\r\nHost: device\r\n'
                         b'Accept-Encoding: gzip\r\n\r\n')
        sock.setblocking(False)
        self.opened += 1
        return sock

    def gone(self, index):
        """Whether the device closed this client's connection; a stream's
        events are read and dropped, a sleeper's answers are left."""
        sock = self.sockets[index]
        readable = select.select([sock], [], [], 0)[0]
        if not readable:
            return False
        try:
            flags = socket.MSG_PEEK if self.kinds[index] == 'sleeper' else 0
            return sock.recv(65536, flags) == b''
        except BlockingIOError:
            return False
        except OSError:
            return True

    def run(self):
        while not self.stopped.is_set():
            now = time.monotonic()
            for index, kind in enumerate(self.kinds):
                if self.sockets[index] is not None and self.gone(index):
                    self.sockets[index].close()
                    self.sockets[index] = None
                    self.closed_at[index] = now
                if self.sockets[index] is None and \
                        now - self.closed_at[index] >= 1:
                    try:
                        self.sockets[index] = self.open(kind)
                    except OSError:
                        self.closed_at[index] = now  # not listening yet
            self.stopped.wait(0.05)

    def wait_until_opened(self, count, timeout=30):
        deadline = time.monotonic() + timeout
        while self.opened < count:
            assert time.monotonic() < deadline, \
                'only {} attack connections opened'.format(self.opened)
            time.sleep(0.1)


class Slowloris(Background):
    """`count` connections that send a request head a byte at a time, one
    byte per connection every half second, and never finish it."""

    def __init__(self, endpoint, count=200):
        super().__init__()
        self.endpoint = endpoint
        self.count = count

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


class Flood(Background):
    """`count` clients asking GET /api/status as fast as they can, on
    keep-alive connections, each in a thread of its own."""

    def __init__(self, endpoint, count=8):
        super().__init__()
        self.endpoint = endpoint
        self.count = count

    def run(self):
        clients = [threading.Thread(target=self.client, daemon=True)
                   for _ in range(self.count)]
        for client in clients:
            client.start()
        for client in clients:
            client.join()

    def client(self):
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
