"""multipart/form-data (RFC 7578): forms with file uploads. The body is
parsed as a stream, so an upload of any size needs a buffer of a few hundred
bytes: FormDataIter gives the parts one by one, with_form_data fills
request.form and request.files before the handler runs."""
import io
import os

from microdot import HTTPException, call
from microdot.streaming import invoke
from microdot.urlencoded import MultiDict

TOO_LARGE = 'Payload Too Large: form data'


def bad(reason='malformed multipart/form-data'):
    return HTTPException(400, 'Bad Request: ' + reason)


def parse_options(value):
    """Splits 'type; name=value; name="quoted value"' into the lower-case
    type and a dict of its parameters, with lower-case names. A quoted value
    ends at the next quote: browsers send a quote in a name as %22, and
    backslashes (Windows paths) as they are."""
    kind, _, rest = value.partition(';')
    options = {}
    while rest:
        name, _, rest = rest.partition('=')
        rest = rest.lstrip()
        if rest[:1] == '"':
            text, _, rest = rest[1:].partition('"')
            rest = rest.partition(';')[2]
        else:
            text, _, rest = rest.partition(';')
            text = text.strip()
        options[name.strip().lower()] = text
    return kind.strip().lower(), options


class FormDataIter:
    """Iterates over a multipart/form-data request body, giving (name, value)
    for each part: a str for a field, a FileUpload for a file, which must be
    read before the next part is asked for (what is left of it is skipped).
    Gives nothing when the request is not multipart/form-data.

    A part's headers, and a field, may each be Request.max_body_length bytes
    long (413 beyond); a malformed body gets 400, a body that ends early
    too. Some harmless deviations pass: text after a boundary on its line,
    a disposition type other than form-data, an unterminated quote."""

    buffer_size = 256  # bytes read from the body at a time
    upload = None  # the FileUpload given last, while it is current
    delimiter = None  # b'\r\n--' + the boundary
    buf = None  # None when there are no (more) parts

    def __init__(self, request):
        self.request = request
        kind, options = parse_options(request.content_type or '')
        if kind == 'multipart/form-data':
            boundary = options.get('boundary')
            if not boundary:
                raise bad()
            self.delimiter = b'\r\n--' + boundary.encode()
            self.buf = b'\r\n'  # so that a boundary at the very start matches

    def __aiter__(self):
        return self

    async def __anext__(self):
        self.upload = None  # an upload given before can't be read any more
        if not self.buf:
            raise StopAsyncIteration
        while await self.read(self.delimiter, self.buffer_size):
            pass  # the preamble, or what the app did not read of a file
        self.buf = self.buf[len(self.delimiter):]
        if self.buf[:2] == b'--':  # the last boundary
            self.buf = None
            try:  # the epilogue is read, so the connection can carry on
                while await self.request.stream.read(self.buffer_size):
                    pass
            except EOFError:
                pass
            raise StopAsyncIteration
        # the rest of the boundary's line, then the part's headers
        limit = self.request.max_body_length
        head = await self.read(b'\r\n\r\n', limit + 1)
        if len(head) > limit:
            raise HTTPException(413, TOO_LARGE)
        self.buf = self.buf[4:]
        try:
            headers = {}
            # the first line is the rest of the boundary's, normally empty:
            # it makes an entry that nothing looks up
            for line in head.split(b'\r\n'):
                key, _, value = line.decode().partition(':')
                headers[key.lower()] = value.strip()
            options = parse_options(headers.get('content-disposition', ''))[1]
            name = options.get('name')
            if name is None:
                raise bad()
            filename = options.get('filename')
            if filename is not None:
                self.upload = FileUpload(filename, headers.get('content-type'),
                                         self)
                return name, self.upload
            value = await self.read(self.delimiter, limit + 1)
            if len(value) > limit:
                raise HTTPException(413, TOO_LARGE)
            return name, value.decode()
        except ValueError:  # UnicodeError: not UTF-8
            raise bad()

    async def read(self, sep, n):
        """`n` bytes before the separator `sep` (the delimiter, or CRLF CRLF
        after part headers), fewer if it comes first: b'' at it. A separator
        counts once the two bytes after it are in the buffer too, which a
        valid body always has: after a delimiter they tell the last one
        ('--') from the others."""
        data = b''
        while len(data) < n:
            buf = self.buf
            end = buf.find(sep, 0, len(buf) - 2)
            if end == 0:
                break
            if end < 0:
                # the bytes that may start a separator cut by this read
                # (with its two bytes) wait until more come
                end = len(buf) - len(sep) - 1
            if end > 0:
                end = min(end, n - len(data))
                data += buf[:end]
                self.buf = buf[end:]
                continue
            try:
                more = await self.request.stream.read(self.buffer_size)
            except EOFError:  # the client closed the connection
                more = b''
            if not more:
                raise bad('body ends before its last boundary')
            self.buf += more
        return data


class FileUpload:
    """An uploaded file: `filename` as the client sent it (not safe to use as
    a path), `content_type` (None if not sent), and the contents, read with
    read() or save(), or kept with copy() past the form's next parts."""

    file = None  # the copy: io.BytesIO, or a temporary file
    path = None  # the temporary file's name
    max_memory_size = 1024  # copy() puts longer files in a temporary file
    # where those go, as upload-<id>.tmp (removed by close()): a folder name
    # ending in '/', or '' for the current folder
    temp_dir = ''

    def __init__(self, filename, content_type, parts):
        self.filename = filename
        self.content_type = content_type
        self.parts = parts  # the FormDataIter the contents come from

    async def read(self, n=-1):
        """`n` bytes, fewer at the end; all that is left if `n` is negative.
        ValueError once the form has moved on to its next part (unless the
        file was copied): the bytes there are no longer this file's."""
        if self.file:
            return self.file.read(n)
        if n < 0:
            buffer = io.BytesIO()
            await self.save(buffer)
            return buffer.getvalue()
        if self.parts.upload is not self:
            raise ValueError('read after the next part')
        return await self.parts.read(self.parts.delimiter, n)

    async def save(self, path_or_file):
        """Writes the contents to a path, or to any object with a
        write(bytes) method, plain or async, one buffer at a time."""
        if isinstance(path_or_file, str):
            with open(path_or_file, 'wb') as f:
                return await self.save(f)
        while True:
            data = await self.read(FormDataIter.buffer_size)
            if not data:
                break
            await invoke(path_or_file.write, data)

    async def copy(self, max_memory_size=None):
        """Reads the rest of the file into memory, or into a temporary file
        if it is longer than `max_memory_size` (default: the class
        attribute); close() frees it. Returns the bytes kept in memory."""
        if self.file:
            return 0
        if max_memory_size is None:
            max_memory_size = self.max_memory_size
        data = await self.read(max_memory_size + 1)
        if len(data) <= max_memory_size:
            self.file = io.BytesIO(data)
            return len(data)
        self.path = self.temp_dir + 'upload-%x.tmp' % id(self)
        file = open(self.path, 'w+b')
        file.write(data)
        await self.save(file)
        file.seek(0)
        self.file = file
        return 0

    async def close(self):
        """Frees what copy() made: the memory, or the temporary file."""
        if self.file:
            self.file.close()
            self.file = None
        if self.path:
            os.remove(self.path)
            self.path = None


def with_form_data(f):
    """Decorates a handler: a multipart/form-data body is parsed first into
    request.form (a MultiDict of str) and request.files (a MultiDict of
    FileUpload, each copied with copy()), freed when the handler returns.
    Fields and in-memory copies together may take Request.max_body_length
    bytes, each part counting 64 more for its objects: further files go to
    temporary files, further fields get 413."""
    async def handler(request, *args, **kwargs):
        form = MultiDict()
        files = MultiDict()
        uploads = []  # to close
        parts = FormDataIter(request)
        budget = request.max_body_length
        try:
            async for name, value in parts:
                if isinstance(value, str):
                    form.add(name, value)
                    budget -= len(value)
                else:
                    files.add(name, value)
                    uploads.append(value)
                    # budget >= 0 here (checked after each part): a size
                    # below 0 would make copy() read it all into memory
                    budget -= await value.copy(
                        min(value.max_memory_size, budget))
                budget -= len(name) + 64
                if budget < 0:
                    raise HTTPException(413, TOO_LARGE)
            if parts.delimiter:
                request.form = form
                request.files = files
            return await call(f, request, *args, **kwargs)
        finally:
            for upload in uploads:
                await upload.close()
    return handler
