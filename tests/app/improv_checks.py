"""Checks of app/improv.py that run on CPython (tests/app/test_improv.py
calls each) and on the MicroPython unix port, where this file is the
script and prints a marker line per check (tests/runtimes.py reads them):

    micropython improv_checks.py     (improv.mpy on MICROPYPATH)

The device's replies are read as the browser reads them: a packet counts
only where a line starts or another packet ended."""
import asyncio

import improv

URL = 'http://192.168.1.23/'
INFO = ('microdot-esp', '1.2.0', 'ESP32-C3', 'kitchen')
NETWORKS = [('home', -52, True), ('café libre', -71, False)]


class Device:
    """The app's side: joins "home" only with the password "secret"."""

    def __init__(self):
        self.url = None
        self.joins = []
        self.name = 'kitchen'

    def info(self):
        return INFO

    def scan(self):
        return NETWORKS

    async def connect(self, ssid, password):
        self.joins.append((ssid, password))
        await asyncio.sleep(0)
        if (ssid, password) == ('home', 'secret'):
            self.url = URL
            return URL
        return None

    def state(self):
        return self.url

    def hostname(self, name=None):
        if name is not None:
            self.name = name
        return self.name


class Broken(Device):
    def scan(self):
        raise OSError(5)

    async def connect(self, ssid, password):
        raise RuntimeError('radio off')


class Reader:
    """Gives the bytes it was made with, at most n at a time."""

    def __init__(self, data):
        self.data = data

    async def read(self, n):
        chunk, self.data = self.data[:n], self.data[n:]
        return chunk


class Writer:
    def __init__(self):
        self.data = b''

    def write(self, data):
        self.data += data

    async def drain(self):
        pass


def rpc(command, data=b''):
    """An RPC command packet, as the browser sends it."""
    return improv.packet(3, bytes((command, len(data))) + data)


def wifi(ssid, password):
    ssid, password = ssid.encode(), password.encode()
    return rpc(1, bytes((len(ssid),)) + ssid + bytes((len(password),)) +
               password)


def browser_packets(stream):
    """The packets a browser finds in the device's output, as (type, data);
    each must have version 1 and a good checksum."""
    found, at = [], 0
    while at < len(stream):
        if stream[at:at + 6] == b'IMPROV':
            if len(stream) < at + 9 or len(stream) <= at + 9 + stream[at + 8]:
                break  # the rest is still on its way
            end = at + 9 + stream[at + 8]
            assert stream[at + 6] == 1, stream[at:end + 1]
            assert sum(stream[at:end]) % 256 == stream[end], \
                stream[at:end + 1]
            found.append((stream[at + 7], stream[at + 9:end]))
            at = end + 1
        else:
            line_end = stream.find(b'\n', at)
            if line_end < 0:
                break
            at = line_end + 1
    return found


def replies(stream):
    """The device's packets: ('state', n), ('error', n), or (command,
    [strings]) for an RPC result."""
    out = []
    for kind, data in browser_packets(stream):
        if kind == 1:
            out.append(('state', data[0]))
        elif kind == 2:
            out.append(('error', data[0]))
        elif kind == 4:
            assert data[1] == len(data) - 2, data
            strings, rest = [], data[2:]
            while rest:
                strings.append(rest[1:1 + rest[0]].decode())
                rest = rest[1 + rest[0]:]
            out.append((data[0], strings))
        else:
            raise AssertionError('packet of type {} from the device'.format(
                kind))
    return out


def talk(data, device=None):
    """Runs serve() on `data` until it ends; (replies, device)."""
    device = device or Device()
    writer = Writer()
    asyncio.run(improv.serve(Reader(data), writer, device))
    return replies(writer.data), device


def all_packets(stream, chunk):
    """take() fed `stream` `chunk` bytes at a time: the packets, and the
    longest the buffer got."""
    found, buf, longest = [], b'', 0
    for at in range(0, len(stream), chunk):
        buf += stream[at:at + chunk]
        longest = max(longest, len(buf))
        while True:
            kind, data, buf = improv.take(buf)
            if kind is None:
                break
            found.append((kind, data))
    return found, longest


# --- packets -----------------------------------------------------------------

def check_packet_layout():
    # header, version 1, type, length, data, checksum (sum mod 256), newline
    assert improv.packet(1, b'\x02') == b'IMPROV\x01\x01\x01\x02\xe2\n'
    assert improv.packet(4, b'') == b'IMPROV\x01\x04\x00\xe2\n'


def check_packets_round_trip():
    for kind, data in ((1, b'\x04'), (2, b'\xff'), (3, b'\x02\x00'),
                       (4, bytes(range(250)))):
        assert improv.take(improv.packet(kind, data)) == (kind, data, b'\n')


def check_garbage_and_split_reads():
    first, second = rpc(2), wifi('home', 'secret')
    stream = (b'I (312) boot: ESP-IDF\r\nIMPROVISED\n' + first +
              b'>>> print("IMPROV")\r\nIMPROV\r\n' + b'\x00\xffI' + second +
              b'IMPR')
    want = [(3, b'\x02\x00'), (3, second[9:-2])]
    for chunk in (1, 2, 3, 7, 64, len(stream)):
        assert all_packets(stream, chunk)[0] == want, chunk


def check_garbage_does_not_pile_up():
    found, longest = all_packets(b'console output, no packet\n' * 100, 1)
    assert found == [] and longest <= 6, longest
    # a lone header waits only for the length it announces
    kind, data, rest = improv.take(b'IMPROV\x01\x03\x02\x02')
    assert kind is None and rest == b'IMPROV\x01\x03\x02\x02'


def check_bad_checksum_and_other_versions():
    good = rpc(3)
    bad = good[:-2] + bytes(((good[-2] + 1) % 256,)) + b'\n'
    other_version = b'IMPROV\x02' + good[7:]
    found, _ = all_packets(bad + other_version + good, 1)
    assert found == [(3, None), (3, b'\x03\x00')], found


def check_a_header_in_noise_does_not_hide_the_next_packet():
    # a stray header announces 5 bytes; the real packet comes in those
    noise = b'IMPROV\x01\x03\x05'
    found, _ = all_packets(noise + rpc(2), 1)
    assert found == [(3, None), (3, b'\x02\x00')], found


# --- the RPC commands --------------------------------------------------------

def check_current_state_when_ready():
    out, _ = talk(rpc(2))
    assert out == [('error', 0), ('state', 2)], out


def check_current_state_when_provisioned():
    device = Device()
    device.url = URL
    out, _ = talk(rpc(2), device)
    assert out == [('error', 0), ('state', 4), (2, [URL])], out


def check_device_info():
    out, _ = talk(rpc(3))
    assert out == [('error', 0), (3, list(INFO))], out


def check_scan():
    out, _ = talk(rpc(4))
    assert out == [('error', 0), (4, ['home', '-52', 'YES']),
                   (4, ['café libre', '-71', 'NO']), (4, [])], out


def check_failed_then_successful_join():
    out, device = talk(wifi('home', 'wrong') + wifi('home', 'secret') +
                       rpc(2))
    assert device.joins == [('home', 'wrong'), ('home', 'secret')]
    assert out == [
        ('error', 0), ('state', 3), ('error', 3), ('state', 2),
        ('error', 0), ('state', 3), ('state', 4), (1, [URL]),
        ('error', 0), ('state', 4), (2, [URL])], out


def check_utf8_and_empty_credentials():
    out, device = talk(wifi('café libre', '') + wifi('', 'x'))
    assert device.joins == [('café libre', ''), ('', 'x')], device.joins
    assert out.count(('error', 3)) == 2, out


def check_invalid_rpc_packets():
    packet = rpc(2)
    bad_checksum = packet[:-2] + bytes(((packet[-2] + 1) % 256,)) + b'\n'
    wrong_length = improv.packet(3, b'\x02\x05')  # says 5, carries 0
    no_command = improv.packet(3, b'')
    cut_short = rpc(1, b'\x04hom')  # the SSID is longer than the data
    too_long = rpc(1, b'\x04home\x01xyz')  # bytes after the password
    not_utf8 = rpc(1, b'\x02\xff\xfe\x00')
    for data in (bad_checksum, wrong_length, no_command):
        out, _ = talk(data)
        assert out == [('error', 1)], (data, out)
    for data in (cut_short, too_long, not_utf8):
        out, device = talk(data)
        assert out == [('error', 0), ('error', 1)], (data, out)
        assert device.joins == []


def check_unknown_command():
    for command in (0, 6, 7, 0xfe):
        out, _ = talk(rpc(command))
        assert out == [('error', 0), ('error', 2)], (command, out)


def check_other_packet_types_are_ignored():
    data = improv.packet(1, b'\x02') + improv.packet(4, b'\x02\x00')
    out, _ = talk(data + rpc(2))
    assert out == [('error', 0), ('state', 2)], out


def check_hostname():
    out, device = talk(rpc(5) + rpc(5, b'Living-Room-2') + rpc(5))
    assert device.name == 'Living-Room-2'
    assert out == [('error', 0), (5, ['kitchen']),
                   ('error', 0), (5, ['Living-Room-2']),
                   ('error', 0), (5, ['Living-Room-2'])], out


def check_bad_hostnames():
    for name in (b'under_score', b'dot.ted', b'sp ace', 'caf\xe9'.encode()):
        out, device = talk(rpc(5, name))
        assert out == [('error', 0), ('error', 5)], (name, out)
        assert device.name == 'kitchen'


def check_hostname_refused_by_the_device():
    class Picky(Device):
        def hostname(self, name=None):
            return None if name else self.name

    out, _ = talk(rpc(5, b'x' * 40), Picky())
    assert out == [('error', 0), ('error', 5)], out


def check_hostname_without_support_is_unknown():
    class Plain:
        info, scan, connect, state = (Device.info, Device.scan,
                                      Device.connect, Device.state)

    out, _ = talk(rpc(5), Plain())
    assert out == [('error', 0), ('error', 2)], out


def check_device_errors_are_reported():
    out, _ = talk(rpc(4) + wifi('home', 'secret') + rpc(2), Broken())
    assert out == [('error', 0), ('error', 0xff),
                   ('error', 0), ('state', 3), ('error', 0xff), ('state', 2),
                   ('error', 0), ('state', 2)], out


def check_console_noise_is_ignored():
    noise = b'hello\r\n\x1b[A>>> import machine\r\nIMPROV?\n\xff\xfe'
    out, _ = talk(noise + rpc(3) + noise + rpc(2) + noise)
    assert out == [('error', 0), (3, list(INFO)),
                   ('error', 0), ('state', 2)], out


def check_0x03_in_packets_is_data():
    # the RPC type byte, an SSID length, a password byte: never Ctrl-C
    out, device = talk(rpc(2) + wifi('abc', 'x\x03y'))
    assert device.joins == [('abc', 'x\x03y')], device.joins
    assert out[:2] == [('error', 0), ('state', 2)], out


def check_ctrl_c_outside_a_packet_stops_the_app():
    for before in (b'', b'\r', b'IMPRO'):
        writer = Writer()
        stream = rpc(2) + before + b'\x03' + rpc(3)
        try:
            asyncio.run(improv.serve(Reader(stream), writer, Device()))
            raise AssertionError('no KeyboardInterrupt after {}'.format(
                before))
        except KeyboardInterrupt:
            pass
        # what came before was answered, what came after was not read
        assert replies(writer.data) == [('error', 0), ('state', 2)]


def check_serve_ends_with_its_reader():
    out, _ = talk(b'')
    assert out == []


def run_all():
    import sys
    print('@@MODULE', improv.__file__)
    for name in sorted(globals()):
        if not name.startswith('check_'):
            continue
        asyncio.new_event_loop()  # no task of an earlier check runs on
        try:
            globals()[name]()
            print('@@PASS', name)
        except Exception as exc:
            print('@@FAIL', name)
            sys.print_exception(exc)
    print('@@DONE')


if __name__ == '__main__':
    run_all()
