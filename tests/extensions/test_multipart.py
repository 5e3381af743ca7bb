"""multipart/form-data: fields and files through with_form_data and
FormDataIter, saving and copying uploads, boundaries split across reads,
malformed bodies (400), limits (413), a chunked upload on a loopback socket,
and the heap a 1 MB upload needs."""
import asyncio
import binascii
import gc
import hashlib
import io
import os

from microdot import Microdot, Request, NoCaseDict
from microdot.multipart import FormDataIter, FileUpload, with_form_data
from microdot.test_client import TestClient
from support import MICROPYTHON, Serving, read_response

BOUNDARY = 'b0uNd-4ry'
FORM_TYPE = 'multipart/form-data; boundary=' + BOUNDARY
TMP = '/tmp/microdot-multipart-tests'


def field(name, value):
    return [b'Content-Disposition: form-data; name="' + name.encode() + b'"',
            value if isinstance(value, bytes) else value.encode()]


def upload(name, filename, content, content_type='application/octet-stream'):
    head = b'Content-Disposition: form-data; name="' + name.encode() + \
        b'"; filename="' + filename.encode() + b'"'
    if content_type:
        head += b'\r\nContent-Type: ' + content_type.encode()
    return [head, content]


def form_body(parts, boundary=BOUNDARY):
    """A multipart/form-data body from [head, content] pairs."""
    body = b''
    for head, content in parts:
        body += b'--' + boundary.encode() + b'\r\n' + head + b'\r\n\r\n' + \
            content + b'\r\n'
    return body + b'--' + boundary.encode() + b'--\r\n'


def pattern(size, seed=0):
    """Test file contents: every byte value, CRLFs and dashes included."""
    return bytes((seed + i * 7 + i // 251) % 256 for i in range(size))


def hexdigest(data):
    return binascii.hexlify(hashlib.sha256(data).digest()).decode()


def hexlify(data):
    return binascii.hexlify(data).decode()


class Digest:
    """A sink for FileUpload.save(): anything with write() will do."""

    def __init__(self):
        self.hash = hashlib.sha256()
        self.length = 0

    def write(self, data):
        self.hash.update(data)
        self.length += len(data)

    def digest(self):
        return self.hash.digest()


def make_tmp():
    try:
        os.mkdir(TMP)
    except OSError:
        pass  # there already


def exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


class Pieces:
    """A body stream that hands `data` out without crossing the `cuts`
    (positions), never more than asked for: each read ends at a cut."""

    def __init__(self, data, cuts=()):
        self.data = data
        self.cuts = sorted(cuts) + [len(data)]
        self.pos = 0

    async def read(self, n):
        end = self.pos + n
        for cut in self.cuts:
            if cut > self.pos:
                end = min(end, cut)
                break
        data = self.data[self.pos:end]
        self.pos += len(data)
        return data


def request_with(stream, content_type=FORM_TYPE):
    headers = NoCaseDict({'Content-Type': content_type})
    return Request(None, ('127.0.0.1', 0), 'POST', '/', '1.1', headers,
                   stream=stream)


async def parse(request, parts=FormDataIter):
    result = []
    async for name, value in parts(request):
        if isinstance(value, FileUpload):
            value = (value.filename, value.content_type, await value.read())
        result.append((name, value))
    return result


def form_app():
    app = Microdot()

    @app.post('/form')
    @with_form_data
    async def form(req):
        files = []
        for name in sorted(req.files):
            for item in req.files.getlist(name):
                files.append([name, item.filename, item.content_type,
                              hexlify(await item.read())])
        return {'form': [[k, req.form.getlist(k)] for k in sorted(req.form)],
                'files': files}

    return app


async def post_form(app, body, content_type=FORM_TYPE, path='/form',
                    headers=None):
    headers = dict(headers or {})
    headers['Content-Type'] = content_type
    return await TestClient(app).post(path, headers=headers, body=body)


async def test_with_form_data_fills_form_and_files():
    body = form_body([
        field('name', 'Ana'), field('tag', 'a'), field('tag', 'b'),
        field('city', 'S\u00e3o Paulo \u20ac'), field('empty', ''),
        upload('doc', 'a.bin', pattern(300)),
        upload('doc', 'b.txt', b'line 1\r\nline 2\r\n', 'text/plain'),
        upload('blank', '', b'', None),
    ])
    res = await post_form(form_app(), body)
    assert res.status_code == 200, res.text
    assert res.json['form'] == [
        ['city', ['S\u00e3o Paulo \u20ac']], ['empty', ['']],
        ['name', ['Ana']], ['tag', ['a', 'b']]]
    assert res.json['files'] == [
        ['blank', '', None, ''],
        ['doc', 'a.bin', 'application/octet-stream', hexlify(pattern(300))],
        ['doc', 'b.txt', 'text/plain', hexlify(b'line 1\r\nline 2\r\n')]]


async def test_form_data_iter_gives_parts_in_order():
    app = Microdot()

    @app.post('/iter')
    async def iterate(req):
        seen = []
        skipped = None
        async for name, value in FormDataIter(req):
            if skipped is not None:
                try:
                    await skipped.read(10)
                    seen.append('stale upload was readable')
                except ValueError:
                    seen.append('stale upload refused')
                skipped = None
            if not isinstance(value, FileUpload):
                seen.append([name, value])
            elif name == 'skip':
                skipped = value  # not read: the iterator skips the rest
            else:
                chunks = []
                while True:
                    chunk = await value.read(5)
                    if not chunk:
                        break
                    assert len(chunk) <= 5
                    chunks.append(chunk)
                seen.append([name, value.filename, len(chunks),
                             hexdigest(b''.join(chunks))])
        return seen

    body = form_body([field('first', '1'),
                      upload('file', 'f.bin', pattern(99)),
                      upload('skip', 's.bin', pattern(2000, 3)),
                      field('last', '\u00e9')])
    res = await post_form(app, body, path='/iter')
    assert res.json == [['first', '1'],
                        ['file', 'f.bin', 20, hexdigest(pattern(99))],
                        'stale upload refused', ['last', '\u00e9']]


async def test_save_to_path_file_and_sinks():
    make_tmp()
    path = TMP + '/saved.bin'
    written = {}

    class Sink:
        """Like a flash partition writer: takes the bytes in chunks."""

        def __init__(self):
            self.chunks = []

        def write(self, data):
            self.chunks.append(bytes(data))

    class AsyncSink(Sink):
        async def write(self, data):
            await asyncio.sleep(0)
            self.chunks.append(bytes(data))

    app = Microdot()

    @app.post('/save')
    async def save(req):
        async for name, value in FormDataIter(req):
            if name == 'to_path':
                await value.save(path)
            elif name == 'to_file':
                stream = io.BytesIO()
                await value.save(stream)
                written[name] = [stream.getvalue()]
            else:
                sink = Sink() if name == 'to_sink' else AsyncSink()
                await value.save(sink)
                written[name] = sink.chunks
        return 'saved'

    contents = {'to_path': pattern(5000), 'to_file': pattern(1500, 1),
                'to_sink': pattern(3000, 2), 'to_async_sink': pattern(700, 5)}
    body = form_body([upload(name, name + '.bin', contents[name])
                      for name in sorted(contents)])
    Request.max_content_length = 64 * 1024
    try:
        res = await post_form(app, body, path='/save')
    finally:
        Request.max_content_length = 16 * 1024
    assert res.text == 'saved'
    with open(path, 'rb') as f:
        assert f.read() == contents['to_path']
    os.remove(path)
    for name in ('to_file', 'to_sink', 'to_async_sink'):
        assert b''.join(written[name]) == contents[name]
    # chunk by chunk, never more than the iterator's buffer at once
    assert len(written['to_sink']) >= 3000 // FormDataIter.buffer_size
    assert max(len(c) for c in written['to_sink']) <= FormDataIter.buffer_size


async def test_copy_keeps_small_files_in_memory_and_large_ones_in_temp_files():
    make_tmp()
    FileUpload.temp_dir = TMP + '/'
    kept = {}
    app = Microdot()

    @app.post('/copy')
    async def copy(req):
        uploads = []
        fields = []
        async for name, value in FormDataIter(req):
            if isinstance(value, FileUpload):
                await value.copy(100 if name == 'big' else None)
                uploads.append(value)
            else:
                fields.append(value)
        # read after the parts that followed them, as copy() allows
        result = [fields]
        for item in uploads:
            result.append([item.filename, isinstance(item.file, io.BytesIO),
                           hexdigest(await item.read())])
            if item.path:
                assert exists(item.path)
            kept[item.filename] = (item.file, item.path)
            await item.close()
        return result

    small, big = pattern(1024, 1), pattern(4000, 2)
    body = form_body([upload('small', 's', small), field('x', 'between'),
                      upload('big', 'b', big), field('y', 'after')])
    try:
        res = await post_form(app, body, path='/copy')
    finally:
        FileUpload.temp_dir = ''
    assert res.json == [['between', 'after'],
                        ['s', True, hexdigest(small)],
                        ['b', False, hexdigest(big)]]
    big_file, big_path = kept['b']
    assert big_path.startswith(TMP + '/upload-') and not exists(big_path)
    try:
        big_file.read()
        raise AssertionError('the temporary file was left open')
    except (ValueError, OSError):
        pass  # closed


async def test_with_form_data_spills_past_its_memory_budget_and_frees():
    make_tmp()
    FileUpload.temp_dir = TMP + '/'
    seen = []
    app = Microdot()

    @app.post('/many')
    @with_form_data
    async def many(req):
        for name in sorted(req.files):
            item = req.files[name]
            seen.append(item)
            assert await item.read() == pattern(1000, int(name[1:]))
        return [isinstance(req.files['f%02d' % n].file, io.BytesIO)
                for n in range(20)]

    # 20 files of 1000 bytes: more than Request.max_body_length in memory
    body = form_body([upload('f%02d' % n, 'f.bin', pattern(1000, n))
                      for n in range(20)])
    Request.max_content_length = 64 * 1024
    try:
        res = await post_form(app, body, path='/many')
    finally:
        Request.max_content_length = 16 * 1024
        FileUpload.temp_dir = ''
    assert res.status_code == 200, res.text
    # the first files fit in memory, the rest went to temporary files
    in_memory = res.json
    kept = in_memory.count(True)
    assert 10 <= kept <= 15
    assert in_memory == [True] * kept + [False] * (20 - kept)
    assert len(seen) == 20 and all(item.file is None for item in seen)
    assert [name for name in os.listdir(TMP) if name.startswith('upload')
            ] == []


DELIMITER = b'\r\n--' + BOUNDARY.encode()
# contents that look like the start of a delimiter in many ways
TRICKY = [
    ('a', 'x'),
    ('f', ('tricky.bin', b'--' + BOUNDARY.encode() + b'\r' + DELIMITER[:-1] +
           b'?\r\r\n-\r\n--' + DELIMITER[:5])),
    ('g', ('cr.bin', b'\r')),
    ('h', ('empty.bin', b'')),
    ('b', '\r\n--' + BOUNDARY[:-1]),
    ('i', ('ends.bin', pattern(40) + DELIMITER[:-1])),
]


def tricky_body():
    return form_body([upload(name, value[0], value[1])
                      if isinstance(value, tuple) else field(name, value)
                      for name, value in TRICKY])


def tricky_expected():
    return [(name, (value[0], 'application/octet-stream', value[1]))
            if isinstance(value, tuple) else (name, value)
            for name, value in TRICKY]


async def test_tricky_contents_are_kept_intact():
    result = await parse(request_with(Pieces(tricky_body())))
    assert result == tricky_expected()
    assert len(result) == 6


async def test_boundary_split_at_every_position():
    body = tricky_body()
    expected = tricky_expected()
    for cut in range(1, len(body)):
        result = await parse(request_with(Pieces(body, [cut])))
        assert result == expected, cut


async def test_every_read_size_and_buffer_size():
    body = tricky_body()
    expected = tricky_expected()
    for size in range(1, 2 * len(BOUNDARY) + 8):
        result = await parse(request_with(Pieces(body, range(size, len(body),
                                                             size))))
        assert result == expected, size

        class SmallBuffer(FormDataIter):
            buffer_size = size

        result = await parse(request_with(Pieces(body)), SmallBuffer)
        assert result == expected, size


async def test_preamble_padding_epilogue_and_header_case():
    app = form_app()
    body = (b'This is a preamble, ignored.\r\n--' + BOUNDARY.encode() +
            b' \t\r\ncontent-disposition: Form-Data; NAME="a"\r\n'
            b'X-Other: ignored\r\n\r\none\r\n--' + BOUNDARY.encode() +
            b'\r\nContent-Disposition: form-data; name="b"\r\n\r\n'
            b'two\r\n--' + BOUNDARY.encode() + b'--  \r\nThe epilogue.\r\n')
    res = await post_form(app, body)
    assert res.json == {'form': [['a', ['one']], ['b', ['two']]], 'files': []}
    # a leading CRLF, a quoted boundary, and no CRLF after the last boundary
    body = (b'\r\n--a b\r\nContent-Disposition: form-data; name="c"\r\n\r\n'
            b'3\r\n--a b--')
    res = await post_form(app, body, 'multipart/form-data; boundary="a b"')
    assert res.json == {'form': [['c', ['3']]], 'files': []}
    # no parts at all
    res = await post_form(app, b'--' + BOUNDARY.encode() + b'--\r\n')
    assert res.json == {'form': [], 'files': []}


async def test_epilogue_is_read_so_the_connection_stays_open():
    app = Microdot()

    @app.post('/count')
    async def count(req):
        return str(len(await parse(req)))

    # longer than max_body_length: the epilogue is still on the connection
    body = form_body([field('a', '1'), upload('f', 'f', pattern(20000))]) + \
        b'epilogue' * 100
    head = ('POST /count HTTP/1.1\r\nHost: x\r\nContent-Type: {}\r\n'
            'Content-Length: {}\r\n\r\n').format(FORM_TYPE, len(body))
    Request.max_content_length = 64 * 1024
    try:
        async with Serving(app) as server:
            reader, writer = await server.connect()
            for _ in range(2):
                writer.write(head.encode() + body)
                await writer.drain()
                res = await read_response(reader)
                assert res.text == '2'
                assert 'Connection' not in res.headers
            writer.close()
    finally:
        Request.max_content_length = 16 * 1024


async def test_filename_parameters():
    heads = [
        # browsers send a quote in a file name as %22 (a ';' as it is)
        b'form-data; name="q"; filename="say %22hi%22; ok.txt"',
        # RFC 7578 4.2: filename* must not be used; it is ignored
        b'form-data; name="ext"; filename="rates.txt"; '
        b"filename*=UTF-8''%E2%82%AC%20rates.txt",
        b"form-data; name=\"latin\"; filename=\"plain.txt\"; "
        b"filename*=iso-8859-1'en'%A3.txt",
        b'form-data; name=token; filename=report.pdf',
        b'form-data; name="win"; filename="C:\\dir\\file.txt"',
        b'form-data; name="utf"; filename="\xc3\xa9t\xc3\xa9.txt"',
    ]
    body = form_body([[b'Content-Disposition: ' + head, b'data']
                      for head in heads])
    result = await parse(request_with(Pieces(body)))
    assert [(name, value[0]) for name, value in result] == [
        ('q', 'say %22hi%22; ok.txt'), ('ext', 'rates.txt'),
        ('latin', 'plain.txt'), ('token', 'report.pdf'),
        ('win', 'C:\\dir\\file.txt'), ('utf', '\u00e9t\u00e9.txt')]
    assert all(value == (value[0], None, b'data') for _, value in result)


MALFORMED = 'malformed multipart/form-data'
ENDS = 'body ends before its last boundary'
BAD_BODIES = [
    ('multipart/form-data', form_body([field('a', '1')]), MALFORMED),
    ('multipart/form-data; boundary=""', form_body([field('a', '1')], ''),
     MALFORMED),
    (FORM_TYPE, form_body([field('a', '1')], 'other'), ENDS),
    (FORM_TYPE, form_body([field('a', '1')])[:-6], ENDS),
    (FORM_TYPE, form_body([field('a', '1')])[:30], ENDS),
    (FORM_TYPE, b'', ENDS),
    (FORM_TYPE, form_body([[b'Content-Disposition: form-data', b'1']]),
     MALFORMED),
    (FORM_TYPE, form_body([[b'Content-Type: text/plain', b'1']]), MALFORMED),
    (FORM_TYPE, form_body([[b'Content-Disposition form-data; name="a"',
                            b'1']]), MALFORMED),
    (FORM_TYPE, form_body([[b' Content-Disposition: form-data; name="a"',
                            b'1']]), MALFORMED),
    (FORM_TYPE, form_body([field('a', b'\xff\xfe')]), MALFORMED),
    (FORM_TYPE, form_body([[b'Content-Disposition: form-data; name="\xff"',
                            b'1']]), MALFORMED),
]


async def test_malformed_bodies_get_400_with_a_reason():
    app = form_app()
    for content_type, body, reason in BAD_BODIES:
        res = await post_form(app, body, content_type)
        assert res.status_code == 400, (body, res.status_code, res.text)
        assert res.text == 'Bad Request: ' + reason, (body, res.text)


async def test_harmless_deviations_are_tolerated():
    # text after a boundary on its line, a disposition type other than
    # form-data, an unterminated quoted string, a boundary over 70 bytes
    body = (b'--' + BOUNDARY.encode() + b'junk\r\n' +
            form_body([[b'Content-Disposition: attachment; name="b"', b'2'],
                       [b'Content-Disposition: form-data; name="c', b'3']]
                      )[len(BOUNDARY) + 4:])
    res = await post_form(form_app(), body)
    assert res.json == {'form': [['b', ['2']], ['c', ['3']]], 'files': []}
    res = await post_form(form_app(), form_body([field('a', '1')], 'x' * 71),
                          'multipart/form-data; boundary=' + 'x' * 71)
    assert res.json == {'form': [['a', ['1']]], 'files': []}


async def test_body_cut_short_by_the_client_gets_400():
    # longer than max_body_length, so the handler reads it from the stream
    body = form_body([upload('f', 'f.bin', pattern(30000))])
    headers = {'Content-Length': str(len(body))}
    Request.max_content_length = 64 * 1024
    try:
        res = await post_form(form_app(), body[:20000], headers=headers)
    finally:
        Request.max_content_length = 16 * 1024
    assert res.status_code == 400
    assert 'ends before its last boundary' in res.text


TOO_LARGE = 'Payload Too Large: form data'


async def test_limits_get_413():
    app = form_app()
    Request.max_content_length = 64 * 1024
    try:
        # a field longer than Request.max_body_length
        res = await post_form(app, form_body([field('big', 'x' * 17000)]))
        assert res.status_code == 413 and res.text == TOO_LARGE
        # part headers longer than Request.max_body_length
        head = b'Content-Disposition: form-data; name="a"\r\nX-Pad: ' + \
            b'p' * Request.max_body_length
        res = await post_form(app, form_body([[head, b'1']]))
        assert res.status_code == 413 and res.text == TOO_LARGE
        # ... while long ones below it are fine
        res = await post_form(app, form_body([[head[:-100], b'1']]))
        assert res.json == {'form': [['a', ['1']]], 'files': []}
        # many fields, each small, together over with_form_data's budget
        res = await post_form(app, form_body(
            [field('f%d' % n, 'v' * 900) for n in range(20)]))
        assert res.status_code == 413 and res.text == TOO_LARGE
    finally:
        Request.max_content_length = 16 * 1024
    # the whole body over Request.max_content_length
    res = await post_form(app, form_body([upload('f', 'f', pattern(17000))]))
    assert res.status_code == 413


async def test_other_content_types_are_left_alone():
    app = Microdot()

    @app.post('/any')
    @with_form_data
    async def any_form(req):
        form = req.form
        return {'form': None if form is None else {k: form[k] for k in form},
                'files': req.files,
                'parts': await parse(req)}

    res = await post_form(app, 'a=1&b=2', 'application/x-www-form-urlencoded',
                          '/any')
    assert res.json == {'form': {'a': '1', 'b': '2'}, 'files': None,
                        'parts': []}
    res = await TestClient(app).post('/any', body={'a': 1})
    assert res.json == {'form': None, 'files': None, 'parts': []}


async def test_loopback_chunked_upload_with_expect_continue():
    app = Microdot()

    @app.post('/upload')
    async def upload_handler(req):
        result = []
        async for name, value in FormDataIter(req):
            if isinstance(value, FileUpload):
                digest = Digest()
                await value.save(digest)
                value = hexlify(digest.digest())
            result.append([name, value])
        return result

    @app.get('/ping')
    def ping(req):
        return 'pong'

    content = pattern(20000, 9)
    body = form_body([field('title', 'big one'),
                      upload('file', 'big.bin', content),
                      field('after', 'yes')])
    Request.max_content_length = 64 * 1024
    try:
        async with Serving(app) as server:
            reader, writer = await server.connect()
            writer.write(b'POST /upload HTTP/1.1\r\nHost: x\r\n'
                         b'Content-Type: ' + FORM_TYPE.encode() + b'\r\n'
                         b'Transfer-Encoding: chunked\r\n'
                         b'Expect: 100-continue\r\n\r\n')
            await writer.drain()
            assert await reader.readline() == b'HTTP/1.1 100 Continue\r\n'
            assert await reader.readline() == b'\r\n'
            pos = 0
            size = 1
            while pos < len(body):
                piece = body[pos:pos + size]
                writer.write(b'%x\r\n' % len(piece) + piece + b'\r\n')
                await writer.drain()
                pos += len(piece)
                size = size % 97 + 1  # cuts fall everywhere in the boundaries
            writer.write(b'0\r\n\r\n')
            await writer.drain()
            res = await read_response(reader)
            assert res.status_code == 200, res.text
            assert res.json == [['title', 'big one'],
                                ['file', hexdigest(content)],
                                ['after', 'yes']]
            writer.write(b'GET /ping HTTP/1.1\r\nHost: x\r\n\r\n')
            assert (await read_response(reader)).text == 'pong'
            writer.close()
    finally:
        Request.max_content_length = 16 * 1024


class GeneratedUpload:
    """A request body stream holding one file part of `size` bytes, made up
    as it is read so that the test itself takes no memory for it."""

    def __init__(self, size, probe):
        self.head = (b'--' + BOUNDARY.encode() + b'\r\nContent-Disposition: '
                     b'form-data; name="firmware"; filename="fw.bin"\r\n\r\n')
        self.tail = b'\r\n--' + BOUNDARY.encode() + b'--\r\n'
        self.block = pattern(1024)
        self.size = size
        self.pos = 0
        self.probe = probe

    async def read(self, n):
        self.probe.sample()
        pos = self.pos
        head, size = len(self.head), self.size
        if pos < head:
            data = self.head[pos:pos + n]
        elif pos < head + size:
            offset = (pos - head) % 1024
            data = self.block[offset:offset + min(n, head + size - pos)]
        else:
            data = self.tail[pos - head - size:pos - head - size + n]
        self.pos += len(data)
        return data


class HeapProbe:
    """The most heap in use during a parse, above what was in use before.
    MicroPython: collections happen only at the samples (gc is disabled in
    between), each followed by gc.mem_alloc(). CPython: tracemalloc's peak."""

    def __init__(self):
        self.calls = 0
        self.peak = 0

    def start(self):
        if MICROPYTHON:
            gc.collect()
            gc.disable()
            self.base = gc.mem_alloc()
        else:
            import tracemalloc
            tracemalloc.start()

    def sample(self):
        self.calls += 1
        if MICROPYTHON and self.calls % 16 == 0:
            gc.collect()
            self.peak = max(self.peak, gc.mem_alloc() - self.base)

    def stop(self):
        if MICROPYTHON:
            gc.enable()
        else:
            import tracemalloc
            self.peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        return self.peak


async def test_one_megabyte_upload_needs_a_few_kilobytes_of_heap():
    size = 1024 * 1024
    expected = hashlib.sha256()
    block = pattern(1024)
    for _ in range(size // 1024):
        expected.update(block)
    expected = expected.digest()
    probe = HeapProbe()

    class Sink:
        """Checks the file as it comes, like a flash writer would store it."""

        def __init__(self):
            self.digest = hashlib.sha256()
            self.length = 0

        def write(self, data):
            probe.sample()
            self.digest.update(data)
            self.length += len(data)

    sink = Sink()
    request = request_with(GeneratedUpload(size, probe))
    names = []
    probe.start()
    try:
        async for name, value in FormDataIter(request):
            names.append((name, value.filename))
            await value.save(sink)
    finally:
        peak = probe.stop()
    assert names == [('firmware', 'fw.bin')]
    assert sink.length == size and sink.digest.digest() == expected
    assert probe.calls > size // FormDataIter.buffer_size
    assert 0 < peak < 16 * 1024, peak
