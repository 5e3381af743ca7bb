"""HTTP authentication for routes: Basic (RFC 7617) and bearer tokens
(RFC 6750). The app registers a verify callback with `authenticate`, then
decorates routes with the auth object; the user the callback returns is
`request.g.current_user` while the route runs."""
import binascii

from microdot.request import HTTPException
from microdot.response import call


def compare_digest(a, b):
    """Compares two secrets (str or bytes) in a time that depends only on
    their length, so that a client cannot guess one byte at a time."""
    if isinstance(a, str):
        a = a.encode()
    if isinstance(b, str):
        b = b.encode()
    same_length = len(a) == len(b)
    if not same_length:
        b = a  # still loop over `a`, so the time does not tell the length
    difference = 0
    for x, y in zip(a, b):
        difference |= x ^ y
    return same_length and difference == 0


class BaseAuth:
    """What both schemes share. A subclass defines credentials(request):
    the verify callback's arguments from the headers, or None if they are
    missing or malformed; and challenge(): the WWW-Authenticate value of a
    401, or None."""

    def __init__(self, error_status=401):
        self.error_status = error_status
        self.auth_callback = None
        self.error_callback = None

    def authenticate(self, f):
        """Registers the verify callback: it gets the request and the
        credentials, and returns the user, or None if they are not valid."""
        self.auth_callback = f
        return f

    def error_handler(self, f):
        """Registers `f(request)`, whose response replaces the default error
        when a protected route is refused."""
        self.error_callback = f
        return f

    async def current_user(self, request):
        if self.auth_callback is None:
            raise ValueError('no callback registered with authenticate()')
        args = self.credentials(request)
        if args is None:
            return None
        return await call(self.auth_callback, request, *args)

    async def refuse(self, request):
        if self.error_callback:
            return await call(self.error_callback, request)
        exc = HTTPException(self.error_status)
        challenge = self.challenge()
        if challenge and self.error_status == 401:
            exc.headers = {'WWW-Authenticate': challenge}
        raise exc

    def protect(self, f, required):
        async def wrapper(request, *args, **kwargs):
            user = await self.current_user(request)
            if user is None and required:
                return await self.refuse(request)
            request.g.current_user = user
            return await call(f, request, *args, **kwargs)
        return wrapper

    def __call__(self, f):
        """Decorates a route that needs valid credentials."""
        return self.protect(f, True)

    def optional(self, f):
        """Decorates a route that also runs without valid credentials, with
        `request.g.current_user` None."""
        return self.protect(f, False)


def split_scheme(value, scheme):
    """The part after "<scheme> " in an Authorization value (the scheme is
    case-insensitive), or None."""
    name, _, rest = value.strip().partition(' ')
    if name.lower() != scheme.lower():
        return None
    return rest.strip() or None


class BasicAuth(BaseAuth):
    """Username and password, sent by browsers after they prompt for them.
    The verify callback is `f(request, username, password)`."""

    def __init__(self, realm='Please login', charset='UTF-8', scheme='Basic',
                 error_status=401):
        super().__init__(error_status)
        self.realm = realm
        self.charset = charset
        self.scheme = scheme

    def challenge(self):
        return '{} realm="{}", charset="{}"'.format(
            self.scheme, self.realm.replace('\\', '\\\\').replace('"', '\\"'),
            self.charset)

    def credentials(self, request):
        encoded = split_scheme(request.headers.get('Authorization', ''),
                               self.scheme)
        if encoded is None:
            return None
        try:
            decoded = binascii.a2b_base64(encoded).decode()
        except ValueError:  # bad base64 or UTF-8 (UnicodeError is one too)
            return None
        username, colon, password = decoded.partition(':')
        if not colon:
            return None
        return username, password


class TokenAuth(BaseAuth):
    """A token in the Authorization header as "<scheme> <token>", or the
    whole value of another `header` (e.g. 'X-API-Key'). The verify
    callback is `f(request, token)`."""

    def __init__(self, header='Authorization', scheme='Bearer',
                 error_status=401):
        super().__init__(error_status)
        self.header = header
        self.scheme = scheme

    def challenge(self):
        return self.scheme if self.header.lower() == 'authorization' else None

    def credentials(self, request):
        value = request.headers.get(self.header)
        if value is None:
            return None
        if self.header.lower() == 'authorization':
            token = split_scheme(value, self.scheme)
        else:
            token = value.strip()
        return (token,) if token else None
