"""HTTP authentication for routes: Basic (RFC 7617) and bearer tokens
(RFC 6750). The app registers a verify callback with `authenticate`, then
decorates routes with the auth object; the user the callback returns is
`request.g.current_user` while the route runs."""
import binascii

from microdot import HTTPException, call


def compare_digest(a, b):
    """Compares two secrets (str or bytes) in a time that depends only on
    their length, so that a client cannot guess one byte at a time."""
    if isinstance(a, str):
        a = a.encode()
    if isinstance(b, str):
        b = b.encode()
    difference = len(a) != len(b)  # a first difference, if the lengths are
    if difference:
        b = a  # still loop over `a`, so the time does not tell the length
    for x, y in zip(a, b):
        difference |= x ^ y
    return not difference


class BaseAuth:
    """What both schemes share. A subclass sets `scheme`, `error_status`
    and `challenge`: the credentials come from `header`, after "<scheme> "
    when there is a scheme; a refused request gets `error_status`, and
    `challenge` as WWW-Authenticate if that is 401."""

    header = 'Authorization'
    auth_callback = None
    error_callback = None

    def authenticate(self, f):
        """Registers the verify callback: it gets the request and the
        credentials, and returns the user, or None if they are not valid."""
        self.auth_callback = f
        return f

    def errorhandler(self, f):
        """Registers `f(request)`, whose response replaces the default error
        when a protected route is refused."""
        self.error_callback = f
        return f

    def credentials(self, token):
        """The verify callback's arguments after the request, or None if
        `token` is malformed."""
        return (token,)

    def __call__(self, f, required=True):
        """Decorates a route that needs valid credentials."""
        async def wrapper(request, *args, **kwargs):
            # header values come without the whitespace around them
            token = request.headers.get(self.header, '')
            if self.scheme:
                scheme, _, token = token.partition(' ')
                if scheme.lower() != self.scheme.lower():
                    token = ''
            token = token.strip()
            credentials = token and self.credentials(token)
            user = None
            if credentials:
                user = await call(self.auth_callback, request, *credentials)
            if user is None and required:
                if self.error_callback:
                    return await call(self.error_callback, request)
                exc = HTTPException(self.error_status)
                if self.challenge and self.error_status == 401:
                    exc.headers = {'WWW-Authenticate': self.challenge}
                raise exc
            request.g.current_user = user
            return await call(f, request, *args, **kwargs)
        return wrapper

    def optional(self, f):
        """Decorates a route that also runs without valid credentials, with
        `request.g.current_user` None."""
        return self(f, False)


class BasicAuth(BaseAuth):
    """Username and password, sent by browsers after they prompt for them.
    The verify callback is `f(request, username, password)`."""

    def __init__(self, realm='Please login', charset='UTF-8', scheme='Basic',
                 error_status=401):
        self.scheme = scheme
        self.error_status = error_status
        realm = realm.replace('\\', '\\\\').replace('"', '\\"')
        self.challenge = '%s realm="%s", charset="%s"' % (scheme, realm,
                                                          charset)

    def credentials(self, token):
        """(username, password) from the base64 token, or None if it is
        malformed."""
        try:
            decoded = binascii.a2b_base64(token).decode()
        except ValueError:  # bad base64 or UTF-8 (UnicodeError is one too)
            return None
        username, colon, password = decoded.partition(':')
        if colon:  # else None: no username and password
            return username, password


class TokenAuth(BaseAuth):
    """A token in the Authorization header as "<scheme> <token>", or the
    whole value of another `header` (e.g. 'X-API-Key'). The verify
    callback is `f(request, token)`."""

    def __init__(self, header='Authorization', scheme='Bearer',
                 error_status=401):
        if header.lower() != 'authorization':
            scheme = None  # the whole value is the token, and no challenge
        self.header = header
        self.scheme = scheme
        self.error_status = error_status
        self.challenge = scheme
