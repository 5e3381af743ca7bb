"""Sends requests to an app without a network: the request is written as
HTTP/1.1 bytes and goes through the same connection code as a socket's."""
import asyncio
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


class Pipe:
    """Bytes written at one end and read at the other as they come: the
    two directions of a WebSocket between the test client and the app."""

    def __init__(self, data=b''):
        self.data = data
        self.ended = False
        self.arrived = asyncio.Event()

    def write(self, data):
        self.data += data
        self.arrived.set()

    async def drain(self):
        pass

    def close(self):
        self.ended = True
        self.arrived.set()

    async def wait_closed(self):
        pass

    def get_extra_info(self, name):
        return ('127.0.0.1', 1234) if name == 'peername' else None

    async def read(self, n):
        while not self.data and not self.ended:
            self.arrived.clear()
            await self.arrived.wait()
        data = self.data[:n]
        self.data = self.data[n:]
        return data

    async def read_exactly(self, n):
        """`n` bytes, or EOFError if the other end closed first."""
        data = b''
        while len(data) < n:
            part = await self.read(n - len(data))
            if not part:
                raise EOFError
            data += part
        return data


def frame(opcode, payload):
    """A final, masked client frame (RFC 6455 5.2); the mask is zero, which
    leaves the payload as it is."""
    length = len(payload)
    if length < 126:
        head = bytes((0x80 | opcode, 0x80 | length))
    elif length < 65536:
        head = bytes((0x80 | opcode, 0x80 | 126)) + length.to_bytes(2, 'big')
    else:
        head = bytes((0x80 | opcode, 0x80 | 127)) + length.to_bytes(8, 'big')
    return head + bytes(4) + payload


async def read_message(pipe):
    """The next text (str) or binary (bytes) message the app sends; None
    once it closes."""
    while True:
        first, second = await pipe.read_exactly(2)
        length = second & 0x7F
        if length > 125:
            length = int.from_bytes(
                await pipe.read_exactly(2 if length == 126 else 8), 'big')
        payload = await pipe.read_exactly(length)
        opcode = first & 0x0F
        if opcode == 1:
            return payload.decode()
        if opcode == 2:
            return payload
        if opcode == 8:
            return None


class TestResponse:
    """A parsed response: status_code, reason, headers, body, text, json,
    and the `events` of an event stream."""

    events = None

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
        elif content_type.startswith('text/event-stream'):
            self.events = parse_events(body)

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


def parse_events(body):
    """The events of a text/event-stream body, as dicts of data (bytes),
    data_json (the data read as JSON, or None), event, event_id and retry
    (seconds); comments are left out."""
    events = []
    for block in body.split(b'\n\n'):
        event = {'data': None, 'data_json': None, 'event': None,
                 'event_id': None, 'retry': None}
        data = []
        for line in block.split(b'\n'):
            name, _, value = line.partition(b':')
            if value.startswith(b' '):
                value = value[1:]
            if name == b'data':
                data.append(value)
            elif name == b'event':
                event['event'] = value.decode()
            elif name == b'id':
                event['event_id'] = value.decode()
            elif name == b'retry':
                event['retry'] = int(value) / 1000
        if not data:
            continue  # a comment, or the end
        event['data'] = b'\n'.join(data)
        try:
            event['data_json'] = json.loads(event['data'])
        except ValueError:
            pass
        events.append(event)
    return events


class TestServer(Server):
    """A server that raises what escapes a request (an error while a body
    streams), so that the test sees it."""

    def report(self, exc):
        raise exc


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
        """Sends a request and returns its TestResponse. A dict or list
        `body` is sent as JSON, a str as UTF-8; cookies set are kept."""
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
        server = TestServer(self.app)
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

    async def websocket(self, path, client, headers=None):
        """Talks WebSocket with the route at `path`: `client` is an async
        generator function (a generator on MicroPython) whose every yield
        sends a message (str as text, bytes as binary) and gets the app's
        answer back. Returns the response, whose body is None once the
        connection was upgraded."""
        headers = NoCaseDict(headers or {})
        headers.update({'Host': self.host, 'Upgrade': 'websocket',
                        'Connection': 'Upgrade', 'Sec-WebSocket-Version': '13',
                        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ=='})
        head = 'GET ' + path + ' HTTP/1.1\r\n' + ''.join(
            k + ': ' + v + '\r\n' for k, v in headers.items()) + '\r\n'
        to_app, from_app = Pipe(head.encode()), Pipe()
        server = TestServer(self.app)
        task = asyncio.create_task(server.handle(to_app, from_app))
        try:
            head = b''
            while b'\r\n\r\n' not in head and not from_app.ended:
                head += await from_app.read(1024)
            if not head.startswith(b'HTTP/1.1 101 '):
                await task
                return TestResponse.parse(head + from_app.data)
            from_app.data = head.partition(b'\r\n\r\n')[2] + from_app.data
            messages = client()
            answer = None
            try:
                while True:
                    if hasattr(messages, 'asend'):  # CPython
                        message = await messages.asend(answer)
                    else:
                        message = messages.send(answer)
                    if isinstance(message, str):
                        to_app.write(frame(1, message.encode()))
                    else:
                        to_app.write(frame(2, message))
                    answer = await read_message(from_app)
                    if answer is None:
                        break
            except (StopAsyncIteration, StopIteration, EOFError):
                pass
            to_app.write(frame(8, (1000).to_bytes(2, 'big')))
            to_app.close()
            await task
        finally:
            task.cancel()
        return TestResponse(101, 'Switching Protocols', NoCaseDict(), None)

    async def get(self, path, headers=None):
        """request() with GET."""
        return await self.request('GET', path, headers)

    async def post(self, path, headers=None, body=None):
        """request() with POST."""
        return await self.request('POST', path, headers, body)

    async def put(self, path, headers=None, body=None):
        """request() with PUT."""
        return await self.request('PUT', path, headers, body)

    async def patch(self, path, headers=None, body=None):
        """request() with PATCH."""
        return await self.request('PATCH', path, headers, body)

    async def delete(self, path, headers=None):
        """request() with DELETE."""
        return await self.request('DELETE', path, headers)

    async def query(self, path, headers=None, body=None):
        """request() with QUERY."""
        return await self.request('QUERY', path, headers, body)
