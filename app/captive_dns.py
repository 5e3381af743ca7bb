"""The DNS responder of the set-up access point: it answers every name with
the board's own IPv4 address, so that a phone that joins the access point
finds its captive-portal check answered by the board and opens the set-up
page by itself.

A query of type A or ANY, class IN, gets one A record (TTL 60 s). Any other
type, AAAA included, gets NOERROR with no record, which tells the client
the name exists without that type, so it goes on with the A record (a
refusal or NXDOMAIN would make it give up on the name). A packet that is not
a standard query with one well-formed question is dropped."""
import asyncio
import socket

try:
    from asyncio import core  # MicroPython's asyncio
except ImportError:
    core = None  # CPython's

# The record after the question: a pointer to the question's name (at
# offset 12), type A, class IN, TTL 60 s, 4 bytes of address.
RECORD = b'\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04'


def packed(address):
    """The 4 bytes of the IPv4 address `address` ('192.168.4.1')."""
    try:
        ip = bytes(int(n) for n in address.split('.'))
        if len(ip) == 4:
            return ip
    except ValueError:
        pass
    raise ValueError('captive_dns: address %r is not an IPv4 address such '
                     'as 192.168.4.1' % address)


def answer(query, ip):
    """The response (a bytearray) to the DNS query `query` with `ip`, the
    4 bytes of an IPv4 address (packed('192.168.4.1')), or None when the
    packet is to be dropped."""
    q = query
    n = len(q)
    # QR set (a response) or an opcode other than QUERY, or QDCOUNT != 1
    if n < 17 or q[2] & 0xf8 or q[4] or q[5] != 1:
        return None
    i = 12
    while q[i]:
        # a compression pointer (0xc0) or a reserved label type
        if q[i] > 63:
            return None
        i += q[i] + 1
        # the name's end and the type and class must be in the packet
        if i + 5 > n:
            return None
    a = q[i + 1] == 0 and q[i + 2] in (1, 255) and q[i + 3] == 0 and \
        q[i + 4] == 1
    r = bytearray(q)
    # the question ends the response: an EDNS record after it is dropped
    r[i + 5:] = RECORD + ip if a else b''
    r[2] = 0x84 | q[2] & 1  # QR, AA, RD as asked
    r[3] = r[6] = r[8] = r[9] = r[10] = r[11] = 0  # RA 0, NOERROR
    r[7] = a
    return r


def wait_readable(sock):
    # MicroPython's asyncio has no public way to wait for a datagram. This
    # is how its own streams wait (asyncio/stream.py, the same since
    # v1.13): the socket joins the loop's poller, so an idle responder
    # costs nothing and a query is read at once, and cancel() takes the
    # socket out again. Polling with a zero timeout between sleep_ms()
    # calls would use public names only, but wake the loop every few ms
    # forever and answer up to that late. A generator, not an async def:
    # CPython, which compiles this file too, would make that an async
    # generator.
    yield core._io_queue.queue_read(sock)


async def serve(address, port=53, host='0.0.0.0'):
    """Answers the DNS queries that reach UDP `host`:`port` with `address`
    ('192.168.4.1', a ValueError before binding if it is not one) until
    cancelled, which closes the socket."""
    ip = packed(address)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(socket.getaddrinfo(host, port)[0][-1])
        s.setblocking(False)
        if not core:
            loop = asyncio.get_running_loop()
        while True:
            try:
                if core:
                    await wait_readable(s)
                    q, peer = s.recvfrom(512)
                else:
                    # CPython 3.11+ (as the project's tools need)
                    q, peer = await loop.sock_recvfrom(s, 512)
                r = answer(q, ip)
                if r:
                    s.sendto(r, peer)
            except Exception:
                # a datagram never ends the responder: an OSError of a
                # read or a send, a MemoryError on a full heap; the client
                # asks again
                pass
    finally:
        s.close()
