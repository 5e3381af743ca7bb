"""Sends requests to an app without a network: the request is written as
HTTP/1.1 bytes and goes through the same connection code as a socket's."""
import json
import time

from microdot import NoCaseDict, Server


class MemoryReader:
    def __init__(self, data):
        self.data = data

    async def read(self, n):
        data = self.data[:n]
        self.data = self.data[n:]
        return data


class MemoryWriter:
    def __init__(self):
        self.data = b''

    def write(self, data):
        self.data += data

    async def drain(self):
        pass

    def close(self):
        pass

    async def wait_closed(self):
        pass

    def get_extra_info(self, name):
        return ('127.0.0.1', 1234) if name == 'peername' else None


class TestResponse:
    """A parsed response: status_code, reason, headers, body, text, json."""

    def __init__(self, status_code, reason, headers, body):
        self.status_code = status_code
        self.reason = reason
        self.headers = headers
        self.body = body  # None for HEAD, or when the handler sent nothing
        self.text = None
        self.json = None
        if body is None:
            return
        try:
            self.text = body.decode()
        except UnicodeError:
            pass
        content_type = headers.get('Content-Type', '')
        if content_type.startswith('application/json') and self.text:
            self.json = json.loads(self.text)

    @classmethod
    def parse(cls, data, head_only=False):
        """Parses the final response in `data`, skipping 1xx ones; an answer
        to HEAD (`head_only`) has no body whatever its headers say."""
        if not data:  # the handler took the connection over
            return cls(None, None, NoCaseDict(), None)
        while True:
            end = data.find(b'\r\n\r\n')
            lines = data[:end].decode().split('\r\n')
            data = data[end + 4:]
            status = int(lines[0].split(' ', 2)[1])
            if status >= 200:
                break
        reason = lines[0].split(' ', 2)[2]
        headers = NoCaseDict()
        for line in lines[1:]:
            name, _, value = line.partition(':')
            value = value.strip()
            if name in headers:
                old = headers[name]
                value = (old if isinstance(old, list) else [old]) + [value]
            elif name.lower() == 'set-cookie':
                value = [value]  # a list, however many there are
            headers[name] = value
        if head_only:
            body = None
        elif headers.get('Transfer-Encoding') == 'chunked':
            body = b''
            while True:
                end = data.find(b'\r\n')
                size = int(data[:end].split(b';')[0], 16)
                if size == 0:
                    break
                body += data[end + 2:end + 2 + size]
                data = data[end + 4 + size:]
        elif 'Content-Length' in headers:
            body = data[:int(headers['Content-Length'])]
        else:
            body = data
        return cls(status, reason, headers, body)


class TestClient:
    """Sends requests to `app` and keeps the cookies it sets."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(self, app, cookies=None, scheme=None, host=None):
        self.app = app
        self.cookies = dict(cookies or {})
        self.cookie_paths = {}  # name -> Path, for cookies set with one
        self.scheme = scheme or 'http'
        self.host = host or 'example.com'

    async def request(self, method, path, headers=None, body=None):
        headers = NoCaseDict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            if 'Content-Type' not in headers:
                headers['Content-Type'] = 'application/json'
        if isinstance(body, str):
            body = body.encode()
        body = body or b''
        if body and 'Content-Length' not in headers and \
                'Transfer-Encoding' not in headers:
            headers['Content-Length'] = str(len(body))
        if 'Host' not in headers:
            headers['Host'] = self.host
        cookies = [k + '=' + v for k, v in self.cookies.items()
                   if path.startswith(self.cookie_paths.get(k, '/'))]
        if cookies:
            if 'Cookie' in headers:
                cookies.append(headers['Cookie'])
            headers['Cookie'] = '; '.join(cookies)
        head = method + ' ' + path + ' HTTP/1.1\r\n' + ''.join(
            k + ': ' + v + '\r\n' for k, v in headers.items()) + '\r\n'
        writer = MemoryWriter()
        server = Server(self.app)
        server.scheme = self.scheme
        await server.handle(MemoryReader(head.encode() + body), writer)
        response = TestResponse.parse(writer.data, method == 'HEAD')
        self._update_cookies(response.headers.get('Set-Cookie', []),
                             path.split('?')[0])
        return response

    def _update_cookies(self, cookies, path):
        """Keeps the cookies set, with their Path, and forgets those deleted
        (a deletion names the Path of the cookie it deletes)."""
        for cookie in cookies:
            attributes = cookie.split(';')
            name, _, value = attributes[0].strip().partition('=')
            cookie_path, expired = '/', False
            for attribute in attributes[1:]:
                key, _, arg = attribute.strip().partition('=')
                key = key.lower()
                if key == 'path':
                    cookie_path = arg
                elif key == 'max-age' and int(arg) <= 0 or key == 'expires' \
                        and int(arg.split()[3]) < time.gmtime()[0]:
                    expired = True  # a date in a past year is all we check
            if not expired:
                self.cookies[name] = value
                self.cookie_paths[name] = cookie_path
            elif self.cookie_paths.get(name, '/') == cookie_path:
                self.cookies.pop(name, None)
                self.cookie_paths.pop(name, None)

    async def get(self, path, headers=None):
        return await self.request('GET', path, headers)

    async def post(self, path, headers=None, body=None):
        return await self.request('POST', path, headers, body)

    async def put(self, path, headers=None, body=None):
        return await self.request('PUT', path, headers, body)

    async def patch(self, path, headers=None, body=None):
        return await self.request('PATCH', path, headers, body)

    async def delete(self, path, headers=None):
        return await self.request('DELETE', path, headers)

    async def query(self, path, headers=None, body=None):
        return await self.request('QUERY', path, headers, body)
