"""multipart/form-data (RFC 7578): forms with file uploads. The body is
parsed as a stream, so an upload of any size needs a buffer of a few hundred
bytes: FormDataIter gives the parts one by one, with_form_data fills
request.form and request.files before the handler runs."""
import io
import os

from microdot.request import HTTPException, MultiDict, unquote
from microdot.response import call

try:
    from tempfile import TemporaryFile
except ImportError:  # MicroPython: copies go to a named file in temp_dir
    TemporaryFile = None


def bad(reason):
    return HTTPException(400, 'Bad Request: ' + reason)


def parse_options(value):
    """Splits 'type; name=value; name="quoted value"' into the lower-case
    type and a dict of its parameters, with lower-case names."""
    kind, _, rest = value.partition(';')
    options = {}
    while rest:
        name, _, rest = rest.partition('=')
        rest = rest.lstrip()
        if rest[:1] == '"':
            end = 0
            while True:
                end = rest.find('"', end + 1)
                if end < 0:
                    raise bad('unterminated quoted string in ' + kind)
                slashes = 0
                while rest[end - 1 - slashes] == '\\':
                    slashes += 1
                if slashes % 2 == 0:
                    break  # not escaped: the closing quote
            text = rest[1:end]
            if '\\' in text:
                # only \" and \\ are escapes: browsers send backslashes in
                # Windows paths as they are
                text = text.replace('\\"', '"').replace('\\\\', '\\')
            rest = rest[end + 1:].partition(';')[2]
        else:
            text, _, rest = rest.partition(';')
            text = text.strip()
        options[name.strip().lower()] = text
    return kind.strip().lower(), options


async def gone(n=-1):
    raise ValueError('an upload must be read before the next form part')


class FormDataIter:
    """Iterates over a multipart/form-data request body, giving (name, value)
    for each part: a str for a field, a FileUpload for a file, which must be
    read before the next part is asked for (what is left of it is skipped).
    Gives nothing when the request is not multipart/form-data.

    A field may be Request.max_body_length bytes long (413 beyond), part
    headers 4 * Request.max_readline bytes; a malformed body gets 400."""

    buffer_size = 256  # bytes read from the body at a time

    def __init__(self, request):
        self.request = request
        self.part = None  # the FileUpload given last
        self.delimiter = None
        self.buf = b'\r\n'  # so that a boundary at the very start matches
        kind, options = parse_options(request.content_type or '')
        if kind == 'multipart/form-data':
            boundary = options.get('boundary', '')
            if not 0 < len(boundary) <= 70:
                raise bad('multipart/form-data without a valid boundary')
            self.delimiter = b'\r\n--' + boundary.encode()
            self.stream = request.stream

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.part:
            self.part._read = gone
            self.part = None
        delimiter = self.delimiter
        if delimiter is None:
            raise StopAsyncIteration
        while await self.read_part(self.buffer_size):
            pass  # the preamble, or what the app did not read of a file
        while len(self.buf) < len(delimiter) + 2:
            await self.fill()
        self.buf = self.buf[len(delimiter):]
        if self.buf[:2] == b'--':  # the last boundary
            self.delimiter = None
            self.buf = b''
            try:  # the epilogue is read, so the connection can carry on
                while await self.stream.read(self.buffer_size):
                    pass
            except EOFError:
                pass
            raise StopAsyncIteration
        if (await self.read_line(self.request.max_readline)).strip(b' \t'):
            raise bad('text after a multipart boundary')
        name, filename, content_type = await self.read_headers()
        if name is None:
            raise bad('form part without a name')
        if filename is not None:
            self.part = FileUpload(filename, content_type, self.read_part)
            return name, self.part
        value = b''
        while True:
            data = await self.read_part(self.buffer_size)
            if not data:
                break
            value += data
            if len(value) > self.request.max_body_length:
                raise HTTPException(413, 'Payload Too Large: form field ' +
                                    name)
        try:
            return name, value.decode()
        except UnicodeError:
            raise bad('form field is not UTF-8')

    async def read_headers(self):
        """The part's name, file name (None for a field) and content type."""
        name = filename = content_type = None
        left = 4 * self.request.max_readline
        while True:
            line = await self.read_line(left)
            if not line:
                return name, filename, content_type
            left -= len(line) + 2
            try:
                line = line.decode()
            except UnicodeError:
                raise bad('part header is not UTF-8')
            key, colon, value = line.partition(':')
            key = key.lower()
            if not colon or not key or key.strip() != key:
                raise bad('malformed part header')
            if key == 'content-disposition':
                kind, options = parse_options(value)
                if kind != 'form-data':
                    raise bad('part is not form-data')
                name = options.get('name')
                filename = options.get('filename')
                # RFC 8187's filename*=charset'language'%-encoded-name wins
                charset, _, rest = options.get('filename*', '').partition("'")
                if charset.lower() == 'utf-8':
                    filename = unquote(rest.partition("'")[2], False)
            elif key == 'content-type':
                content_type = value.strip()

    async def fill(self):
        try:
            data = await self.stream.read(self.buffer_size)
        except EOFError:  # the client closed the connection
            data = b''
        if not data:
            raise bad('multipart body ends before its last boundary')
        self.buf += data

    async def read_line(self, limit):
        """The bytes before the next CRLF, which is consumed too."""
        while True:
            end = self.buf.find(b'\r\n')
            if (end if end >= 0 else len(self.buf)) > limit:
                raise HTTPException(413, 'Payload Too Large: part header')
            if end >= 0:
                line = self.buf[:end]
                self.buf = self.buf[end + 2:]
                return line
            await self.fill()

    async def read_part(self, n):
        """Up to `n` bytes of the current part; b'' at its end, where the
        buffer starts with the delimiter."""
        delimiter = self.delimiter
        while True:
            buf = self.buf
            end = buf.find(delimiter)
            if end == 0:
                return b''
            if end < 0:
                # a delimiter cut by the end of this read starts with b'\r':
                # the bytes from there wait until more come
                end = buf.find(b'\r', max(0, len(buf) - len(delimiter) + 1))
                if end < 0:
                    end = len(buf)
            if end > 0:
                if end > n:
                    end = n
                self.buf = buf[end:]
                return buf[:end] if end < len(buf) else buf
            await self.fill()


class FileUpload:
    """An uploaded file: `filename` as the client sent it (not safe to use as
    a path), `content_type` (None if not sent), and the contents, read with
    read() or save(), or kept with copy() past the form's next parts."""

    max_memory_size = 1024  # copy() puts longer files in a temporary file
    temp_dir = ''  # where those go on MicroPython, which has no tempfile

    def __init__(self, filename, content_type, read):
        self.filename = filename
        self.content_type = content_type
        self._read = read  # async read(n): up to n bytes, b'' at the end
        self.file = None  # the copy
        self.path = None  # the copy's file name, on MicroPython

    async def read(self, n=-1):
        """Up to `n` bytes, all that is left if `n` is negative; b'' at the
        end."""
        if self.file:
            return self.file.read(n)
        if n >= 0:
            return await self._read(n)
        parts = []
        while True:
            data = await self._read(FormDataIter.buffer_size)
            if not data:
                return b''.join(parts)
            parts.append(data)

    async def save(self, path_or_file):
        """Writes the contents to a path, or to any object with a
        write(bytes) method, plain or async, one buffer at a time."""
        if isinstance(path_or_file, str):
            with open(path_or_file, 'wb') as f:
                await self.save(f)
            return
        while True:
            data = await self.read(FormDataIter.buffer_size)
            if not data:
                break
            await call(path_or_file.write, data)

    async def copy(self, max_memory_size=None):
        """Reads the rest of the file into memory, or into a temporary file
        if it is longer than `max_memory_size` (default: the class
        attribute); close() frees it. Returns the bytes kept in memory."""
        if self.file:
            return 0
        if max_memory_size is None:
            max_memory_size = self.max_memory_size
        data = b''
        while len(data) <= max_memory_size:
            part = await self._read(max_memory_size + 1 - len(data))
            if not part:
                self.file = io.BytesIO(data)
                return len(data)
            data += part
        if TemporaryFile:
            self.file = TemporaryFile()
        else:
            name = 'upload-%x.tmp' % id(self)
            self.path = self.temp_dir + '/' + name if self.temp_dir else name
            self.file = open(self.path, 'w+b')
        while data:
            self.file.write(data)
            data = await self._read(FormDataIter.buffer_size)
        self.file.seek(0)
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
        parts = FormDataIter(request)
        multipart = parts.delimiter is not None
        budget = request.max_body_length
        try:
            async for name, value in parts:
                budget -= len(name) + 64
                if isinstance(value, FileUpload):
                    files.add(name, value)
                    budget -= await value.copy(
                        max(0, min(value.max_memory_size, budget)))
                else:
                    form.add(name, value)
                    budget -= len(value)
                if budget < 0:
                    raise HTTPException(413, 'Payload Too Large: form fields')
            if multipart:
                request._form = form
                request.files = files
            return await call(f, request, *args, **kwargs)
        finally:
            for name in files:
                for upload in files.getlist(name):
                    await upload.close()
    return handler
