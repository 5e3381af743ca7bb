"""User sessions kept in a signed cookie: the session dict travels as a JSON
Web Token (RFC 7519) signed with HS256, HMAC-SHA256 over the app's secret
key. The client can read the session but not change it."""
import binascii
import hashlib
import json
import time

from microdot.auth import compare_digest
from microdot import call
from microdot.vary import vary_on

# JWT times count from 1970; ports whose clock counts from 2000 add this
EPOCH_OFFSET = 946684800 if time.gmtime(0)[0] == 2000 else 0
# {"alg":"HS256","typ":"JWT"}, base64url-encoded: the header of every token
HEADER = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9'


def now():
    return int(time.time()) + EPOCH_OFFSET


def hmac_sha256(key, message):
    """HMAC (RFC 2104) with SHA-256, whose blocks are 64 bytes; MicroPython
    has hashlib but no hmac module."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key + bytes(64 - len(key))
    # the inner hash over the message, then the outer one over that
    for pad in (0x36, 0x5c):
        message = hashlib.sha256(bytes(byte ^ pad for byte in key) +
                                 message).digest()
    return message


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
        """Sends the session in the cookie of its request's response."""
        self.request.app._session.update(self.request, self)

    def delete(self):
        """Empties the session and deletes its cookie."""
        self.clear()
        self.save()  # an empty session is sent as a deleted cookie


class Session:
    """Signed-cookie sessions for `app`. `cookie_options` are arguments of
    Response.set_cookie() for the session cookie (default: path '/',
    HttpOnly)."""

    cookie_name = 'session'
    secret_key = None

    def __init__(self, app=None, secret_key=None, cookie_options=None):
        self.cookie_options = {'path': '/', 'http_only': True}
        self.initialize(app, secret_key, cookie_options)

    def initialize(self, app, secret_key=None, cookie_options=None):
        """Sets the session up on `app`, for a Session made without one."""
        if secret_key:
            self.secret_key = secret_key
        if cookie_options:
            self.cookie_options.update(cookie_options)
        if app:
            app._session = self  # where with_session() and Login find it

    def sign(self, text, secret_key=None):
        """The HS256 signature of `text`, base64url-encoded, with
        `secret_key` or else the session's. Login derives the remember
        cookie's key with it."""
        key = secret_key or self.secret_key
        if not key:  # an empty key would let anyone sign sessions
            raise ValueError('no secret key')
        if isinstance(key, str):
            key = key.encode()
        return b64url_encode(hmac_sha256(key, text.encode()))

    def encode(self, payload, secret_key=None):
        """`payload` (a dict) as a signed JWT."""
        signed = HEADER + '.' + b64url_encode(
            json.dumps(payload, separators=(',', ':')).encode())
        return signed + '.' + self.sign(signed, secret_key)

    def decode(self, token, secret_key=None):
        """The payload of a JWT made by encode(), or {} if the token is
        malformed, not signed with the key, not HS256, or expired."""
        signed, _, signature = token.rpartition('.')
        if not compare_digest(self.sign(signed, secret_key), signature):
            return {}
        header, _, payload = signed.partition('.')
        # only we can have signed it, but still refuse what we do not make;
        # bad base64 or JSON, a header or payload that is not a JSON object
        # and an "exp" that is not a number all raise
        try:
            header = json.loads(b64url_decode(header))
            payload = json.loads(b64url_decode(payload))
            if header['alg'] == 'HS256' and isinstance(payload, dict) and \
                    ('exp' not in payload or payload['exp'] > now()):
                return payload
        except Exception:
            pass
        return {}

    def get(self, request):
        """The request's session, a SessionDict; empty when the cookie is
        missing or not valid. Raises ValueError without a secret key."""
        if not self.secret_key:
            raise ValueError('no secret key')
        vary_on(request, 'Cookie')
        session = getattr(request.g, '_session', None)
        if session is None:
            session = SessionDict(request, self.decode(
                request.cookies.get(self.cookie_name, '')))
            request.g._session = session
        return session

    def update(self, request, session):
        """Sends `session` in the cookie of this request's response; an
        empty session deletes the cookie. Raises ValueError without a secret
        key."""
        if not self.secret_key:
            raise ValueError('no secret key')
        if not isinstance(session, SessionDict):
            session = SessionDict(request, session)
        request.g._session = session
        # one hook per request, writing the last state the handler left
        if not getattr(request.g, '_session_saved', False):
            request.g._session_saved = True
            request.after_request(self.write_cookie)

    def delete(self, request, response=None):
        """Removes the session cookie from this request's response, which
        is `response` if the handler returns it."""
        self.update(request, {})
        return response

    def write_cookie(self, request, response):
        """The after-request hook of update(): sets the session cookie, or
        deletes it for an empty session."""
        session = request.g._session
        if session:
            response.set_cookie(self.cookie_name, self.encode(session),
                                **self.cookie_options)
        else:
            response.delete_cookie(self.cookie_name, **self.cookie_options)
        return response


def with_session(f):
    """Decorates a route whose handler takes the session as its second
    argument: `handler(request, session, **url_args)`."""
    async def wrapper(request, *args, **kwargs):
        session = request.app._session.get(request)
        return await call(f, request, session, *args, **kwargs)
    return wrapper
