"""Updates a device over the air: uploads an app image (the build's
micropython.bin) to POST /api/ota with its SHA-256, waits for the device to
reboot into it and to confirm it, and prints the version now running.
Any error answer, a timeout or a rollback ends it with exit code 1.

    python tools/ota_client.py HOST IMAGE [--token TOKEN]

HOST is an address with an optional port (192.168.1.23, 127.0.0.1:8080,
http://device.local). The token is the device's ota_token; it may also come
from the OTA_TOKEN environment variable.
"""
import argparse
import hashlib
import json
import os
import socket
import sys
import time

CONTINUE_WAIT = 5  # seconds to wait for "100 Continue" before sending anyway
SEND_SIZE = 4096
REBOOT_TIMEOUT = 120  # seconds for the device to come back and confirm


class Failure(Exception):
    """Ends the command with this message and exit code 1."""


def parse_host(text):
    if '://' in text:
        scheme, _, text = text.partition('://')
        if scheme != 'http':
            raise Failure('only http:// is supported, not ' + scheme)
    text = text.rstrip('/')
    host, colon, port = text.rpartition(':')
    if colon and port.isdigit():
        return host, int(port)
    return text, 80


def read_response(sock):
    """Reads one HTTP response (skipping 100 Continue); returns status,
    headers (lower-case names) and body."""
    data = b''
    while True:
        while b'\r\n\r\n' not in data:
            chunk = sock.recv(4096)
            if not chunk:
                raise Failure('the device closed the connection without an '
                              'answer')
            data += chunk
        head, _, data = data.partition(b'\r\n\r\n')
        lines = head.decode('latin-1').split('\r\n')
        parts = lines[0].split(' ', 2)
        if len(parts) < 2 or not parts[1].isdigit():
            raise Failure('not an HTTP answer: ' + lines[0])
        status = int(parts[1])
        if status != 100:
            break
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(':')
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get('content-length', '0'))
    while len(data) < length:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return status, headers, data[:length]


def get_status(host, port, timeout=5):
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall('GET /api/status HTTP/1.1\r\nHost: {}\r\nConnection: '
                     'close\r\n\r\n'.format(host).encode())
        status, _, body = read_response(sock)
    if status != 200:
        raise Failure('GET /api/status answered {}'.format(status))
    return json.loads(body)


def progress(sent, total):
    width = 30
    done = width * sent // total
    sys.stderr.write('\r[{}{}] {:3d}%  {} / {} KB'.format(
        '#' * done, '.' * (width - done), 100 * sent // total,
        sent // 1024, total // 1024))
    if sent == total:
        sys.stderr.write('\n')
    sys.stderr.flush()


def upload(host, port, data, token, show_progress=True):
    """POSTs the image with Expect: 100-continue, so that a refusal (401,
    409, 413) comes before the body is sent. Returns status and JSON."""
    head = ('POST /api/ota HTTP/1.1\r\nHost: {}\r\n'
            'Content-Type: application/octet-stream\r\n'
            'Content-Length: {}\r\nAuthorization: Bearer {}\r\n'
            'X-OTA-SHA256: {}\r\nExpect: 100-continue\r\n\r\n').format(
                host, len(data), token, hashlib.sha256(data).hexdigest())
    sock = socket.create_connection((host, port), timeout=30)
    try:
        sock.sendall(head.encode())
        sock.settimeout(CONTINUE_WAIT)
        try:
            early = sock.recv(4096, socket.MSG_PEEK)
        except socket.timeout:
            early = b''  # no answer: HTTP says send the body anyway
        sock.settimeout(60)  # writing flash takes a while on the board
        if early.startswith(b'HTTP/1.1 100'):
            sock.recv(len(early.partition(b'\r\n\r\n')[0]) + 4)
        elif early:
            return answer(sock)  # refused before the body
        sent = 0
        try:
            while sent < len(data):
                piece = data[sent:sent + SEND_SIZE]
                sock.sendall(piece)
                sent += len(piece)
                if show_progress:
                    progress(sent, len(data))
        except OSError:
            if show_progress:
                sys.stderr.write('\n')
            # the device stopped reading: its answer says why
        return answer(sock)
    finally:
        sock.close()


def answer(sock):
    status, headers, body = read_response(sock)
    try:
        result = json.loads(body)
    except ValueError:
        text = body.decode('utf-8', 'replace')
        result = {'error': text or 'no reason given'}
    return status, result


def wait_for_update(host, port, before, version):
    """Waits for the reboot into the new image and its health check.
    `before` is the status before the upload."""
    expected = before['next_partition']
    deadline = time.monotonic() + REBOOT_TIMEOUT
    went_down = False
    last = None
    while time.monotonic() < deadline:
        try:
            status = get_status(host, port, timeout=3)
        except (OSError, Failure, ValueError):
            went_down = True
            time.sleep(0.2)
            continue
        rebooted = went_down or status['uptime_s'] < before['uptime_s'] or \
            status['partition'] != before['partition']
        if rebooted:
            if status['partition'] != expected or \
                    status['version'] != version:
                raise Failure('the device rolled back: it runs {} from {}, '
                              'the update did not pass its health check'
                              .format(status['version'], status['partition']))
            seen = (status['version'], status['partition'],
                    status['ota_state'])
            if seen != last:
                print('running {} from {} ({})'.format(*seen), flush=True)
                last = seen
            if status['ota_state'] == 'valid':
                return status
        time.sleep(0.2)
    raise Failure('the device did not come back with version {} within {} s'
                  .format(version, REBOOT_TIMEOUT))


def run(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('host', help='device address, e.g. 192.168.1.23 or '
                        '127.0.0.1:8080')
    parser.add_argument('image', help='app image file (micropython.bin)')
    parser.add_argument('--token', default=os.environ.get('OTA_TOKEN'),
                        help='the device\'s OTA token (default: $OTA_TOKEN)')
    parser.add_argument('--no-progress', action='store_true')
    args = parser.parse_args(argv)
    if not args.token:
        raise Failure('no OTA token: pass --token or set OTA_TOKEN')
    try:
        with open(args.image, 'rb') as f:
            data = f.read()
    except OSError as exc:
        raise Failure('cannot read {}: {}'.format(args.image, exc.strerror))
    host, port = parse_host(args.host)
    try:
        before = get_status(host, port)
    except OSError as exc:
        raise Failure('no answer from {}:{}: {}'.format(host, port, exc))
    print('device runs {} from {} ({}); sending {} ({} bytes, SHA-256 {}) '
          'to {}'.format(before['version'], before['partition'],
                         before['ota_state'], args.image, len(data),
                         hashlib.sha256(data).hexdigest()[:16] + '...',
                         before['next_partition']), flush=True)
    status, result = upload(host, port, data, args.token,
                            not args.no_progress)
    if status != 200 or not result.get('ok'):
        raise Failure('the device refused the update ({}): {}'.format(
            status, result.get('error', result)))
    print('device accepted version {}; waiting for it to reboot'.format(
        result['version']), flush=True)
    final = wait_for_update(host, port, before, result['version'])
    print('updated: {} is running from {} and confirmed'.format(
        final['version'], final['partition']))


def main():
    try:
        run()
    except Failure as exc:
        print('ota_client: error: {}'.format(exc), file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == '__main__':
    main()
