"""The device under clients that do not play along, on every target: event
streams and clients that never read must not lock anyone out (nor make a
good update roll back), heads at the size limit must all be answered within
the heap, and an upload must not hold the OTA lock for ever."""
import select
import socket
import subprocess
import sys
import threading
import time

import pytest

import attacks
from harness import ROOT, TOKEN



def status_within(device, seconds):
    """GET /api/status with `seconds` as the deadline for the whole answer."""
    return attacks.status(device.endpoint, seconds)


def test_streams_and_clients_that_never_read_lock_nobody_out(device):
    first = device.updates[0]
    with attacks.Attack(device.endpoint) as attack:
        attack.wait_until_opened(58)
        for _ in range(5):
            answer = status_within(device, device.answer_deadline)
            assert answer.startswith(b'HTTP/1.1 200 OK'), answer
        # an update goes through, and the new image, with the attack on it
        # from its first moment, passes its health check
        response = device.upload(first.data)
        assert response.status == 200, response
        device.expect(r'partition ota_1, pending-verify')
        device.wait_ready()
        device.expect(r'health check passed: ota_1 confirmed')
        answer = status_within(device, device.answer_deadline)
        assert answer.startswith(b'HTTP/1.1 200 OK'), answer
    status = device.status()
    assert (status['version'], status['partition'], status['ota_state']) == \
        (first.version, 'ota_1', 'valid')


def largest(head, limit):
    """`head` (no blank line yet) padded to `limit` bytes with its end."""
    head += 'X-Pad: {}\r\n\r\n'.format('p' * (limit - len(head) - 11))
    assert len(head) == limit
    return head.encode()


def test_eight_requests_at_the_size_limits_are_all_answered(device):
    """Eight clients at once, each sending twenty requests at the device's
    limits: a head at its largest, most of it one If-None-Match of many
    tags, or a head and a body at their largest: each gets an HTTP answer,
    within the device's heap (the emulated board's is 256 KB, with about
    what a C3 has free)."""
    limit = device.head_limit
    tags = ', '.join('"%x"' % n for n in range(1500))
    tags = tags[:tags.rfind(',', 0, limit - 200)]  # as many as fit
    requests = [
        largest('GET /static/app.js HTTP/1.1\r\nHost: device\r\n'
                'If-None-Match: {}\r\n'.format(tags), limit),
        largest('POST /api/nothing HTTP/1.1\r\nHost: device\r\n'
                'Content-Length: {}\r\n'.format(device.body_limit), limit) +
        b'b' * device.body_limit]
    answers = [None] * 8 * 20

    def ask(index):
        for round in range(20):
            try:
                with socket.create_connection(device.endpoint,
                                              timeout=30) as sock:
                    sock.sendall(requests[index % 2])
                    answers[index * 20 + round] = sock.recv(64)
            except OSError as exc:
                answers[index * 20 + round] = repr(exc).encode()
    threads = [threading.Thread(target=ask, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for answer in answers:
        assert answer and answer.startswith(b'HTTP/1.1 '), answers
    assert 'Traceback' not in device.console(since_start=True)
    assert status_within(device, 5).startswith(b'HTTP/1.1 200 OK')


def test_an_upload_that_trickles_is_refused_and_frees_the_lock(device):
    """One byte now and then keeps every read within its timeout; the
    upload's minimum rate ends it, and the next update can start."""
    data = device.updates[0].data
    upload = device.start_upload(data)
    assert upload.continued
    upload.send(64 * 1024)
    started = time.monotonic()
    answer = None
    while answer is None and time.monotonic() - started < 60:
        try:
            upload.send(1)
        except OSError:
            pass  # the device closed the connection after its answer
        readable = select.select([upload.sock], [], [], 2)[0]
        if readable:
            answer = upload.sock.recv(4096)
    upload.sock.close()
    assert answer is not None and answer.startswith(b'HTTP/1.1 408 '), answer
    assert b'too slow' in answer
    device.expect(r'OTA: refused, 408')
    response = device.upload(data)
    assert response.status == 200, response


def test_a_nul_in_a_path_is_refused(device):
    for path in ('/static/%00', '/static/app.js%00.png', '/%00'):
        response = device.request('GET', path)
        assert response.status == 400, (path, response)
    assert 'Traceback' not in device.console(since_start=True)


def test_security_headers_and_encodings(device):
    index = device.request('GET', '/', headers={'Accept-Encoding': 'gzip'})
    assert index.status == 200
    assert index.headers['x-content-type-options'] == 'nosniff'
    assert index.headers['content-security-policy'] == "frame-ancestors 'none'"
    assert index.headers['content-type'] == 'text/html; charset=UTF-8'
    assert index.headers['content-encoding'] == 'gzip'
    assert index.headers['vary'] == 'Accept-Encoding'
    # a client that takes no gzip gets the plain file
    for headers in ({}, {'Accept-Encoding': 'identity'},
                    {'Accept-Encoding': 'br, deflate'}):
        plain = device.request('GET', '/', headers=headers)
        assert plain.status == 200
        assert 'content-encoding' not in plain.headers
        assert plain.headers['vary'] == 'Accept-Encoding'
        assert plain.body.startswith(b'<!DOCTYPE html>') or \
            plain.body.lower().startswith(b'<!doctype html>'), plain
    status = device.request('GET', '/api/status')
    assert status.headers['x-content-type-options'] == 'nosniff'


def test_free_heap_is_measured_after_a_collection(device):
    values = [device.status()['free_heap'] for _ in range(10)]
    # without a collection it swung by over 100 KB between two requests
    assert max(values) - min(values) < 16 * 1024, values


def test_the_token_is_still_needed_under_attack(device):
    with attacks.Attack(device.endpoint, streams=10, sleepers=2) as attack:
        attack.wait_until_opened(12)
        response = device.request('POST', '/api/reboot')
        assert response.status == 401
        response = device.request('POST', '/api/reboot', headers={
            'Authorization': 'Bearer ' + TOKEN + 'x'})
        assert response.status == 401


@pytest.mark.targets('host')
@pytest.mark.parametrize('runtime', ['micropython', 'cpython'])
def test_a_taken_port_stops_the_emulated_board_with_the_reason(
        runtime, tmp_path, mpy_dir):
    """Another program on the port: the emulated board says so and stops,
    where it used to reset over and over (812 boots in 25 s)."""
    taken = socket.socket()
    taken.bind(('127.0.0.1', 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        result = subprocess.run(
            [sys.executable, str(ROOT / 'tools' / 'device.py'), '--state',
             str(tmp_path), '--port', str(port)] +
            (['--cpython'] if runtime == 'cpython' else
             ['--mpy', str(mpy_dir)]),
            capture_output=True, text=True, timeout=60)
    finally:
        taken.close()
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert 'HTTP server: port {} is in use'.format(port) in out
    assert 'choose another port' in out
    assert out.count('firmware ') == 1  # one boot, no reset loop
    assert 'Traceback' not in out
