"""Sending a body that is not in memory: a file, or a sync or async iterator.
Imported for the first such body, so apps that answer only with str, bytes
and JSON never load it."""
from microdot import coroutine_type


async def invoke(f, *args):
    """Calls a method that may be sync or async (a stream's read(),
    write() or close()), in the event loop's own thread."""
    result = f(*args)
    if type(result) is coroutine_type:
        result = await result
    return result


async def send_response(conn, req, res, head, stream, keep_alive, timeout):
    """Sends `res`, whose render() returned `head` and left `stream` out of
    it; returns whether the connection can carry another request."""
    head_only = res.is_head or req is not None and req.method == 'HEAD'
    http10 = req is not None and req.http_version == '1.0'
    length = res.headers.get('Content-Length')
    if length is not None:
        length = int(length)
    if not await send_stream(conn, head, stream, 0 if head_only else length,
                             length is None and not http10 and not head_only,
                             res.send_file_buffer_size, timeout):
        keep_alive = False  # shorter than announced: out of sync
    return keep_alive


async def send_stream(conn, head, stream, length, chunked, size, timeout):
    """Sends the response `head`, then `stream` in pieces of at most `size`
    bytes: `length` bytes if it is not None (nothing if 0), else all of it,
    with chunked transfer coding if `chunked`. The stream is closed whatever
    happens. Returns False if the stream ended before `length` bytes."""
    try:
        await conn.send(head, timeout)
        left = -1 if length is None else length
        read = getattr(stream, 'read', None)
        if read is None:
            if hasattr(stream, '__aiter__'):
                stream = stream.__aiter__()
            else:
                stream = iter(stream)
        while left:
            if read:
                chunk = await invoke(read,
                                     size if left < 0 else min(size, left))
                if not chunk:
                    break
            elif hasattr(stream, '__anext__'):
                try:
                    chunk = await stream.__anext__()
                except StopAsyncIteration:
                    break
            else:
                try:
                    chunk = next(stream)
                except StopIteration:
                    break
            if isinstance(chunk, str):
                chunk = chunk.encode()
            if not chunk:
                continue  # an empty chunk would end a chunked body
            if left > 0:
                chunk = chunk[:left]
                left -= len(chunk)
            if chunked:
                chunk = b'%x\r\n' % len(chunk) + chunk + b'\r\n'
            await conn.send(chunk, timeout)
        if chunked:
            await conn.send(b'0\r\n\r\n', timeout)
        return left <= 0
    finally:
        close = getattr(stream, 'aclose', None) or getattr(stream, 'close', None)
        if close:
            await invoke(close)
