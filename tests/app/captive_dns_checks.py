"""Checks of app/captive_dns.py that run on both runtimes: on CPython
test_captive_dns.py calls them; on the MicroPython unix port it runs this
file, which imports captive_dns compiled to .mpy (as it is frozen) and
prints a marker line per check (see tests/runtimes.py):

    micropython captive_dns_checks.py checks PORT
    micropython captive_dns_checks.py serve PORT ADDRESS

`serve` runs the responder on 127.0.0.1:PORT until the process is killed;
it prints "ready" once the socket is bound. PORT is a free UDP port."""
import asyncio
import random
import socket
import struct
import sys

import captive_dns

PORT = None  # a free UDP port on 127.0.0.1, for the check that binds one

ADDRESS = '192.168.4.1'
IP = b'\xc0\xa8\x04\x01'  # its 4 bytes
EXAMPLE = b'\x07example\x03com\x00'
A, NS, PTR, MX, TXT, AAAA, SVCB, HTTPS, ANY = 1, 2, 12, 15, 16, 28, 64, 65, \
    255
IN, CH = 1, 3


def query(name=EXAMPLE, qtype=A, qclass=IN, ident=0xbeef, flags=0x0100,
          qdcount=1, arcount=0):
    return struct.pack('>HHHHHH', ident, flags, qdcount, 0, 0, arcount) + \
        name + struct.pack('>HH', qtype, qclass)


def response(q, answered, ip=IP):
    """The bytes answer() must return for `q`, a query built by query()
    with flags 0x0100 and without additional records."""
    head = q[:2] + b'\x85\x00\x00\x01\x00' + (b'\x01' if answered else
                                             b'\x00') + b'\x00\x00\x00\x00'
    tail = b'\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04' + ip
    return head + q[12:] + (tail if answered else b'')


def answer(q, ip=IP):
    r = captive_dns.answer(q, ip)
    return None if r is None else bytes(r)


def check_a_query_gets_the_address_every_byte():
    q = (b'\xbe\xef\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00'
         b'\x07example\x03com\x00\x00\x01\x00\x01')
    assert answer(q) == (
        b'\xbe\xef'  # the query's ID
        b'\x85\x00'  # QR, opcode QUERY, AA, RD as asked; RA 0, NOERROR
        b'\x00\x01\x00\x01\x00\x00\x00\x00'  # a question, an answer
        b'\x07example\x03com\x00\x00\x01\x00\x01'  # the question
        b'\xc0\x0c'  # the answer's name: a pointer to the question's
        b'\x00\x01\x00\x01'  # type A, class IN
        b'\x00\x00\x00\x3c'  # TTL 60 s
        b'\x00\x04\xc0\xa8\x04\x01')  # 4 bytes: 192.168.4.1


def check_the_response_is_built_the_same_way_for_other_queries():
    for ident in (0, 1, 0xffff):
        q = query(ident=ident)
        assert answer(q) == response(q, True)
    q = query(name=b'\x0ecaptive-portal\x05apple\x03com\x00')
    assert answer(q, b'\n\x00\x00\x01') == \
        response(q, True, b'\n\x00\x00\x01')
    q = query()
    assert answer(q, b'\xff\x00\x80\x07') == \
        response(q, True, b'\xff\x00\x80\x07')


def check_rd_is_copied_and_the_other_flags_are_cleared():
    # no RD: no recursion asked
    assert answer(query(flags=0))[2:4] == b'\x84\x00'
    # dig's AD, and CD, TC and the Z bit: none comes back
    for flags in (0x0120, 0x0110, 0x0300, 0x0140, 0x017f):
        r = answer(query(flags=flags))
        assert r[2:4] == bytes([0x84 | flags >> 8 & 1, 0]), (flags, r)


def check_an_edns_record_after_the_question_is_dropped():
    opt = b'\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00'  # dig sends one
    q = query(arcount=1)
    assert answer(q + opt) == response(q, True)


def check_any_gets_the_a_record():
    q = query(qtype=ANY)
    assert answer(q) == response(q, True)


def check_aaaa_and_other_types_get_no_record_and_no_error():
    for qtype in (AAAA, NS, PTR, MX, TXT, SVCB, HTTPS, 0, 0x0101, 0x01ff,
                  0xff01):
        q = query(qtype=qtype)
        r = answer(q)
        assert r == response(q, False), (qtype, r)
        assert r[2:12] == b'\x85\x00\x00\x01\x00\x00\x00\x00\x00\x00'


def check_classes_other_than_in_get_no_record():
    for qclass in (CH, 0, 255, 0x0101):
        q = query(qclass=qclass)
        assert answer(q) == response(q, False), qclass


def check_a_name_of_many_labels():
    name = b'\x01a' * 100 + b'\x3f' + b'x' * 63 + b'\x03com\x00'
    q = query(name=name)
    r = answer(q)
    assert r == response(q, True)
    assert r[12:12 + len(name)] == name
    assert r[-16:-14] == b'\xc0\x0c'


def check_the_root_name():
    q = query(name=b'\x00')
    assert answer(q) == response(q, True)
    assert len(answer(q)) == 17 + 16


def check_malformed_queries_are_dropped():
    header = struct.pack('>HHHHHH', 0xbeef, 0x0100, 1, 0, 0, 0)
    end = b'\x00\x00\x01\x00\x01'  # the name's end, type A, class IN
    cases = {
        'empty': b'',
        'short of a header': header[:11],
        'a header alone': header,
        'no class': header + b'\x00\x00\x01\x00',
        'a response (QR)': query(flags=0x8100),
        'a response without RD': query(flags=0x8000),
        'opcode IQUERY': query(flags=0x0900),
        'opcode STATUS': query(flags=0x1100),
        'opcode NOTIFY': query(flags=0x2000),
        'opcode UPDATE': query(flags=0x2800),
        'no question': query(qdcount=0),
        'two questions': query(qdcount=2) + query()[12:],
        '256 questions': query(qdcount=256),
        '257 questions': query(qdcount=257),
        'a pointer for the name': header + b'\xc0\x0c\x00\x01\x00\x01',
        'a pointer after a label': header + b'\x03www\xc0\x0c\x00\x01\x00\x01',
        'a pointer to the end': header + b'\x03www\xff\xff\x00\x01\x00\x01',
        # 0x40 and 0x80 are reserved label types, not lengths
        'label type 01': header + b'\x40' + b'a' * 64 + end,
        'label type 10': header + b'\x80' + b'a' * 128 + end,
        'label type 10, last': header + b'\x03www\xbf' + b'a' * 191 + end,
        'a label past the end': header + b'\x07exam',
        'a long label past the end': header + b'\x3f' + b'a' * 40 +
        b'\x00\x00\x01\x00\x01',
        'no end of name': header + b'\x07example\x03com',
        'no type or class': header + EXAMPLE,
        'half a class': header + EXAMPLE + b'\x00\x01\x00',
    }
    for what, q in cases.items():
        assert captive_dns.answer(q, IP) is None, what
    # a query cut anywhere before the end of its question
    q = query(name=b'\x03www\x07example\x03com\x00')
    for n in range(len(q)):
        assert captive_dns.answer(q[:n], IP) is None, n


def check_no_packet_makes_it_raise():
    random.seed(14)
    header = query()[:12]
    answered = 0
    for i in range(3000):
        size = random.getrandbits(7)
        if i % 2:
            # a good header, then bytes that are mostly short labels
            body = bytes(random.getrandbits(3) if random.getrandbits(1)
                         else random.getrandbits(8) for _ in range(size))
            q = header + body
        else:
            q = bytes(random.getrandbits(8) for _ in range(size))
        r = captive_dns.answer(q, IP)
        if r is not None:
            # whatever it answers is the query's question, answered
            end = len(r) - 16 if r[7] else len(r)
            assert r[:2] == q[:2] and r[12:end] == q[12:end], q
            assert r[2] & 0xfe == 0x84 and r[3] == 0, q
            answered += 1
    assert answered > 20, 'too few packets well-formed: %d' % answered


def check_packed_gives_the_4_bytes_of_an_address():
    assert captive_dns.packed(ADDRESS) == IP
    assert captive_dns.packed('10.0.0.1') == b'\n\x00\x00\x01'
    assert captive_dns.packed('0.0.0.0') == b'\x00\x00\x00\x00'
    assert captive_dns.packed('255.254.1.0') == b'\xff\xfe\x01\x00'


def check_a_wrong_address_is_refused():
    for address in ('192.168.4', '192.168.4.1.1', '192.168.4.256', 'a.b.c.d',
                    '-1.0.0.1', ''):
        try:
            captive_dns.packed(address)
        except ValueError as e:
            assert str(e) == "captive_dns: address '{}' is not an IPv4 " \
                "address such as 192.168.4.1".format(address), e
        else:
            raise AssertionError('packed() took ' + address)


async def check_serve_refuses_a_wrong_address_before_binding():
    try:
        await captive_dns.serve('192.168.4', PORT, '127.0.0.1')
    except ValueError as e:
        assert '192.168.4' in str(e) and 'IPv4' in str(e), e
    else:
        raise AssertionError('serve() took 192.168.4')


def bind(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(socket.getaddrinfo('127.0.0.1', port)[0][-1])
    except OSError:
        s.close()
        return False
    s.close()
    return True


async def check_cancelling_serve_closes_its_socket():
    task = asyncio.create_task(
        captive_dns.serve(ADDRESS, PORT, '127.0.0.1'))
    await asyncio.sleep(0)  # the task binds, then waits for a datagram
    assert not task.done()
    assert not bind(PORT), 'serve() did not hold UDP port {}'.format(PORT)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    else:
        raise AssertionError('serve() ended without the CancelledError')
    assert bind(PORT), 'the socket of serve() is still open'


async def reply(client):
    for _ in range(3000):  # 30 s at most: never a hang
        try:
            return client.recvfrom(1024)[0]
        except OSError:
            await asyncio.sleep(0.01)
    raise AssertionError('no reply')


async def check_a_failure_on_one_datagram_does_not_stop_serve():
    real = captive_dns.answer

    def failing(q, ip):
        # what a failed send, or a full heap, would raise
        if q[:2] == b'\x00\x01':
            raise OSError(5)
        if q[:2] == b'\x00\x02':
            raise MemoryError()
        return real(q, ip)

    captive_dns.answer = failing
    server = socket.getaddrinfo('127.0.0.1', PORT)[0][-1]
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.setblocking(False)
    task = asyncio.create_task(
        captive_dns.serve(ADDRESS, PORT, '127.0.0.1'))
    try:
        await asyncio.sleep(0)  # the task binds, then waits for a datagram
        for ident in (1, 2, 3):
            client.sendto(query(ident=ident), server)
        assert await reply(client) == response(query(ident=3), True)
        assert not task.done()
    finally:
        captive_dns.answer = real
        client.close()
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass


def run_checks():
    for name in sorted(globals()):
        if not name.startswith('check_'):
            continue
        asyncio.new_event_loop()  # nothing of an earlier check runs on
        try:
            result = globals()[name]()
            if hasattr(result, 'send'):
                asyncio.run(result)
            print('@@PASS', name)
        except Exception as e:
            print('@@FAIL', name)
            if hasattr(sys, 'print_exception'):
                sys.print_exception(e)
            else:
                import traceback
                traceback.print_exc(file=sys.stdout)


async def serve_until_killed(port, address):
    task = asyncio.create_task(captive_dns.serve(address, port, '127.0.0.1'))
    await asyncio.sleep(0)  # the task binds, then waits for a datagram
    if not task.done():
        print('ready')
    await task


if __name__ == '__main__':
    if sys.implementation.name == 'micropython' and \
            not captive_dns.__file__.endswith('.mpy'):
        print('@@ERROR captive_dns was imported from', captive_dns.__file__,
              'instead of its .mpy')
        sys.exit(1)
    PORT = int(sys.argv[2])
    if sys.argv[1] == 'checks':
        run_checks()
    else:
        asyncio.run(serve_until_killed(PORT, sys.argv[3]))
