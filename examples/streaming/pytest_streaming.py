"""The streaming example: bodies of unknown length arrive chunked and
whole, over a connection that then serves the next request; a body of
known length arrives plain; an HTTP/1.0 client gets the body up to the
close."""
import socket


def raw(server, request):
    """Sends `request` and reads until the server closes."""
    host, _, port = server.partition('://')[2].partition(':')
    with socket.create_connection((host, int(port)), timeout=10) as client:
        client.sendall(request)
        data = b''
        while True:
            part = client.recv(4096)
            if not part:
                return data
            data += part


def test_csv_export(server, fetch):
    reply = fetch(server + '/readings.csv?rows=2000')
    assert reply.status == 200
    assert reply.headers['Content-Type'] == 'text/csv'
    assert reply.headers['Transfer-Encoding'] == 'chunked'
    lines = reply.text.splitlines()
    assert lines[0] == 'minute,temperature'
    assert len(lines) == 2001
    assert lines[1] == '0,18.0'
    assert lines[1441] == '1440,18.0'
    assert fetch(server + '/readings.csv?rows=-1').status == 400


def test_async_countdown_in_chunks(server):
    answer = raw(server, b'GET /countdown/3 HTTP/1.1\r\nHost: x\r\n\r\n'
                 b'GET /fixed HTTP/1.1\r\nHost: x\r\nConnection: close\r\n'
                 b'\r\n')
    head, _, rest = answer.partition(b'\r\n\r\n')
    assert b'\r\nTransfer-Encoding: chunked' in head
    # each line went out as a chunk of its own, then the last, empty one
    chunks = b'2\r\n3\n\r\n2\r\n2\n\r\n2\r\n1\n\r\n2\r\n0\n\r\n' \
        b'8\r\nliftoff\n\r\n0\r\n\r\n'
    assert rest.startswith(chunks)
    # the same connection then answered the next request
    head, _, body = rest[len(chunks):].partition(b'\r\n\r\n')
    assert head.startswith(b'HTTP/1.1 200 ')
    assert b'\r\nContent-Length: 38' in head
    assert b'chunked' not in head
    assert body == b'first piece, second piece, last piece\n'


def test_http10_client(server):
    answer = raw(server, b'GET /countdown/1 HTTP/1.0\r\n\r\n')
    head, _, body = answer.partition(b'\r\n\r\n')
    assert head.startswith(b'HTTP/1.0 200 ')
    # no chunks for HTTP/1.0: the end of the body is the close
    assert b'chunked' not in head
    assert body == b'1\n0\nliftoff\n'
