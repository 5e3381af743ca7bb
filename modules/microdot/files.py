"""send_file(): files with ETag revalidation, byte ranges and precompressed
variants. Imported on the first send_file() call, not with the framework."""
import os

from microdot import Response, abort


def etag_matches(if_none_match, etag):
    """Whether an If-None-Match header names `etag` (weakly, as RFC 9110
    compares for it) or is "*". Searched in place: a header of many tags
    makes no list of them."""
    if '*' in if_none_match and if_none_match.strip() == '*':
        return True
    text = if_none_match
    start = text.find(etag)
    while start >= 0:
        end = start + len(etag)
        if start >= 2 and text.startswith('W/', start - 2):
            start -= 2  # a weak tag compares the same
        while start > 0 and text[start - 1] in ' \t':
            start -= 1
        while end < len(text) and text[end] in ' \t':
            end += 1
        # the whole tag: after a comma or the start, before a comma or the end
        if (start == 0 or text[start - 1] == ',') and \
                (end == len(text) or text[end] == ','):
            return True
        start = text.find(etag, end)
    return False


class FileResponse(Response):
    """A file, answered as 200, or 304 when the client's copy is current, or
    206 for a single byte range."""

    def __init__(self, filename, status_code=200, content_type=None,
                 stream=None, max_age=None, compressed=False,
                 file_extension=''):
        if '\0' in filename:
            abort(400, 'Bad Request: NUL in a file name')
        if content_type is None:
            name = filename
            if compressed and name.endswith('.gz'):
                name = name[:-3]  # the type of what it unpacks to
            extension = name.rpartition('.')[2].lower()
            content_type = self.types_map.get(extension,
                                              'application/octet-stream')
        path = filename + file_extension
        size = None
        if stream is None:
            try:
                stat = os.stat(path)
                stream = open(path, 'rb')
            except OSError:
                abort(404)
            size = stat[6]
            self.etag = '"%x-%x"' % (int(stat[8]), size)
        else:
            self.etag = None
        headers = {'Content-Type': content_type}
        if size is not None:
            headers['Content-Length'] = str(size)
            headers['Accept-Ranges'] = 'bytes'
            headers['ETag'] = self.etag
        if compressed:
            headers['Content-Encoding'] = \
                compressed if isinstance(compressed, str) else 'gzip'
        if max_age is None:
            max_age = self.default_send_file_max_age
        if max_age is not None:
            headers['Cache-Control'] = 'max-age=' + str(max_age)
        super().__init__(stream, status_code, headers)
        self.size = size

    def render(self, req=None, keep_alive=False):
        if req is not None:
            self.check_conditions(req)
        return super().render(req, keep_alive)

    def check_conditions(self, req):
        """Turns this 200 into a 304 or a 206 (or a 416) as the request's
        If-None-Match, Range and If-Range headers ask. Called by render(),
        and by the ASGI and WSGI adapters, which send without it."""
        if self.status_code != 200 or not self.etag:
            return
        match = req.headers.get('If-None-Match')
        if match is not None:
            if etag_matches(match, self.etag):
                self.status_code = 304
                del self.headers['Content-Length']
                del self.headers['Content-Type']
                self.drop_body()
            return
        ranges = req.headers.get('Range')
        if_range = req.headers.get('If-Range')
        if ranges is None or (if_range is not None and if_range != self.etag):
            return
        unit, _, spec = ranges.partition('=')
        if unit.strip() != 'bytes' or ',' in spec:
            return  # several ranges: answering with the whole file is allowed
        first, _, last = spec.strip().partition('-')
        size = self.size
        try:
            if first:
                start = int(first)
                end = min(int(last), size - 1) if last else size - 1
            else:
                start = max(size - int(last), 0)
                end = size - 1
        except ValueError:
            return  # a malformed Range header is ignored
        if start > end or start >= size:
            self.status_code = 416
            self.headers = {'Content-Range': 'bytes */%d' % size}
            self.drop_body()
            return
        self.body.seek(start)
        self.status_code = 206
        self.headers['Content-Range'] = 'bytes %d-%d/%d' % (start, end, size)
        self.headers['Content-Length'] = str(end - start + 1)

    def drop_body(self):
        """For answers without the file (304, 416): close it now."""
        self.body.close()
        self.body = b''
