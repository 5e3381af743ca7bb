"""Turns the web UI (app/web/) into a Python module, webassets.py, that the
firmware freezes: each file gzipped, as a bytes constant, with an ETag.
Frozen bytes stay in flash, so app/api.py serves them without reading a
filesystem or copying them into the heap.

    FILES = {'index.html': (b'\\x1f\\x8b...', '"5d41402abc4b2a76"', 2979), ...}
    WINDOW_BITS = 11

The files are packed with a 2 KB window (WINDOW_BITS), about 1 KB larger in
all than with gzip's 32 KB: for a client that takes no gzip, app/api.py
decompresses them as they are sent, and the device then needs only a 2 KB
window, not 32 KB of heap in one piece.

The top-level manifest.py calls write() while the firmware build evaluates
it, so the module always matches app/web/. Only the standard library is
used: the manifest runs under ESP-IDF's Python."""
import hashlib
import os
import zlib

MODULE = 'webassets.py'
LINE_BYTES = 48  # bytes per source line, to keep the generated file readable
WINDOW_BITS = 11  # the deflate window: 2 KB


def compress(data):
    """gzip with a WINDOW_BITS window. zlib's gzip header carries no time,
    so the same input gives the same bytes, and the ETag changes only when
    a file does."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + WINDOW_BITS)
    return packer.compress(data) + packer.flush()


def etag(data):
    return '"%s"' % hashlib.sha256(data).hexdigest()[:16]


def source(web_dir):
    """The module's text for the files in `web_dir` (not recursive)."""
    lines = ['# Generated from app/web/ by firmware/webassets_gen.py; do not edit.',
             '# name -> (gzipped bytes, ETag, size unpacked), served from '
             'flash by', '# app/api.py.', 'FILES = {']
    for name in sorted(os.listdir(web_dir)):
        path = os.path.join(web_dir, name)
        if not os.path.isfile(path) or name.startswith('.'):
            continue
        with open(path, 'rb') as f:
            data = f.read()
        packed = compress(data)
        lines.append('    %r: (' % name)
        for start in range(0, len(packed), LINE_BYTES):
            lines.append('        %r' % packed[start:start + LINE_BYTES])
        lines[-1] += ','  # the pieces above are one bytes constant
        lines.append('        %r, %d),' % (etag(packed), len(data)))
    lines.append('}')
    lines.append('WINDOW_BITS = %d  # of the deflate window they were packed '
                 'with' % WINDOW_BITS)
    return '\n'.join(lines) + '\n'


def write(web_dir, out_dir):
    """Writes out_dir/webassets.py if its text changed (an unchanged file
    keeps its time, so the build does not freeze it again); returns its
    path."""
    text = source(web_dir)
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, MODULE)
    try:
        with open(path) as f:
            if f.read() == text:
                return path
    except OSError:
        pass
    # written aside and renamed: two builds running at once never see half
    temporary = '%s.%d.tmp' % (path, os.getpid())
    with open(temporary, 'w') as f:
        f.write(text)
    os.replace(temporary, path)
    return path
