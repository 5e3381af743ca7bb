"""The response side: what a handler returns, written out as HTTP/1.1."""
import json

# The phrases of the statuses the framework sends itself and the common ones
# apps use; others go out with an empty phrase, which HTTP allows.
REASONS = {
    200: 'OK', 201: 'Created', 204: 'No Content', 206: 'Partial Content',
    301: 'Moved Permanently', 302: 'Found', 304: 'Not Modified',
    400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden',
    404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict',
    413: 'Payload Too Large', 414: 'URI Too Long', 426: 'Upgrade Required',
    416: 'Range Not Satisfiable', 431: 'Request Header Fields Too Large',
    500: 'Internal Server Error', 501: 'Not Implemented',
    503: 'Service Unavailable', 505: 'HTTP Version Not Supported',
}


async def _probe():
    pass


_coroutine = _probe()
coroutine_type = type(_coroutine)  # a generator on MicroPython
_coroutine.close()


async def call(f, *args, **kwargs):
    """Calls a handler that may be a plain function or a coroutine function."""
    result = f(*args, **kwargs)
    if type(result) is coroutine_type:
        result = await result
    return result


_status_lines = {}


def status_line(status):
    """b'HTTP/1.1 200 OK' and the like, made once per status."""
    line = _status_lines.get(status)
    if line is None:
        line = ('HTTP/1.1 %d %s' % (status, REASONS.get(status, ''))).encode()
        _status_lines[status] = line
    return line


try:
    bytearray() + 'a'
    str_is_buffer = True  # MicroPython: a str added to a bytearray is its UTF-8
except TypeError:
    str_is_buffer = False  # CPython: it must be encoded first


def add_header(head, name, value):
    """Appends b'\\r\\nname: value' to the bytearray `head`."""
    if str_is_buffer and type(name) is str and type(value) is str:
        # no formatted copy, and no encoded copy of that
        head += b'\r\n'
        head += name
        head += b': '
        head += value
    else:
        head += ('\r\n%s: %s' % (name, value)).encode()


_charset_types = {}


def text_content_type(content_type):
    """`content_type` with '; charset=UTF-8', made once per type rather
    than once per response."""
    full = _charset_types.get(content_type)
    if full is None:
        full = _charset_types[content_type] = content_type + '; charset=UTF-8'
    return full


class Response:
    """An HTTP response. `body` may be str, bytes, a dict or list (sent as
    JSON), a file-like object, or a sync or async iterator (streamed)."""

    types_map = {
        'css': 'text/css', 'gif': 'image/gif', 'html': 'text/html',
        'ico': 'image/x-icon', 'jpg': 'image/jpeg', 'jpeg': 'image/jpeg',
        'js': 'application/javascript', 'json': 'application/json',
        'png': 'image/png', 'svg': 'image/svg+xml', 'txt': 'text/plain',
        'wasm': 'application/wasm',
    }
    default_content_type = 'text/plain'
    default_send_file_max_age = None
    send_file_buffer_size = 1024
    already_handled = None  # returned by handlers that wrote to the socket

    def __init__(self, body='', status_code=200, headers=None, reason=None):
        self.status_code = status_code
        self.reason = reason
        self.headers = dict(headers) if headers else {}
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            content_type = 'application/json; charset=UTF-8'
        else:
            if isinstance(body, str):
                body = body.encode()
            elif body is None:
                body = b''
            content_type = self.default_content_type
            if content_type.startswith('text/'):
                content_type = text_content_type(content_type)
        self.body = body
        if body and not (headers and self.header_name('content-type')):
            self.headers['Content-Type'] = content_type

    def header_name(self, name):
        """The key under which header `name` (lower case) is set, or None."""
        for key in self.headers:
            if key.lower() == name:
                return key
        return None

    def set_cookie(self, cookie, value, *args, **kwargs):
        """Adds a Set-Cookie header: cookie, value, path, domain, expires,
        max_age, secure, http_only, partitioned (see microdot/cookies.py,
        imported on first use)."""
        from microdot.cookies import set_cookie
        set_cookie(self, cookie, value, *args, **kwargs)

    def delete_cookie(self, cookie, **kwargs):
        from microdot.cookies import delete_cookie
        delete_cookie(self, cookie, **kwargs)

    @classmethod
    def redirect(cls, location, status_code=302):
        if '\r' in location or '\n' in location:
            raise ValueError('line break in redirect location')
        return cls(status_code=status_code, headers={'Location': location})

    @classmethod
    def send_file(cls, filename, status_code=200, content_type=None,
                  stream=None, max_age=None, compressed=False,
                  file_extension=''):
        from microdot.files import FileResponse  # only apps serving files
        return FileResponse(filename, status_code, content_type, stream,
                            max_age, compressed, file_extension)

    async def write(self, conn, req=None, keep_alive=False, timeout=None):
        """Sends the response on `conn`; returns whether the connection can
        carry another request."""
        if self is Response.already_handled:
            return False  # the handler took the connection over
        head, stream, keep_alive = self.render(req, keep_alive)
        if stream is None:
            await conn.send(head, timeout)
            return keep_alive
        return await self.send_stream(conn, req, head, stream, keep_alive,
                                      timeout)

    async def send_stream(self, conn, req, head, stream, keep_alive, timeout):
        """write() for a body render() left out: sends `head`, then `stream`
        in pieces; returns whether the connection can carry another request."""
        from microdot.streaming import send_stream  # only apps that stream
        head_only = req is not None and req.method == 'HEAD'
        http10 = req is not None and req.http_version == '1.0'
        length = self.headers.get('Content-Length')
        if length is not None:
            length = int(length)
        if not await send_stream(conn, head, stream, 0 if head_only else length,
                                 length is None and not http10 and not head_only,
                                 self.send_file_buffer_size, timeout):
            keep_alive = False  # shorter than announced: out of sync
        return keep_alive

    def render(self, req=None, keep_alive=False):
        """The status line and the headers, followed by the body when it is
        in memory, as one bytearray; synchronous, so that the server sends a
        plain response without a coroutine per request. Returns that, the
        body to stream after it (or None), and whether the connection can
        carry another request."""
        status = self.status_code
        body = self.body
        if isinstance(body, str):
            body = body.encode()
        headers = self.headers
        http10 = req is not None and req.http_version == '1.0'
        # one bytearray grown in place: fewer allocations than joining parts
        if not self.reason:
            head = bytearray(status_line(status))
        else:
            head = bytearray(b'HTTP/1.1 %d ' % status)
            head += self.reason.encode()
        for name in headers:
            values = headers[name]
            if isinstance(values, list):
                for value in values:
                    add_header(head, name, value)
            else:
                add_header(head, name, values)
        stream = None
        length = headers.get('Content-Length')
        if status < 200 or status == 204 or status == 304:
            body = b''
        elif isinstance(body, (bytes, bytearray, memoryview)):
            if length is None:
                head += b'\r\nContent-Length: %d' % len(body)
        else:
            stream = body
            if length is None:
                if http10:
                    keep_alive = False  # the end of the body is the close
                else:
                    head += b'\r\nTransfer-Encoding: chunked'
        if not keep_alive:
            head += b'\r\nConnection: close\r\n\r\n'
        elif http10:
            head += b'\r\nConnection: keep-alive\r\n\r\n'
        else:
            head += b'\r\n\r\n'
        if stream is None and body and not (req is not None and
                                            req.method == 'HEAD'):
            head += body
        return head, stream, keep_alive


Response.already_handled = Response()
redirect = Response.redirect
send_file = Response.send_file
