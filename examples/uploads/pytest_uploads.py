"""The uploads example: files stored as they arrive, with and without a
length, read back, replaced; bodies over the limit refused without leaving
anything behind; file names that could go astray refused."""
import http.client
import os
import socket

LIMIT = 64 * 1024


def put_chunked(server, name, pieces):
    """A PUT whose body goes in chunks, as from a pipe: no length known."""
    conn = http.client.HTTPConnection(server.partition('://')[2], timeout=10)
    try:
        conn.request('PUT', '/uploads/' + name, iter(pieces),
                     encode_chunked=True)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def stored(fetch, server):
    return {f['name']: f['size'] for f in fetch(server + '/uploads').json()}


def test_upload_read_back_replace(server, fetch, example_dir):
    data = os.urandom(50 * 1024)
    reply = fetch(server + '/uploads/photo.jpg', 'PUT', data)
    assert (reply.status, reply.json()) == (201, {'name': 'photo.jpg',
                                                  'size': len(data)})
    assert (example_dir / 'uploads' / 'photo.jpg').read_bytes() == data
    reply = fetch(server + '/uploads/photo.jpg')
    assert reply.body == data
    assert reply.headers['Content-Type'] == 'application/octet-stream'

    reply = fetch(server + '/uploads/photo.jpg', 'PUT', b'smaller')
    assert (reply.status, reply.json()['size']) == (200, 7)
    assert fetch(server + '/uploads/photo.jpg').body == b'smaller'
    assert stored(fetch, server)['photo.jpg'] == 7


def test_chunked_upload(server, fetch):
    pieces = [os.urandom(1000) for _ in range(40)]
    status, body = put_chunked(server, 'log.bin', pieces)
    assert status == 201
    assert fetch(server + '/uploads/log.bin').body == b''.join(pieces)


def test_too_large_with_a_length(server, fetch):
    reply = fetch(server + '/uploads/big.bin', 'PUT', bytes(LIMIT + 1))
    assert reply.status == 413
    assert 'big.bin' not in stored(fetch, server)


def test_too_large_refused_before_it_is_sent(server):
    # the client waits for "100 Continue" before it sends the body: it gets
    # the refusal instead, and never sends the megabyte
    host, _, port = server.partition('://')[2].partition(':')
    with socket.create_connection((host, int(port)), timeout=10) as client:
        client.sendall(b'PUT /uploads/big.bin HTTP/1.1\r\nHost: x\r\n'
                       b'Content-Length: 1000000\r\n'
                       b'Expect: 100-continue\r\n\r\n')
        answer = client.recv(4096)
    assert answer.startswith(b'HTTP/1.1 413 ')


def test_too_large_chunked_leaves_nothing(server, fetch, example_dir):
    status, body = put_chunked(server, 'stream.bin',
                               [bytes(1000)] * (LIMIT // 1000 + 1))
    assert status == 413
    assert sorted(os.listdir(example_dir / 'uploads')) == \
        sorted(stored(fetch, server))  # no .part file either
    assert 'stream.bin' not in stored(fetch, server)


def test_bad_names(server, fetch, example_dir):
    before = sorted(os.listdir(example_dir)), \
        sorted(os.listdir(example_dir / 'uploads'))
    for name in ('.hidden', 'a%20b', '..', 'x' * 65, '%2e%2e%2fmain.py'):
        reply = fetch(server + '/uploads/' + name, 'PUT', b'data')
        assert reply.status in (400, 404), name
    assert (sorted(os.listdir(example_dir)),
            sorted(os.listdir(example_dir / 'uploads'))) == before
    assert (example_dir / 'main.py').read_text().startswith('"""Uploads')
    assert fetch(server + '/uploads/missing.txt').status == 404
