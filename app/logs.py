"""The console's lines in RAM, for the web UI's Logs page.

    log('Wi-Fi: connected')   prints it, as print() does, and keeps it
    log_exception(exc)        logs its traceback
    seq, text = since(seq)    lines logged after seq (0: from the start)
    await wait(seq)           returns once something is logged after seq
    lines()                   all the text kept

SIZE bytes of RAM, taken at import. The first lines, up to BOOT bytes (the
boot log), are kept for the whole run; the lines after them go round a
ring of the rest, the oldest dropped to make room. A line of more than
LINE bytes is cut short, ending in "..." (a text of several lines, a
traceback say, is cut line by line). seq counts the bytes logged.

A reader (an event stream) loops: wait(seq), then seq, text = since(seq).
since() gives at most CHUNK bytes at a time: a heap that has been up for
days may have no room for one 4 KB block, which lines() needs.

Only what the app logs here is kept: the ESP-IDF bootloader's output comes
before MicroPython starts, and plain print() calls reach the console only."""
import asyncio
import io
import sys

SIZE = 4096
BOOT = 1024
LINE = 256  # less than CHUNK and BOOT: every line fits in either
CHUNK = 512
RING = SIZE - BOOT
GAP = b'...\n'  # where lines the reader had not read were dropped

boot = bytearray(BOOT)
ring = bytearray(RING)
kept = 0  # bytes of boot used; the ring holds the bytes logged after them
first = 0  # where the oldest line in the ring starts, counted like total
total = 0  # bytes logged
changed = asyncio.Event()


def log(*args):
    print(*args)
    for line in ' '.join([str(arg) for arg in args]).split('\n'):
        data = line.encode()
        if len(data) >= LINE:
            end = LINE - 4
            while data[end] & 0xC0 == 0x80:  # not inside a UTF-8 character
                end -= 1
            data = data[:end] + b'...'
        keep(data + b'\n')


def log_exception(exc):
    text = io.StringIO()
    if hasattr(sys, 'print_exception'):  # MicroPython
        sys.print_exception(exc, text)
    else:
        import traceback
        traceback.print_exception(type(exc), exc, exc.__traceback__,
                                  file=text)
    log(text.getvalue().rstrip())


def keep(data):
    global kept, first, total
    size = len(data)
    if total == kept and kept + size <= BOOT:
        boot[kept:kept + size] = data
        kept = first = kept + size
    else:
        while total + size - first > RING:
            start = (first - kept) % RING
            end = ring.find(b'\n', start)
            if end < 0:  # the line goes round the end of the ring
                end = ring.find(b'\n') + RING
            first += end - start + 1
        start = (total - kept) % RING
        room = RING - start
        ring[start:start + size] = data[:room]
        if size > room:
            ring[:size - room] = data[room:]
    total += size
    changed.set()


def copy(start, end):
    """The bytes logged from start to end: both in the boot part, or both
    in the ring."""
    if start < kept:
        return boot[start:end]
    i = (start - kept) % RING
    j = i + end - start
    if j <= RING:
        return ring[i:j]
    return ring[i:] + ring[:j - RING]


def since(seq):
    """(seq, text): the whole lines logged after `seq`, at most CHUNK
    bytes of them, and the seq where they end (text is '' when there is
    nothing more). `seq` is 0 or one that since() returned; one inside a
    line (of an earlier boot) counts from the next line. A reader whose
    lines were dropped before it read them gets GAP first."""
    if not 0 < seq <= total:
        seq = 0
    text = b''
    skip = False
    if kept <= seq < first:
        text, seq = GAP, first
    elif seq:
        skip = copy(seq - 1, seq) != b'\n'  # not where a line starts
    data = copy(seq, min(kept if seq < kept else total, seq + CHUNK))
    start = data.find(b'\n') + 1 if skip else 0
    end = data.rfind(b'\n') + 1  # whole lines only
    return seq + end, (text + data[start:end]).decode()


def lines():
    seq, parts = 0, []
    while seq < total:
        seq, text = since(seq)
        parts.append(text)
    return ''.join(parts)


async def wait(seq):
    while seq >= total:
        changed.clear()
        await changed.wait()
