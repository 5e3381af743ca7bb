"""Improv Wi-Fi over serial, version 1 (https://www.improv-wifi.com/serial/):
the browser page that flashed the board (ESP Web Tools) sends the Wi-Fi
credentials over the USB console and learns the device's URL.

A packet is b'IMPROV', version 1, type, length, data and a checksum (the
sum of the bytes before it, mod 256). Both sides end a packet with a
newline and skip every byte outside packets (console output, REPL echo).
The browser looks for a packet only at the start of a line, so the app's
console output must come in whole lines (print() does that).

On the board:

    asyncio.create_task(improv.serve(*improv.console(), device))

console() (MicroPython only) returns asyncio.StreamReader(sys.stdin.buffer)
and asyncio.StreamWriter(sys.stdout.buffer), after micropython.kbd_intr(-1):
every RPC command packet holds a 0x03 byte, which the port would otherwise
swallow and turn into KeyboardInterrupt. serve() raises KeyboardInterrupt
itself for a Ctrl-C outside a packet. It reads one byte at a time because
read(n) on the console blocks the loop until all n bytes are in.

`device` is an object with:

    info()                 (firmware, version, chip, device name) strings
    scan()                 [(ssid, rssi, secured), ...]
    async connect(ssid, password)   the device's URL once joined, else None
    state()                the URL while on a network, else None
    hostname(name=None)    optional; the hostname, after setting it to
                           `name` if given; None if `name` is refused
"""


def packet(kind, data):
    """A packet of type `kind` carrying the bytes `data`."""
    head = b'IMPROV\x01' + bytes((kind, len(data))) + data
    return head + bytes((sum(head) & 255,)) + b'\n'


def take(buf):
    """The first packet in `buf`, the bytes read so far: (type, data, the
    bytes after it). The type is None while no whole packet is in; data is
    None when the checksum is wrong."""
    while True:
        start = buf.find(b'IMPROV')
        if start < 0:
            return None, None, buf[-5:]  # may be the start of a header
        buf = buf[start:]
        if len(buf) > 6 and buf[6] != 1:
            buf = buf[6:]  # not a packet of version 1
            continue
        if len(buf) < 9 or len(buf) < 10 + buf[8]:
            return None, None, buf
        end = 9 + buf[8]
        if sum(buf[:end]) & 255 == buf[end]:
            return buf[7], buf[9:end], buf[end + 1:]
        # a header in corrupt or stray bytes: look again after it
        return buf[7], None, buf[6:]


def credentials(args):
    """(ssid, password) of a "send Wi-Fi settings" command, or None."""
    try:
        size = args[0]
        if size + args[size + 1] + 2 == len(args):
            return args[1:size + 1].decode(), args[size + 2:].decode()
    except (IndexError, ValueError):  # short, or not UTF-8
        pass


async def serve(reader, writer, device):
    """Answers the RPC commands coming from `reader` on `writer` (one with
    write(bytes) and async drain()) until the reader ends."""
    async def send(kind, data):
        writer.write(packet(kind, data))
        await writer.drain()

    async def result(command, *strings):
        data = b''
        for text in strings:
            text = text.encode()
            data += bytes((len(text),)) + text
        await send(4, bytes((command, len(data))) + data)

    async def answer(data):
        if data is None or len(data) < 2 or data[1] != len(data) - 2:
            return await send(2, b'\x01')  # invalid RPC packet
        await send(2, b'\x00')  # no error, as the spec asks of each command
        command, args = data[0], data[2:]
        try:
            if command == 1:
                wifi = credentials(args)
                if wifi is None:
                    return await send(2, b'\x01')
                await send(1, b'\x03')  # provisioning
                url = await device.connect(*wifi)
                if url:
                    await send(1, b'\x04')  # provisioned
                    await result(1, url)
                else:
                    await send(2, b'\x03')  # unable to connect
                    await send(1, b'\x02')  # ready for other credentials
            elif command == 2:
                url = device.state()
                await send(1, b'\x04' if url else b'\x02')
                if url:
                    await result(2, url)
            elif command == 3:
                await result(3, *device.info())
            elif command == 4:
                for ssid, rssi, secured in device.scan():
                    await result(4, ssid, str(rssi),
                                 'YES' if secured else 'NO')
                await result(4)
            elif command == 5 and hasattr(device, 'hostname'):
                # RFC 1123: letters, digits and hyphens
                if args and (len(args) > 255 or args.lower().strip(
                        b'-0123456789abcdefghijklmnopqrstuvwxyz')):
                    name = None
                else:
                    name = device.hostname(args.decode() if args else None)
                if name:
                    await result(5, name)
                else:
                    await send(2, b'\x05')  # bad hostname
            else:
                await send(2, b'\x02')  # unknown RPC command
        except Exception as exc:  # the device's fault, not the client's
            print('improv: {!r}'.format(exc))
            await send(2, b'\xff')
            if command == 1:
                await send(1, b'\x02')

    buf = b''
    while True:
        byte = await reader.read(1)
        if not byte:
            return
        if byte == b'\x03' and not buf.startswith(b'IMPROV'):
            # Ctrl-C outside a packet: stop the app, as the REPL would (and
            # mpremote expects)
            raise KeyboardInterrupt
        buf += byte
        while True:
            kind, data, buf = take(buf)
            if kind is None:
                break
            if kind == 3:  # the device ignores the other types
                await answer(data)


def console():
    """The USB console as serve()'s (reader, writer), on MicroPython."""
    import asyncio
    import micropython
    import sys
    micropython.kbd_intr(-1)
    return (asyncio.StreamReader(sys.stdin.buffer),
            asyncio.StreamWriter(sys.stdout.buffer))
