"""The device under 300 hostile requests from a seed (the framework tests'
generator, tests/framework/hostile.py), four connections at a time, on
every target: each gets an HTTP answer or a clean close, the console shows
no traceback, and the device answers normally afterwards. Each client ends
its side after sending, so a cut-short request meets the end of its
connection rather than the device's 10 s timeout."""
import socket
import threading

import hostile

SEED = 20261201
COUNT = 300
WORKERS = 4
PATHS = ['/', '/api/status', '/api/events', '/api/ota', '/api/reboot',
         '/static/app.js', '/static/../config.json', '/nothing']


def answer(endpoint, data):
    """What came back for `data`: up to a whole response head, or the
    close (b'')."""
    with socket.create_connection(endpoint, timeout=30) as sock:
        received = b''
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the device answered and closed before it took it all
        try:
            while b'\r\n\r\n' not in received:
                part = sock.recv(4096)
                if not part:
                    break
                received += part
        except ConnectionResetError:
            pass  # closed with data unread: a reset, after any answer
        return received


def test_hostile_requests_get_an_answer_or_a_clean_close(device):
    queue = list(hostile.requests(SEED, COUNT, PATHS))
    results = []
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                data = queue.pop()
            received = answer(device.endpoint, data)
            with lock:
                results.append((data, received))
    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    assert len(results) == COUNT
    for data, received in results:
        # an HTTP/1.0 request is answered in HTTP/1.0
        assert received == b'' or received.startswith(
            (b'HTTP/1.1 ', b'HTTP/1.0 ')), \
            (data[:200], received[:200])
    refused = [r[9:12] for _, r in results
               if r.startswith((b'HTTP/1.1 4', b'HTTP/1.0 4'))]
    assert len(refused) > COUNT // 4, refused
    assert 'Traceback' not in device.console(since_start=True)
    status = device.status()
    assert status['version'] == device.firmware.version
