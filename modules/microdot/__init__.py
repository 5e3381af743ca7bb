"""A small web framework for MicroPython and CPython, with Microdot 2.x's API.

This module is the core, in the order a request meets it: errors, the
request, the response, URL patterns, the application, the server. It holds
what every app needs to answer a GET. The parts an app may never use load on
first use, from their own modules: request bodies (microdot/body.py, and
microdot/chunked.py for chunked ones), query strings and forms
(microdot/urlencoded.py), dynamic URL segments (microdot/segments.py),
cookies, files, streamed responses, error responses (microdot/errors.py),
the Vary header (microdot/vary.py) and Microdot's stream-level API
(microdot/streams.py).
"""
import asyncio
import gc
import json
import sys

# the one place the release is named: packaging (pyproject.toml, the mip
# package files) and the device's /api/status read it from here
__version__ = '0.1.0'

try:
    from micropython import const
except ImportError:  # CPython
    def const(value):
        return value

try:
    from time import ticks_ms, ticks_add, ticks_diff
except ImportError:  # CPython
    from time import monotonic

    def ticks_ms():
        return int(monotonic() * 1000)

    def ticks_add(a, b):
        return a + b

    def ticks_diff(a, b):
        return a - b


if hasattr(sys, 'print_exception'):
    print_exception = sys.print_exception  # MicroPython's, no function of ours
else:
    def print_exception(exc):
        import traceback
        traceback.print_exception(type(exc), exc, exc.__traceback__)


def __getattr__(name):
    # MultiDict and NoCaseDict are public here, but live in the modules of
    # the apps that need them: those that read query strings or forms, and
    # those that read request headers
    if name == 'MultiDict':
        from microdot.urlencoded import MultiDict
        return MultiDict
    if name == 'NoCaseDict':
        from microdot.headers import NoCaseDict
        return NoCaseDict
    if name.startswith('_'):
        raise AttributeError(name)
    # MicroPython calls a package's __getattr__ before it looks for a
    # submodule, so `from microdot import sse` lands here: import it. A name
    # that is no submodule is an AttributeError, so that hasattr() works
    try:
        return __import__('microdot.' + name, None, None, [name])
    except ImportError:
        raise AttributeError(name)


# --- Errors ---------------------------------------------------------------

class HTTPException(Exception):
    """Raised to answer with an error status; `reason` becomes the body."""

    headers = None  # added to the error response, e.g. Allow for 405
    local = None  # the local subapp whose URL answers 405: its handlers apply

    def __init__(self, status_code, reason=None):
        super().__init__(status_code, reason)
        self.status_code = status_code
        self.reason = reason


def abort(status_code, reason=None):
    """Raises HTTPException: the request is answered with `status_code`,
    and `reason` (if given) as the body."""
    raise HTTPException(status_code, reason)


# --- The request ----------------------------------------------------------

def parse_headers(head, end):
    """The header fields after the request line, which ends at `end`, as a
    plain dict with lower-case names. C-level str methods do the scanning;
    names are sliced from a lower-cased copy of the head, and values keep
    their case: two strings per field."""
    names = head.lower()
    fields = {}
    while end < len(head):
        start = end + 2
        end = head.find('\r\n', start)
        if end < 0:
            end = len(head)
        colon = head.find(':', start, end)
        name = names[start:colon]
        # RFC 9112: no whitespace before the colon, and no line folding (a
        # line starting with whitespace); a name has no whitespace at all.
        # Checked on the name: head[i] would make a str per check.
        if colon <= start or ' ' in name or '\t' in name:
            raise HTTPException(400, 'Bad Request: malformed header line')
        start = colon + 1
        # past the usual single space, strip() has nothing left to do and
        # returns the slice itself rather than a copy
        if head.startswith(' ', start):
            start += 1
        value = head[start:end].strip()
        if name in fields:
            value = fields[name] + ', ' + value
        fields[name] = value
    return fields


class G:
    """A blank object for handlers to share data during one request."""


class Request:
    """An HTTP request. Class attributes are defaults shared by all requests,
    so that each request stores only what is its own."""

    max_content_length = 16 * 1024  # larger bodies are refused with 413
    max_body_length = 16 * 1024  # larger bodies are left in `stream`
    max_readline = 2 * 1024  # longest request line; a head may be 4 times it

    body = b''
    query_string = None  # as in Microdot: None when the URL has no '?'
    scheme = 'http'
    url_prefix = ''
    subapp = None
    route = None
    files = None
    url_args = None
    after_request_handlers = ()
    has_body = False  # set by parse(): microdot.body.open_body() must run
    keep_alive = True  # set by parse(): the client allows another request
    _stream = None  # the body's stream, once one is open
    _g = None  # `g`, once made
    # the header fields as the server parsed them: a plain dict with names
    # in lower case, from which `headers` is made on first use
    header_fields = {}

    def __init__(self, app, client_addr, method, url, http_version, headers,
                 body=None, stream=None, sock=None, conn=None):
        self.app = app
        self.client_addr = client_addr
        self.method = method
        self.url = url
        self.http_version = http_version
        if headers is not None:
            self.headers = headers
        self.conn = conn  # the server's Connection
        if sock is not None:
            self.sock = sock
        path = url
        if '?' in url:
            path, self.query_string = url.split('?', 1)
        if '%' in path:
            from microdot.urlencoded import unquote
            path = unquote(path, False)
        if '\0' in path:
            # a file name would end there on MicroPython, past any check
            raise HTTPException(400, 'Bad Request: NUL in the path')
        self.path = path
        if body is not None:
            self.body = body
        if stream is not None:
            self._stream = stream

    @classmethod
    def parse(cls, app, conn, client_addr):
        """The request whose head is buffered in `conn`, or None while the
        head has not all arrived. Raises HTTPException for what is malformed
        or too large. The body is not read: `has_body` says whether
        microdot.body.open_body() must be awaited."""
        try:
            head = conn.take(b'\r\n\r\n', 4 * cls.max_readline, 431,
                             'Request Header Fields Too Large')
        except HTTPException:
            if conn.buf.find(b'\r\n', conn.pos,
                             conn.pos + cls.max_readline) < 0:
                raise HTTPException(414, 'URI Too Long')
            raise
        if head is None:
            return None
        try:
            head = head.decode()
        except UnicodeError:
            raise HTTPException(400, 'Bad Request: request head is not UTF-8')
        line_end = head.find('\r\n')
        if line_end < 0:
            line_end = len(head)
        if line_end > cls.max_readline:
            raise HTTPException(414, 'URI Too Long')
        # method SP target SP version, located with find() rather than
        # split(): on MicroPython every new str costs a lookup in the table
        # of interned strings, and the version needs no str of its own
        space = head.find(' ')
        url_end = head.find(' ', space + 1)
        if not 0 < space < url_end - 1 < line_end or \
                head.find(' ', url_end + 1, line_end) >= 0 or \
                not head.startswith('HTTP/', url_end + 1):
            raise HTTPException(400, 'Bad Request: malformed request line')
        # constants rather than a slice of the line: no string per request
        version = None
        if line_end == url_end + 9:  # "HTTP/" and three characters
            if head.startswith('1.1', url_end + 6):
                version = '1.1'
            elif head.startswith('1.0', url_end + 6):
                version = '1.0'
        if version is None:
            raise HTTPException(505, 'HTTP Version Not Supported')
        method = head[:space]
        url = head[space + 1:url_end]
        if not url.startswith('/'):
            # absolute-form ("http://host/path"), as sent to proxies
            start = url.find('/', url.find('//') + 2) if '//' in url else -1
            if start < 0:
                raise HTTPException(400, 'Bad Request: malformed URL')
            url = url[start:]
        fields = parse_headers(head, line_end)
        # checked on the plain dict: C-level lookups
        if version == '1.1' and 'host' not in fields:
            raise HTTPException(400, 'Bad Request: missing Host header')
        # positional arguments: a call with keywords costs more on MicroPython
        req = cls(app, client_addr, method, url, version, None, None, None,
                  None, conn)
        req.header_fields = fields  # `headers` is made on first use
        if 'content-length' in fields or 'transfer-encoding' in fields:
            req.has_body = True
        # HTTP/1.1 keeps the connection unless the client says close;
        # HTTP/1.0 closes it unless the client says keep-alive
        connection = fields.get('connection')
        if connection is None:
            keep = version == '1.1'
        else:
            connection = connection.lower()
            keep = 'close' not in connection and \
                (version == '1.1' or 'keep-alive' in connection)
        if not keep:
            req.keep_alive = False
        return req

    @classmethod
    async def create(cls, *args):
        """Reads a request from an asyncio stream, as Microdot does (app,
        reader, writer, client_addr): its head, and its body if it is at
        most `max_body_length` bytes (else the body is left in `stream`).
        Raises ValueError for a line longer than `max_readline`,
        HTTPException for what is malformed (microdot/streams.py)."""
        from microdot.streams import create_request
        return await create_request(cls, *args)

    def __getattr__(self, name):
        # The attributes made from the request when first asked for (then
        # kept as plain attributes): one method rather than a property each
        # keeps RAM, and a request that never reads them does no work.
        if name == 'content_length':
            length = self.headers.get('content-length')
            return int(length) if length else len(self.body)
        if name == 'content_type':
            return self.headers.get('content-type')
        if name == 'headers':
            from microdot.headers import NoCaseDict
            # without an argument: on MicroPython, a dict subclass built with
            # one costs several microseconds more; dict's own update(),
            # C-level, as the names are in lower case already
            value = NoCaseDict()
            value.add_lower_case(self.header_fields)
        elif name == 'sock':  # the connection's streams, as in Microdot
            value = (self.conn.reader, self.conn.writer) if self.conn else None
        elif name == 'stream':
            value = self._stream
            if value is None:
                from microdot.body import Body
                value = self._stream = Body(None, 0)  # all in `body`
                value.unread(self.body)
        elif name == 'args':
            from microdot.urlencoded import parse_urlencoded
            value = parse_urlencoded(self.query_string or '')
        elif name == 'cookies':
            from microdot.cookies import parse_cookies
            value = parse_cookies(self.headers.get('cookie', ''))
        elif name == 'json':
            from microdot.body import json_of
            value = json_of(self)
        elif name == 'form':
            from microdot.body import form_of
            value = form_of(self)
        elif name == 'g':
            value = self._g = G()
        else:
            raise AttributeError(name)
        setattr(self, name, value)
        return value

    def after_request(self, f):
        """Registers `f(request, response)` to run after this request only."""
        if not self.after_request_handlers:
            self.after_request_handlers = []
        self.after_request_handlers.append(f)
        return f


# --- The response ---------------------------------------------------------

# The phrases of the statuses the framework sends itself and the common ones
# apps use, in one str: frozen, it stays in flash, where a dict would take
# RAM. Others go out with an empty phrase, which HTTP allows.
REASONS = """
200 OK
201 Created
204 No Content
206 Partial Content
301 Moved Permanently
302 Found
304 Not Modified
400 Bad Request
401 Unauthorized
403 Forbidden
404 Not Found
405 Method Not Allowed
408 Request Timeout
409 Conflict
413 Payload Too Large
414 URI Too Long
416 Range Not Satisfiable
426 Upgrade Required
431 Request Header Fields Too Large
500 Internal Server Error
501 Not Implemented
503 Service Unavailable
505 HTTP Version Not Supported
"""


def reason(status):
    """The reason phrase of `status`, or ''."""
    start = REASONS.find('\n%d ' % status)
    if start < 0:
        return ''
    return REASONS[start + 5:REASONS.find('\n', start + 5)]


async def _probe():
    pass


_coroutine = _probe()
coroutine_type = type(_coroutine)  # a generator on MicroPython
_coroutine.close()
del _probe, _coroutine  # no RAM kept for them


try:
    # CPython runs plain functions in threads, as Microdot does there: a
    # handler that blocks (time.sleep(), a database) does not stop the
    # other clients. MicroPython has no threads to spare.
    from inspect import iscoroutinefunction
except ImportError:  # MicroPython
    iscoroutinefunction = None


async def call(f, *args, **kwargs):
    """Calls an app's handler, hook or callback, which may be a plain
    function or a coroutine function (on CPython a plain one runs in a
    thread of the event loop's pool)."""
    if iscoroutinefunction is None or iscoroutinefunction(f):
        result = f(*args, **kwargs)
    else:
        result = await asyncio.get_running_loop().run_in_executor(
            None, lambda: f(*args, **kwargs))
    if type(result) is coroutine_type:
        result = await result
    return result


# What the framework makes once and reuses: the status line of each status
# (int keys) and each text type with its charset (str keys). One dict: RAM.
_made = {}


def status_line(status):
    """b'HTTP/1.1 200 OK' and the like, made once per status."""
    line = _made.get(status)
    if line is None:
        line = ('HTTP/1.1 %d %s' % (status, reason(status))).encode()
        _made[status] = line
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
    is_head = False  # set to send the headers only, as for a HEAD request

    def __init__(self, body='', status_code=200, headers=None, reason=None):
        self.reason = reason
        self.headers = dict(headers) if headers else {}
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            if not (headers and self.header_name('content-type')):
                self.headers['Content-Type'] = \
                    'application/json; charset=UTF-8'
        elif isinstance(body, str):
            body = body.encode()
        elif body is None:
            body = b''
            if status_code == 200:
                status_code = 204  # as Microdot: a handler returned nothing
        self.status_code = status_code
        self.body = body

    def content_type(self):
        """The Content-Type sent when the headers have none: the class's
        `default_content_type`, with UTF-8 as charset if it is text."""
        content_type = self.default_content_type
        if content_type.startswith('text/') and 'charset' not in content_type:
            full = _made.get(content_type)
            if full is None:
                full = _made[content_type] = \
                    content_type + '; charset=UTF-8'
            content_type = full
        return content_type

    def complete(self):
        """Adds the Content-Type and Content-Length headers the response
        is sent with, where they are missing, as render() sends them: for
        code that sends the response itself (microdot/streams.py)."""
        from microdot.streams import complete
        complete(self)

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
        """Adds a Set-Cookie header that expires `cookie` at once; give the
        `path` and `domain` it was set with."""
        from microdot.cookies import delete_cookie
        delete_cookie(self, cookie, **kwargs)

    @classmethod
    def redirect(cls, location, status_code=302):
        """A redirect to `location`, 302 or `status_code`; ValueError for a
        line break in `location`."""
        if '\r' in location or '\n' in location:
            raise ValueError('line break in redirect location')
        return cls(status_code=status_code, headers={'Location': location})

    @staticmethod
    def send_file(*args, **kwargs):
        """A response with a file's contents: filename, status_code,
        content_type, stream, max_age, compressed, file_extension (see
        microdot/files.py, imported on first use)."""
        from microdot.files import FileResponse  # only apps serving files
        return FileResponse(*args, **kwargs)

    async def write(self, conn, req=None, keep_alive=False, timeout=None):
        """Sends the response on `conn`, a connection of the server or any
        asyncio stream (as in Microdot); returns whether the connection can
        carry another request."""
        if self is Response.already_handled:
            return False  # the handler took the connection over
        if not hasattr(conn, 'send'):
            from microdot.streams import StreamConnection, UNKNOWN_REQUEST
            conn = StreamConnection(conn)
            req = req or UNKNOWN_REQUEST
        head, stream, keep_alive = self.render(req, keep_alive)
        if stream is None:
            await conn.send(head, timeout)
            return keep_alive
        from microdot.streaming import send_response  # only apps that stream
        return await send_response(conn, req, self, head, stream, keep_alive,
                                   timeout)

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
        if http10:
            # in the client's version, as Microdot: the framing below is
            # then HTTP/1.0's
            head[7] = 48  # '0'
        typed = False
        for name in headers:
            values = headers[name]
            if isinstance(values, list):
                for value in values:
                    add_header(head, name, value)
            else:
                add_header(head, name, values)
                if not typed and len(name) == 12 and \
                        name.lower() == 'content-type':
                    typed = True
        if not typed and status != 204 and status != 304:  # no content
            add_header(head, 'Content-Type', self.content_type())
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
        if stream is None and body and not self.is_head and \
                not (req is not None and req.method == 'HEAD'):
            head += body
        return head, stream, keep_alive


# returned by handlers that took the connection over (a WebSocket's):
# nothing is sent for them
Response.already_handled = Response()
redirect = Response.redirect
send_file = Response.send_file


# --- URL patterns ---------------------------------------------------------

class URLPattern:
    """A route's URL. Static URLs compare as strings; those with dynamic
    segments (<name>, <int:name>, <path:name>, <re:regex:name>, or a type
    added with register_type) compile to one regular expression, made by
    microdot/segments.py."""

    segment_patterns = {'string': '[^/]+', 'int': '-?\\d+', 'path': '.+'}
    segment_parsers = {'int': int}
    static = True
    regex = None  # made by compile(), on first use
    segments = ()  # (name, parser, group number)

    @classmethod
    def register_type(cls, type_name, pattern='[^/]+', parser=None):
        """Adds the segment type of `<type_name:name>`: the text `pattern`
        matches, made the value by `parser` (None or ValueError: no match)."""
        cls.segment_patterns[type_name] = pattern
        cls.segment_parsers[type_name] = parser

    def __init__(self, url_pattern):
        self.url_pattern = url_pattern
        if '<' in url_pattern:
            self.static = False

    def compile(self):
        """Compiles a pattern with dynamic segments (routes do it when they
        are added); raises ValueError if it is malformed."""
        if not self.static and self.regex is None:
            from microdot.segments import compile_segments
            self.regex, self.segments = compile_segments(self,
                                                         self.url_pattern)
        return self.regex

    def match(self, path):
        """The URL's arguments as a dict, or None if `path` does not match."""
        if self.static:
            return {} if path == self.url_pattern else None
        match = (self.regex or self.compile()).match(path)
        if match is None:
            return None
        args = {}
        for name, parser, group in self.segments:
            value = match.group(group)
            if parser:
                try:
                    value = parser(value)
                except ValueError:
                    value = None
                if value is None:
                    return None
            args[name] = value
        return args


# --- The application ------------------------------------------------------

class Microdot:
    """A web application. Register handlers with the decorators, then call
    run() or await start_server()."""

    max_connections = 8  # served at once; the rest wait or get 503
    max_streams = 3  # of those, holding event streams or WebSockets
    keep_alive_timeout = 10  # seconds an idle connection is kept open
    request_timeout = 10  # seconds a stalled read or write may take
    debug = False
    server = None  # the Server, while the app is served

    def __init__(self):
        # (methods, URLPattern, handler, local subapp, prefix, subapp): the
        # subapp defined the route; if it was mounted `local`, it is there
        # twice, as its hooks and error handlers then apply to it alone
        self.url_map = []
        self.before_request_handlers = []
        self.after_request_handlers = []
        self.after_error_request_handlers = []
        self.error_handlers = {}
        self.options_handler = self.default_options_handler

    def route(self, url_pattern, methods=None):
        """Decorator: `f(request, **url_args)` answers `url_pattern` for
        `methods` (a list; GET by default, which answers HEAD too)."""
        def decorated(f):
            pattern = URLPattern(url_pattern)
            pattern.compile()  # a malformed pattern fails here, not later
            self.url_map.append((methods or ['GET'], pattern, f, None, '',
                                 None))
            return f
        return decorated

    def get(self, url_pattern):
        """Decorator: route() for GET (and HEAD)."""
        return self.route(url_pattern, ['GET'])

    def post(self, url_pattern):
        """Decorator: route() for POST."""
        return self.route(url_pattern, ['POST'])

    def put(self, url_pattern):
        """Decorator: route() for PUT."""
        return self.route(url_pattern, ['PUT'])

    def patch(self, url_pattern):
        """Decorator: route() for PATCH."""
        return self.route(url_pattern, ['PATCH'])

    def delete(self, url_pattern):
        """Decorator: route() for DELETE."""
        return self.route(url_pattern, ['DELETE'])

    def query(self, url_pattern):
        """Decorator: route() for QUERY (a safe request with a body)."""
        return self.route(url_pattern, ['QUERY'])

    def before_request(self, f):
        """Registers `f(request)`, run before each handler; what it returns,
        if not None, is the response and the handler does not run."""
        self.before_request_handlers.append(f)
        return f

    def after_request(self, f):
        """Registers `f(request, response)`, run after each handler; what it
        returns, if not None, replaces the response."""
        self.after_request_handlers.append(f)
        return f

    def after_error_request(self, f):
        """Registers `f(request, response)`, run after each error response
        (request None if it could not be parsed); may replace it."""
        self.after_error_request_handlers.append(f)
        return f

    def errorhandler(self, status_code_or_exception_class):
        """Decorator: `f(request)` answers an error status (an int), or
        `f(request, exc)` the exceptions of a class and its subclasses."""
        def decorated(f):
            self.error_handlers[status_code_or_exception_class] = f
            return f
        return decorated

    def mount(self, subapp, url_prefix='', local=False):
        """Adds `subapp`'s routes under `url_prefix`. Its hooks and error
        handlers apply to the whole app, or with `local` to its routes only
        (microdot/subapps.py, loaded by the first mount)."""
        from microdot.subapps import mount
        mount(self, subapp, url_prefix, local)

    abort = staticmethod(abort)

    def default_options_handler(self, request, allowed):
        """The answer to OPTIONS on a URL with no OPTIONS route: 200 with
        an Allow header of the methods in `allowed`."""
        return Response('', 200, {'Allow': ', '.join(allowed)})

    def find_route(self, request):
        """Returns the matching route, or raises 404, or 405 with the methods
        the URL allows (an OPTIONS request gets them as an answer)."""
        method = request.method
        for route in self.url_map:
            methods = route[0]
            if method in methods or (method == 'HEAD' and 'GET' in methods):
                args = route[1].match(request.path)
                if args is not None:
                    request.url_args = args
                    return route
        from microdot.errors import no_route  # 404, 405 or OPTIONS
        return no_route(self, request)

    async def dispatch_request(self, request):
        """Runs the hooks and the handler for `request`; always returns a
        Response, turning errors into error responses."""
        apps = (self,)
        try:
            if request is None:  # a request that could not be parsed
                raise HTTPException(400)
            route = self.find_route(request)
            if route[3]:
                apps = (self, route[3])
            if route[5]:
                request.subapp = route[5]
            if route[1] is None:  # automatic OPTIONS
                return await call(route[2], request, route[4])
            if route[4]:
                request.url_prefix = route[4]
            request.route = route[2]
            result = None
            for app in apps:
                for hook in app.before_request_handlers:
                    result = await call(hook, request)
                    if result is not None:
                        break
                if result is not None:
                    break
            if result is None:
                if iscoroutinefunction is None:
                    # MicroPython: not through call(), so that a sync
                    # handler costs no coroutine
                    result = route[2](request, **request.url_args)
                    if type(result) is coroutine_type:
                        result = await result
                else:
                    result = await call(route[2], request, **request.url_args)
            response = self.make_response(result)
            if response is Response.already_handled:
                return response  # nothing will be sent: no hook to run
            for app in reversed(apps):  # the innermost first
                for hook in app.after_request_handlers:
                    response = await call(hook, request, response) or response
            for hook in request.after_request_handlers:
                response = await call(hook, request, response) or response
        except Exception as exc:
            if isinstance(exc, HTTPException) and exc.local:
                apps = (self, exc.local)
            from microdot.errors import handle_error  # on the first error
            response = await handle_error(self, request, exc, apps)
        # request.g is not made for this
        if request is not None and hasattr(request._g, '_vary'):
            from microdot.vary import add_vary
            add_vary(response, request._g._vary)
        return response

    @staticmethod
    def make_response(result):
        """Turns what a handler returned into a Response."""
        if isinstance(result, Response):
            return result
        if isinstance(result, int):
            return Response('', result)
        if isinstance(result, tuple):
            body, rest = result[0], result[1:]
            if isinstance(body, int):  # (status, headers): no body
                body, rest = '', result
            status, headers = 200, None
            for item in rest:
                if isinstance(item, int):
                    status = item
                else:
                    headers = item
            return Response(body, status, headers)
        return Response(result)

    async def start_server(self, host='0.0.0.0', port=5000, debug=False,
                           ssl=None, start_serving=True):
        """Serves the app until shutdown(). With `start_serving` False
        (CPython only) it returns the asyncio server at once, for the caller
        to start with its serve_forever()."""
        self.debug = debug
        self.server = Server(self, ssl)
        if debug:
            print('Starting async server on {}:{}...'.format(host, port))
        return await self.server.serve(host, port, start_serving)

    def run(self, host='0.0.0.0', port=5000, debug=False, ssl=None):
        """Serves the app until shutdown() or Ctrl-C: start_server() in an
        event loop of its own. `ssl` is an ssl.SSLContext for HTTPS."""
        try:
            asyncio.run(self.start_server(host, port, debug, ssl))
        except KeyboardInterrupt:
            pass

    def shutdown(self):
        """Stops accepting requests; run() returns once those in progress
        are answered."""
        self.server.close()


# --- The server -----------------------------------------------------------

# What a connection is doing, for the reaper and for making room. Names
# with an underscore and const(): MicroPython puts the numbers in the code
# and keeps no name for them in RAM.
_IDLE = const(0)  # waiting for the next request, after an answer
_RECEIVING = const(1)  # new, or receiving a request before dispatch
BUSY = 2  # the app works on a request (reading its body, say)
_WRITING = const(3)  # sending a response
# ms receiving or writing before a connection may be evicted: a request can
# wait that long for a busy device to read it
_MIN_STALL = const(2000)
# ms a head may have come in part before its connection may be evicted:
# a client sends its head at once, a slowloris a byte at a time
_MIN_TRICKLE = const(250)

# Sent when there is no memory left to build a response with: made now
OUT_OF_MEMORY = b'HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n' \
    b'Content-Length: 0\r\nConnection: close\r\n\r\n'


class Connection:
    """One client connection: buffered reads (a request head usually arrives
    in one read, and bytes past a request are kept for the next one, which
    is how pipelining works), writes, and what the reaper checks: the state,
    and the time it began or last made progress."""

    read_size = 1024  # the most one read of the socket asks for (and allocates)
    # defaults shared by all connections: each stores only what changes
    buf = b''
    pos = 0
    state = _RECEIVING
    partial = False  # receiving a head that came in part only
    timeout = None  # ms allowed since `since`, None while the app works

    def __init__(self, reader, writer):
        self.reader = reader
        self.writer = writer
        self.since = ticks_ms()

    def received(self, data):
        """Appends what a read returned to the buffer; EOFError if the client
        has closed the connection."""
        if not data:
            raise EOFError
        if self.pos < len(self.buf):
            data = self.buf[self.pos:] + data
        self.buf = data
        self.pos = 0

    def take(self, separator, limit, status, reason):
        """Returns the buffered bytes before `separator` and consumes both,
        or None if `separator` has not arrived yet; raises
        HTTPException(status, reason) if more than `limit` bytes come first."""
        end = self.buf.find(separator, self.pos)
        if (end if end >= 0 else len(self.buf)) - self.pos > limit:
            raise HTTPException(status, reason)
        if end < 0:
            return None
        data = self.buf[self.pos:end]
        self.pos = end + len(separator)
        return data

    async def read(self, n):
        """Returns between 1 and `n` bytes; EOFError if the client is gone."""
        if self.pos >= len(self.buf):
            self.buf = b''
            self.pos = 0
            # large bodies skip the buffer; a read allocates all it asks for
            data = await self.reader.read(min(n, self.read_size))
            if not data:
                raise EOFError
            self.since = ticks_ms()
            return data
        data = self.buf[self.pos:self.pos + n]
        self.pos += len(data)
        return data

    async def send(self, data, timeout=None):
        """Writes `data`; a client that does not take it within `timeout`
        ms is dropped by the reaper."""
        state = self.state
        self.state = _WRITING
        self.timeout = timeout
        self.since = ticks_ms()
        self.writer.write(data)
        await self.writer.drain()
        self.state = state
        self.timeout = None


class Server:
    """Accepts connections for an app and answers their requests in order.

    At most `app.max_connections` are served at once (an ESP32 has about ten
    sockets), and of those at most `app.max_streams` hold a response with no
    end in sight (an event stream, a WebSocket): when one more starts, the
    oldest is closed, so streams never take the places short requests need.
    A new client takes the place of the connection idle the longest between
    two requests, else of the one whose write has waited the longest for a
    client that does not read (2 s at least), else of the oldest stream (a
    browser opens it again), else of the one whose head has trickled in the
    longest (250 ms at least), else of the one longest in a request not read
    yet (2 s at least), else it gets 503. One reaper task closes connections
    idle for `app.keep_alive_timeout` seconds, those whose request (its head
    and a body read before dispatch) is not all there `app.request_timeout`
    seconds after it began, and those whose write made no progress for as
    long (a body a handler reads gets 408, microdot/body.py)."""

    server = None  # the asyncio server
    reaper = None
    closing = False
    closed_at = 0  # ticks_ms() when close() was called

    def __init__(self, app, ssl=None):
        self.app = app
        self.scheme = 'https' if ssl else 'http'
        self.ssl = ssl
        self.connections = []  # every connection being served
        self.streams = []  # those of them that hold a long-lived response

    def report(self, exc):
        """What becomes of an error that escapes a request (one raised
        while a body streams): printed; the test client raises it."""
        print_exception(exc)

    async def serve(self, host, port, start_serving=True):
        """Serves until close(). With `start_serving` False (a CPython
        option) it returns the asyncio server, listening but not accepting
        yet, for its serve_forever()."""
        options = {}
        if not start_serving:
            if iscoroutinefunction is None:
                raise ValueError("start_serving=False needs CPython's "
                                 'asyncio')
            options['start_serving'] = False
        self.server = await asyncio.start_server(self.handle, host, port,
                                                 ssl=self.ssl, **options)
        self.reaper = asyncio.create_task(self.reap())
        if not start_serving:
            return self.server
        try:
            await self.server.wait_closed()
            while self.connections:  # let the requests in progress finish
                await asyncio.sleep(0.05)
        finally:
            self.reaper.cancel()

    def close(self):
        """Stops accepting; idle connections are closed now, busy ones when
        their response is sent or, at the latest, `app.request_timeout`
        seconds later (a WebSocket or an event stream never ends by itself)."""
        self.closing = True
        self.closed_at = ticks_ms()
        if self.server:
            self.server.close()
        if self.reaper and not self.connections:
            self.reaper.cancel()  # nothing left for it to watch
        for conn in self.connections:
            if conn.state == _IDLE or conn.state == _RECEIVING:
                conn.task.cancel()

    async def reap(self):
        while True:
            await asyncio.sleep(1)
            now = ticks_ms()
            late = self.closing and ticks_diff(now, self.closed_at) > \
                self.app.request_timeout * 1000
            for conn in self.connections:
                if late or conn.timeout is not None and \
                        ticks_diff(now, conn.since) > conn.timeout:
                    conn.task.cancel()

    def oldest(self, state, before, partial=False):
        """The connection that entered `state` first (with `partial`, of
        those that have part of a head only), if that was no later than
        `before`; else None."""
        found = None
        for conn in self.connections:
            if conn.state == state and (conn.partial or not partial) and (
                    found is None or ticks_diff(conn.since, found.since) < 0):
                found = conn
        if found is None or ticks_diff(found.since, before) > 0:
            return None
        return found

    def make_room(self):
        if len(self.connections) < self.app.max_connections:
            return True
        # one that has just come, or just written, is left alone: its
        # request or answer is on its way; a head that trickles in goes
        # before a request not read yet (the device may be too busy to)
        now = ticks_ms()
        before = ticks_add(now, -_MIN_STALL)
        conn = self.oldest(_IDLE, now) or self.oldest(_WRITING, before) or \
            (self.streams[0] if self.streams else None) or \
            self.oldest(_RECEIVING, ticks_add(now, -_MIN_TRICKLE), True) or \
            self.oldest(_RECEIVING, before)
        if conn is None:
            return False
        self.connections.remove(conn)
        if conn in self.streams:
            self.streams.remove(conn)
        conn.task.cancel()
        return True

    def hold_stream(self, conn):
        """Counts `conn`, whose response has no end in sight, among the
        streams; the oldest stream is closed if they are `app.max_streams`
        already. Called by the server for a streamed body of unknown length,
        by microdot.websocket after the upgrade."""
        if conn in self.streams:
            return
        if len(self.streams) >= self.app.max_streams:
            self.streams.pop(0).task.cancel()
        self.streams.append(conn)

    async def handle(self, reader, writer):
        """Answers the requests on one connection, in order, until either
        side closes it."""
        conn = Connection(reader, writer)
        conn.task = asyncio.current_task()
        app = self.app
        try:
            if self.closing or not self.make_room():
                await Response('Service Unavailable: too many connections',
                               503, {'Retry-After': '5'}).write(conn)
                await linger(conn)
                return
            self.connections.append(conn)
            client_addr = writer.get_extra_info('peername')
            app_timeout_ms = app.request_timeout * 1000
            idle_timeout_ms = app.keep_alive_timeout * 1000
            while True:
                # waiting since `since`: the last answer's write, or the
                # connection's start
                conn.timeout = idle_timeout_ms
                try:
                    if conn.pos >= len(conn.buf):
                        conn.received(await reader.read(conn.read_size))
                    # the request began: its head (and a body read before
                    # dispatch) must all be here within request_timeout,
                    # however it trickles in
                    conn.state = _RECEIVING
                    conn.since = ticks_ms()
                    conn.timeout = app_timeout_ms
                    req = Request.parse(app, conn, client_addr)
                    if req is None:
                        # the head comes in pieces, as a slowloris sends it
                        conn.partial = True
                        while req is None:
                            conn.received(await reader.read(conn.read_size))
                            req = Request.parse(app, conn, client_addr)
                        conn.partial = False
                    if req.has_body:
                        from microdot.body import open_body
                        await open_body(req, conn)
                except EOFError:
                    return
                except HTTPException as exc:
                    conn.state = BUSY
                    conn.timeout = None
                    # the app's error handlers answer (with no request); the
                    # stream can't be trusted past a bad request: then close
                    from microdot.errors import handle_error
                    res = await handle_error(app, None, exc, (app,))
                    await res.write(conn, None, False, app_timeout_ms)
                    await linger(conn)
                    return
                # in progress: shutdown() lets it finish
                conn.state = BUSY
                conn.timeout = None
                if self.scheme != 'http':
                    req.scheme = self.scheme
                if app.debug:
                    print(req.method, req.url)
                res = await app.dispatch_request(req)
                body = req._stream
                unread = body is not None and not (body.done and
                                                   not body.pending)
                keep = req.keep_alive and not unread and not self.closing
                if res is Response.already_handled:
                    keep = False  # the handler took the connection over
                else:
                    # write()'s two steps, without a coroutine of write()
                    head, stream, keep = res.render(req, keep)
                    if stream is None:
                        await conn.send(head, app_timeout_ms)
                    else:
                        if req.method != 'HEAD' and \
                                res.headers.get('Content-Length') is None:
                            self.hold_stream(conn)  # it may never end
                        from microdot.streaming import send_response
                        keep = await send_response(conn, req, res, head,
                                                   stream, keep,
                                                   app_timeout_ms)
                if not keep:
                    if unread or conn.pos < len(conn.buf):
                        await linger(conn)
                    return
                conn.state = _IDLE
        except asyncio.CancelledError:
            pass  # closed by the reaper, to make room, or by shutdown()
        except OSError:
            pass  # the client went away
        except MemoryError:
            # what was allocated for this request is garbage now: collect
            # it, and answer with bytes that need no memory
            gc.collect()
            try:
                writer.write(OUT_OF_MEMORY)
                await asyncio.wait_for(writer.drain(), 1)
            except Exception:
                pass  # the client does not take it
        except Exception as exc:
            self.report(exc)
        finally:
            if conn in self.connections:
                self.connections.remove(conn)
            if conn in self.streams:
                self.streams.remove(conn)
            try:
                writer.close()
                await writer.wait_closed()
            except Exception:
                pass  # the client may have reset the connection already


async def linger(conn):
    """Reads what the client still sends, for a second at most, before the
    connection is closed: closing with unread input makes TCP send a reset,
    and the client may lose the response it was sent."""
    async def discard():
        while True:
            await conn.read(1024)
    try:
        await asyncio.wait_for(discard(), 1)
    except Exception:
        pass  # EOFError: the client closed; TimeoutError: it did not


# a tuple: frozen, a constant in flash (a list would be made in RAM)
__all__ = ('Microdot', 'Request', 'Response', 'HTTPException', 'abort',
           'redirect', 'send_file', 'URLPattern', 'MultiDict', 'NoCaseDict')
