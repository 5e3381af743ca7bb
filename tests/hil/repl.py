"""Runs Python on a board's MicroPython REPL over its console, in raw-paste
mode: MicroPython's flow-controlled way of taking code (the device says how
many bytes it can take at a time), so nothing is lost on a slow UART. It
is how the suite writes the device config, as `mpremote cp` would.

    run(console, "print(1)")   # -> '1\\r\\n'; raises ReplError on an exception

`console` has write(bytes) and expect(regex of bytes, timeout) -> match,
as a pytest-embedded Dut has."""
import re

INTERRUPT = b'\r\x03\x03'  # Ctrl-C twice: stop what runs
RAW_REPL = b'\x01'  # Ctrl-A
FRIENDLY_REPL = b'\x02'  # Ctrl-B
END = b'\x04'  # Ctrl-D: end of data (raw), soft reset (friendly)
RAW_PASTE = b'\x05A\x01'
MORE = b'\x01'  # the device can take another window of bytes


class ReplError(Exception):
    """The code raised an exception on the device; the message is its
    traceback."""


def expect(console, pattern, timeout):
    return console.expect(re.compile(pattern, re.S), timeout=timeout)


def run(console, code, timeout=30):
    """Runs `code` (str) and returns what it printed."""
    console.write(INTERRUPT + RAW_REPL)
    expect(console, rb'raw REPL; CTRL-B to exit\r\n>', timeout)
    console.write(RAW_PASTE)
    header = expect(console, rb'R(.)(..)', timeout)
    if header.group(1) != b'\x01':
        raise ReplError('this MicroPython has no raw-paste mode')
    window = int.from_bytes(header.group(2), 'little')
    data = code.encode()
    room = window
    sent = 0
    while sent < len(data):
        if room == 0:
            expect(console, re.escape(MORE), timeout)
            room += window
        piece = data[sent:sent + room]
        console.write(piece)
        sent += len(piece)
        room -= len(piece)
    console.write(END)
    # the device acknowledges the end (after any window grants still on
    # their way), runs the code, then sends its output and its error
    # output, each ended by Ctrl-D
    done = expect(console, rb'\x01*\x04(.*?)\x04(.*?)\x04>', timeout)
    console.write(FRIENDLY_REPL)
    output, error = done.group(1), done.group(2)
    if error:
        raise ReplError(error.decode('utf-8', 'replace'))
    return output.decode('utf-8', 'replace')


def soft_reset(console):
    """Ctrl-D at the friendly REPL: MicroPython starts again, main.py
    included."""
    console.write(END)
