"""The request side: what the client sent, parsed once, and its body as a stream."""
import json


class HTTPException(Exception):
    """Raised to answer with an error status; `reason` becomes the body."""

    headers = None  # added to the error response, e.g. Allow for 405

    def __init__(self, status_code, reason=None):
        super().__init__(status_code, reason)
        self.status_code = status_code
        self.reason = reason


def abort(status_code, reason=None):
    raise HTTPException(status_code, reason)


class NoCaseDict(dict):
    """Header names are case-insensitive: keys are stored in lower case."""

    def __init__(self, items=None):
        super().__init__()
        if items:
            for key in items:
                self[key] = items[key]

    def __setitem__(self, key, value):
        super().__setitem__(key.lower(), value)

    def __getitem__(self, key):
        return super().__getitem__(key.lower())

    def __delitem__(self, key):
        super().__delitem__(key.lower())

    def __contains__(self, key):
        return super().get(key.lower(), self) is not self

    def get(self, key, default=None):
        return super().get(key.lower(), default)


class MultiDict(dict):
    """A dict whose keys may repeat (query strings, forms): `d[key]` is the
    first value, `getlist(key)` all of them."""

    multi = None  # key -> list of all values, only for keys seen twice

    def add(self, key, value):
        if key not in self:
            super().__setitem__(key, value)
            return
        if self.multi is None:
            self.multi = {}
        self.multi.setdefault(key, [self[key]]).append(value)

    def __setitem__(self, key, value):
        if self.multi:
            self.multi.pop(key, None)
        super().__setitem__(key, value)

    def __delitem__(self, key):
        if self.multi:
            self.multi.pop(key, None)
        super().__delitem__(key)

    def get(self, key, default=None, type=None):
        if key not in self:
            return default
        value = self[key]
        if type is not None:
            try:
                return type(value)
            except ValueError:
                return default
        return value

    def getlist(self, key, type=None):
        if key not in self:
            return []
        values = (self.multi or {}).get(key) or [self[key]]
        return [type(v) for v in values] if type else list(values)


def unquote(text, plus=True):
    """Decodes %XX escapes (and '+' as space, for forms and query strings)."""
    if plus and '+' in text:
        text = text.replace('+', ' ')
    if '%' not in text:
        return text
    parts = text.encode().split(b'%')
    out = bytearray(parts[0])
    for part in parts[1:]:
        try:
            out.append(int(part[:2], 16))
            out += part[2:]
        except ValueError:
            out += b'%' + part  # not an escape: keep it as sent
    try:
        return out.decode()
    except UnicodeError:
        raise HTTPException(400, 'Bad Request: invalid UTF-8 in URL or form')


def parse_urlencoded(text):
    args = MultiDict()
    for item in text.split('&'):
        if item:
            key, _, value = item.partition('=')
            args.add(unquote(key), unquote(value))
    return args


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
        # RFC 9112: no whitespace before the colon, and no line folding
        if colon <= start or head[start] in ' \t' or head[colon - 1] in ' \t':
            raise HTTPException(400, 'Bad Request: malformed header line')
        name = names[start:colon]
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
    head_too_large = 'Request Header Fields Too Large'  # the 431's reason

    body = b''
    query_string = None  # as in Microdot: None when the URL has no '?'
    scheme = 'http'
    url_prefix = ''
    subapp = None
    route = None
    files = None
    url_args = None
    after_request_handlers = ()
    has_body = False  # set by parse(): the head announced a body
    _stream = None
    _args = None
    _cookies = None
    _json = None
    _form = None
    _g = None

    def __init__(self, app, client_addr, method, url, http_version, headers,
                 body=None, stream=None, sock=None):
        self.app = app
        self.client_addr = client_addr
        self.method = method
        self.url = url
        self.http_version = http_version
        self.headers = headers
        self.sock = sock
        path = url
        if '?' in url:
            path, self.query_string = url.split('?', 1)
        # most paths have no escape: then no call
        self.path = unquote(path, False) if '%' in path else path
        if body is not None:
            self.body = body
        if stream is not None:
            self._stream = stream

    @classmethod
    async def create(cls, app, conn, client_addr, req=None):
        """Reads and checks one request head from `conn`, unless parse() has
        already made `req` of it; loads the body if it is small. Raises
        HTTPException for what is malformed or too large."""
        if req is None:
            try:
                head = await conn.read_until(b'\r\n\r\n', 4 * cls.max_readline,
                                             431, cls.head_too_large)
            except HTTPException as exc:
                raise cls.too_large(conn, exc)
            req = cls.parse(app, conn, client_addr, head)
        if req.has_body:
            await req._open_body(conn)
        return req

    @classmethod
    def too_large(cls, conn, exc):
        """The error for a head over the limit: 414 if already its request
        line is too long, else `exc` (431)."""
        if conn.buf.find(b'\r\n', conn.pos, conn.pos + cls.max_readline) < 0:
            return HTTPException(414, 'URI Too Long')
        return exc

    @classmethod
    def parse(cls, app, conn, client_addr, head=None):
        """create() without awaiting: the request from a head already
        buffered in `conn` (or given as `head`), or None while the head has
        not all arrived. The body is not read: `has_body` says whether
        _open_body() must be awaited. The server calls this first, so that a
        request that came in one read costs no coroutine."""
        if head is None:
            try:
                head = conn.take(b'\r\n\r\n', 4 * cls.max_readline, 431,
                                 cls.head_too_large)
            except HTTPException as exc:
                raise cls.too_large(conn, exc)
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
        parts = head[:line_end].split(' ')
        if len(parts) != 3 or not parts[1] or not parts[2].startswith('HTTP/'):
            raise HTTPException(400, 'Bad Request: malformed request line')
        method, url, version = parts
        # constants rather than a slice of the line: no string per request
        if version == 'HTTP/1.1':
            version = '1.1'
        elif version == 'HTTP/1.0':
            version = '1.0'
        else:
            raise HTTPException(505, 'HTTP Version Not Supported')
        if url[0] != '/':
            # absolute-form ("http://host/path"), as sent to proxies
            start = url.find('/', url.find('//') + 2) if '//' in url else -1
            if start < 0:
                raise HTTPException(400, 'Bad Request: malformed URL')
            url = url[start:]
        fields = parse_headers(head, line_end)
        # checked on the plain dict: C-level lookups
        if version == '1.1' and 'host' not in fields:
            raise HTTPException(400, 'Bad Request: missing Host header')
        # NoCaseDict() without an argument: on MicroPython, a dict subclass
        # built with one costs several microseconds more. update() is dict's
        # own, C-level, and the names are in lower case already.
        headers = NoCaseDict()
        headers.update(fields)
        # positional arguments: a call with keywords costs more on MicroPython
        req = cls(app, client_addr, method, url, version, headers, None, None,
                  conn)
        if 'content-length' in fields or 'transfer-encoding' in fields:
            req.has_body = True
        return req

    async def _open_body(self, conn):
        """Called when the head has a Content-Length or a Transfer-Encoding
        (`has_body`)."""
        length = self.headers.get('content-length')
        chunked = self.headers.get('transfer-encoding')
        if chunked is not None:
            if chunked.lower() != 'chunked':
                raise HTTPException(501, 'Not Implemented: transfer coding ' +
                                    chunked)
            if length is not None:
                raise HTTPException(400, 'Bad Request: both Content-Length '
                                    'and Transfer-Encoding')
        elif not length.isdigit():
            raise HTTPException(400, 'Bad Request: invalid Content-Length')
        else:
            length = int(length)
            if length > self.max_content_length:
                raise HTTPException(413, 'Payload Too Large')
        expect = self.headers.get('expect', '').lower() == '100-continue'
        if chunked is None:
            self._stream = Body(conn, length, expect)
        else:
            from microdot.chunked import ChunkedBody  # rare in requests
            self._stream = ChunkedBody(conn, self.max_content_length, expect)
        if chunked is None and length > self.max_body_length:
            return  # the handler reads it from `stream`
        body = b''
        while not self._stream.done and len(body) <= self.max_body_length:
            body += await self._stream.read(self.max_body_length + 1 - len(body))
        if self._stream.done:
            self.body = body
            self._stream = None
        else:
            self._stream.unread(body)

    @property
    def content_length(self):
        length = self.headers.get('content-length')
        return int(length) if length else len(self.body)

    @property
    def content_type(self):
        return self.headers.get('content-type')

    @property
    def stream(self):
        if self._stream is None:
            self._stream = Body(None, 0)  # nothing left on the connection
            self._stream.unread(self.body)
        return self._stream

    @property
    def args(self):
        if self._args is None:
            self._args = parse_urlencoded(self.query_string or '')
        return self._args

    @property
    def cookies(self):
        if self._cookies is None:
            self._cookies = {}
            for item in self.headers.get('cookie', '').split(';'):
                name, eq, value = item.strip().partition('=')
                if eq:
                    self._cookies[name] = value
        return self._cookies

    def _body_of(self, mime):
        content_type = self.content_type
        if content_type is None or content_type.split(';')[0].strip().lower() \
                != mime:
            return None
        try:
            return self.body.decode()
        except UnicodeError:
            raise HTTPException(400, 'Bad Request: body is not UTF-8')

    @property
    def json(self):
        if self._json is None:
            text = self._body_of('application/json')
            if text is None:
                return None
            try:
                self._json = json.loads(text)
            except ValueError:
                raise HTTPException(400, 'Bad Request: invalid JSON body')
        return self._json

    @property
    def form(self):
        if self._form is None:
            text = self._body_of('application/x-www-form-urlencoded')
            if text is None:
                return None
            self._form = parse_urlencoded(text)
        return self._form

    @property
    def g(self):
        if self._g is None:
            self._g = G()
        return self._g

    def after_request(self, f):
        """Registers `f(request, response)` to run after this request only."""
        if not self.after_request_handlers:
            self.after_request_handlers = []
        self.after_request_handlers.append(f)
        return f


class Body:
    """A request body of known length, read from the connection as the
    handler asks for it. Sends "100 Continue" first when the client is
    waiting for it. microdot/chunked.py decodes bodies of unknown length."""

    def __init__(self, conn, length, expect=False):
        self.conn = conn
        self.left = length  # bytes not read yet from the connection
        self.expect = expect
        self.done = length == 0
        self.pending = b''

    def unread(self, data):
        self.pending = data + self.pending

    async def read(self, n=-1):
        """Reads up to `n` bytes (all that is left if `n` is negative); b''
        at the end of the body."""
        if n < 0:
            parts = []
            while True:
                data = await self.read(1024)
                if not data:
                    return b''.join(parts)
                parts.append(data)
        if self.pending:
            data = self.pending[:n]
            self.pending = self.pending[n:]
            return data
        if self.done:
            return b''
        if self.expect:
            self.expect = False
            await self.conn.send(b'HTTP/1.1 100 Continue\r\n\r\n')
        if self.left == 0:
            await self.next_chunk()
            if self.done:
                return b''
        data = await self.conn.read(min(n, self.left))
        self.left -= len(data)
        if self.left == 0:
            await self.end_chunk()
        return data

    async def next_chunk(self):
        pass  # a body of known length is one chunk

    async def end_chunk(self):
        self.done = True

    async def readexactly(self, n):
        data = b''
        while len(data) < n:
            part = await self.read(n - len(data))
            if not part:
                raise EOFError('request body ended early')
            data += part
        return data

    async def readline(self):
        """Reads up to and including b'\\n' (multipart bodies need this)."""
        line = b''
        while not line.endswith(b'\n'):
            part = await self.read(Request.max_readline)
            if not part:
                break
            end = part.find(b'\n') + 1
            if end:
                self.unread(part[end:])
                part = part[:end]
            line += part
        return line
