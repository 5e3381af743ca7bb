"""Clients that hold a device's connections, for the hardening tests
(tests/hil/test_hostile.py) and the hardening figures of `make bench`."""
import select
import socket
import threading
import time


class Attack:
    """Clients that hold connections, from a thread: `streams` event streams
    reopened a second after the device closes one (as a browser's
    EventSource does), and `sleepers` clients that send a request and never
    read the answer (their receive buffers are small: on a board, whose TCP
    buffers are 5.7 KB, the device's write stalls). Started before the
    device listens, they are there first."""

    def __init__(self, endpoint, streams=50, sleepers=8):
        self.endpoint = endpoint
        self.kinds = ['stream'] * streams + ['sleeper'] * sleepers
        self.sockets = [None] * len(self.kinds)
        self.closed_at = [0] * len(self.kinds)
        self.opened = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.thread.join(10)
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
