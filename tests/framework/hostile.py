"""Hostile requests, made from a seed: random bytes, mutations of valid
requests, oversized and malformed heads, bodies and chunks, pipelined
garbage. The framework's fuzz test sends them on both runtimes, the
hardware-in-loop suite to the device. A seed gives the same requests on
each run of a runtime (CPython's and MicroPython's generators differ).

    for data in requests(seed=1, count=300, paths=['/', '/echo']):
        ...  # each one for a connection of its own"""
import random

VALID = (
    b'GET {path} HTTP/1.1\r\nHost: x\r\nUser-Agent: fuzz\r\n\r\n',
    b'GET {path}?a=1&b=%20&c HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n'
    b'Cookie: a=b; c=d\r\n\r\n',
    b'POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n'
    b'Content-Length: 13\r\n\r\n{"a": [1, 2]}',
    b'POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n'
    b'5\r\nhello\r\n0\r\n\r\n',
    b'HEAD {path} HTTP/1.0\r\n\r\n',
    b'GET {path} HTTP/1.1\r\nHost: x\r\nRange: bytes=0-5\r\n'
    b'If-None-Match: "a", W/"b"\r\nConnection: close\r\n\r\n',
)

# Pieces a mutation may insert: what parsers trip over.
NASTY = (b'\r\n', b'\n', b'\r', b'\x00', b' ', b'\t', b':', b'%', b'%00',
         b'%zz', b'%ff', b'\xff\xfe', b'\xc3\x28', b'Content-Length: 99999\r\n',
         b'Transfer-Encoding: chunked\r\n', b'Content-Length: -1\r\n',
         b'Content-Length: \xc2\xb2\r\n', b'Expect: 100-continue\r\n',
         b'Host: a\r\nHost: b\r\n', b'Connection: keep-alive, close\r\n',
         b'\r\n\r\n', b'HTTP/1.1', b'HTTP/9.9', b'..', b'/../', b'//',
         b'ffffffffffffffffffff\r\n', b'0\r\n\r\n', b';ext=1')

MALFORMED = (
    b'GET\r\n\r\n',
    b'GET / HTTP/1.1\r\n\r\n',  # no Host
    b'GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n',
    b'GET  / HTTP/1.1\r\nHost: x\r\n\r\n',
    b'GET / FTP/1.1\r\nHost: x\r\n\r\n',
    b'GET / HTTP/2.0\r\nHost: x\r\n\r\n',
    b'GET / HTTP/1.1\r\nHost x\r\n\r\n',
    b'GET / HTTP/1.1\r\nHost: x\r\n folded: line\r\n\r\n',
    b'GET / HTTP/1.1\r\nBad Name: x\r\nHost: x\r\n\r\n',
    b'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n'
    b'Transfer-Encoding: chunked\r\n\r\nhello',
    b'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
    b'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1e3\r\n\r\n',
    b'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n',
    b'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n'
    b'zz\r\nhello\r\n0\r\n\r\n',
    b'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n'
    b'2\r\nhello\r\n0\r\n\r\n',
    b'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n'
    b'fffffffffffff\r\n',
    b'GET /%ff%fe HTTP/1.1\r\nHost: x\r\n\r\n',
    b'GET /a%00b HTTP/1.1\r\nHost: x\r\n\r\n',
    b'GET http://x HTTP/1.1\r\nHost: x\r\n\r\n',
    b'GET * HTTP/1.1\r\nHost: x\r\n\r\n',
    b'\r\n\r\n',
    b'\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03',  # a TLS hello
)


def random_bytes(rng, size):
    return bytes(rng.getrandbits(8) for _ in range(size))


def mutate(rng, data):
    """`data` with a few bytes flipped, dropped, or nasty pieces put in."""
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        where = rng.randrange(len(data) + 1)
        action = rng.randrange(4)
        if action == 0 and where < len(data):
            data[where] ^= 1 << rng.randrange(8)
        elif action == 1 and where < len(data):
            data[where:where + rng.randint(1, 8)] = b''
        elif action == 2:
            data[where:where] = rng.choice(NASTY)
        else:
            data[where:where] = random_bytes(rng, rng.randint(1, 16))
    return bytes(data)


def oversized(rng, path):
    """A head or a body past the limits (or at them)."""
    kind = rng.randrange(5)
    if kind == 0:  # a long request line
        return b'GET /' + b'a' * rng.randint(1000, 9000) + b' HTTP/1.1\r\n' \
            b'Host: x\r\n\r\n'
    if kind == 1:  # many header fields
        fields = b''.join(b'X-%d: %s\r\n' % (n, b'v' * rng.randint(1, 60))
                          for n in range(rng.randint(50, 400)))
        return b'GET ' + path + b' HTTP/1.1\r\nHost: x\r\n' + fields + b'\r\n'
    if kind == 2:  # one long header value
        return b'GET ' + path + b' HTTP/1.1\r\nHost: x\r\nX-Long: ' + \
            b'v' * rng.randint(2000, 12000) + b'\r\n\r\n'
    if kind == 3:  # a body larger than it says, or than allowed
        size = rng.randint(1, 40000)
        return b'POST ' + path + b' HTTP/1.1\r\nHost: x\r\nContent-Length: ' + \
            str(size).encode() + b'\r\n\r\n' + b'b' * rng.randint(0, size * 2)
    # chunks that add up past the limits
    chunk = b'%x\r\n' % 8000 + b'c' * 8000 + b'\r\n'
    return b'POST ' + path + b' HTTP/1.1\r\nHost: x\r\n' \
        b'Transfer-Encoding: chunked\r\n\r\n' + chunk * rng.randint(1, 6) + \
        b'0\r\n\r\n'


def requests(seed, count, paths=(b'/',)):
    """`count` hostile requests (bytes), the same for the same seed."""
    rng = random.Random(seed) if hasattr(random, 'Random') else None
    if rng is None:  # MicroPython: the module is the generator
        random.seed(seed)
        rng = random
    paths = [path if isinstance(path, bytes) else path.encode()
             for path in paths]
    for number in range(count):
        kind = number % 6
        path = rng.choice(paths)
        valid = rng.choice(VALID).replace(b'{path}', path)
        if kind == 0:
            data = random_bytes(rng, rng.randint(1, 600))
            if rng.randrange(4):
                data += b'\r\n\r\n'  # most are complete heads
        elif kind == 1:
            data = mutate(rng, valid)
        elif kind == 2:
            data = oversized(rng, path)
        elif kind == 3:
            data = rng.choice(MALFORMED)
            if rng.randrange(2):
                data = mutate(rng, data)
        elif kind == 4:  # pipelined: a valid request, then garbage
            data = valid + mutate(rng, rng.choice(VALID).replace(
                b'{path}', path)) + random_bytes(rng, rng.randint(0, 64))
        else:  # a valid request cut short
            data = valid[:rng.randrange(1, len(valid))]
        yield data
