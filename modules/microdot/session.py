"""User sessions kept in a signed cookie: the session dict travels as a JSON
Web Token (RFC 7519) signed with HS256, HMAC-SHA256 over the app's secret
key. The client can read the session but not change it."""
import binascii
import hashlib
import json
import time

from microdot.auth import compare_digest
from microdot.response import call

# JWT times count from 1970; ports whose clock counts from 2000 add this
EPOCH_OFFSET = 946684800 if time.gmtime(0)[0] == 2000 else 0
HEADER = '{"alg":"HS256","typ":"JWT"}'


def now():
    return int(time.time()) + EPOCH_OFFSET


def hmac_sha256(key, message):
    """HMAC (RFC 2104) with SHA-256, whose blocks are 64 bytes; MicroPython
    has hashlib but no hmac module."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key + bytes(64 - len(key))
    inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in key))
    inner.update(message)
    outer = hashlib.sha256(bytes(byte ^ 0x5c for byte in key))
    outer.update(inner.digest())
    return outer.digest()


def b64url_encode(data):
    text = binascii.b2a_base64(data).decode().rstrip('\n=')
    return text.replace('+', '-').replace('/', '_')


def b64url_decode(text):
    text = text.replace('-', '+').replace('_', '/')
    return binascii.a2b_base64(text + '=' * (-len(text) % 4))


class SessionDict(dict):
    """The session: a dict, plus save() and delete() for the response of the
    request it belongs to."""

    def __init__(self, request, session_dict):
        super().__init__(session_dict)
        self.request = request

    def save(self):
        Session.of(self.request).update(self.request, self)

    def delete(self):
        Session.of(self.request).delete(self.request)


class Session:
    """Signed-cookie sessions for `app`. `cookie_options` are arguments of
    Response.set_cookie() for the session cookie (default: path '/',
    HttpOnly)."""

    cookie_name = 'session'

    def __init__(self, app=None, secret_key=None, cookie_options=None):
        self.secret_key = None
        self.cookie_options = {'path': '/', 'http_only': True}
        self.initialize(app, secret_key, cookie_options)

    def initialize(self, app, secret_key=None, cookie_options=None):
        """Sets the session up on `app`, for a Session made without one."""
        if secret_key is not None:
            self.secret_key = secret_key
        if cookie_options:
            self.cookie_options.update(cookie_options)
        if app is not None:
            app._session = self

    @staticmethod
    def of(request):
        """The Session set up on the request's app (or sub-application)."""
        for app in (request.app, request.subapp):
            session = getattr(app, '_session', None)
            if session is not None:
                return session
        raise ValueError('no Session was set up for this app')

    def key(self, secret_key=None):
        key = secret_key or self.secret_key
        if not key:
            raise ValueError('the session has no secret key')
        return key.encode() if isinstance(key, str) else key

    def encode(self, payload, secret_key=None):
        """`payload` (a dict) as a signed JWT."""
        signed = b64url_encode(HEADER.encode()) + '.' + b64url_encode(
            json.dumps(payload, separators=(',', ':')).encode())
        return signed + '.' + b64url_encode(
            hmac_sha256(self.key(secret_key), signed.encode()))

    def decode(self, token, secret_key=None):
        """The payload of a JWT made by encode(), or {} if the token is
        malformed, not signed with the key, not HS256, or expired."""
        key = self.key(secret_key)
        parts = token.split('.')
        if len(parts) != 3:
            return {}
        signed = parts[0] + '.' + parts[1]
        expected = b64url_encode(hmac_sha256(key, signed.encode()))
        if not compare_digest(expected, parts[2]):
            return {}
        # only we can have signed it, but still refuse what we do not make
        try:
            header = json.loads(b64url_decode(parts[0]))
            payload = json.loads(b64url_decode(parts[1]))
        except ValueError:
            return {}
        if not isinstance(header, dict) or header.get('alg') != 'HS256' or \
                not isinstance(payload, dict):
            return {}
        if 'exp' in payload:
            expires = payload['exp']
            if not isinstance(expires, (int, float)) or expires <= now():
                return {}
        return payload

    def get(self, request):
        """The request's session, a SessionDict; empty when the cookie is
        missing or not valid."""
        session = getattr(request.g, '_session', None)
        if session is None:
            session = SessionDict(request, self.decode(
                request.cookies.get(self.cookie_name, '')))
            request.g._session = session
        return session

    def update(self, request, session):
        """Sends `session` in the cookie of this request's response."""
        if not isinstance(session, SessionDict):
            session = SessionDict(request, session)
        request.g._session = session
        self.write_later(request, True)

    def delete(self, request, response=None):
        """Removes the session cookie, from `response` if given, else from
        this request's response."""
        request.g._session = SessionDict(request, {})
        if response is None:
            self.write_later(request, False)
            return None
        response.delete_cookie(self.cookie_name, **self.cookie_options)
        return response

    def write_later(self, request, keep):
        # one hook per request, writing the last state the handler left
        if getattr(request.g, '_session_keep', None) is None:
            request.after_request(self.write_cookie)
        request.g._session_keep = keep

    def write_cookie(self, request, response):
        if request.g._session_keep:
            response.set_cookie(self.cookie_name,
                                self.encode(request.g._session),
                                **self.cookie_options)
        else:
            response.delete_cookie(self.cookie_name, **self.cookie_options)
        return response


def with_session(f):
    """Decorates a route whose handler takes the session as its second
    argument: `handler(request, session, **url_args)`."""
    async def wrapper(request, *args, **kwargs):
        session = Session.of(request).get(request)
        return await call(f, request, session, *args, **kwargs)
    return wrapper
