"""Cross-Site Request Forgery protection: requests that change state and that
a browser sends on behalf of another site are refused with 403. Browsers say
where a request comes from in Sec-Fetch-Site; older ones only in Origin."""
from microdot import HTTPException
from microdot.vary import vary_on


class CSRF:
    """Checks the requests of unsafe methods (all but SAFE_METHODS) before
    their handler runs. Origins that the `cors` object allows are trusted.
    Clients that send neither header (not browsers) are let through."""

    SAFE_METHODS = ['GET', 'HEAD', 'OPTIONS']

    def __init__(self, app=None, cors=None, protect_all=True,
                 allow_subdomains=False):
        self.cors = cors
        self.protect_all = protect_all
        self.allow_subdomains = allow_subdomains
        self.exempt_routes = []
        self.protected_routes = []
        if app is not None:
            self.initialize(app)

    def initialize(self, app, cors=None):
        """Attaches to `app`, for a CSRF made without one: check() runs
        before every handler. `cors` replaces the CORS object if given."""
        if cors is not None:
            self.cors = cors
        app.before_request(self.check)

    def exempt(self, f):
        """Decorator, under the route decorator: `f` is never checked."""
        self.exempt_routes.append(f)
        return f

    def protect(self, f):
        """Decorator, under the route decorator: `f` is checked whatever
        its method, and also when protect_all is False."""
        self.protected_routes.append(f)
        return f

    def check(self, request):
        """Refuses the request unless it comes from the app's own pages, was
        started by the user, or comes from an origin that CORS allows."""
        if request.route not in self.protected_routes and (
                not self.protect_all or request.method in self.SAFE_METHODS
                or request.route in self.exempt_routes):
            return
        vary_on(request, 'Sec-Fetch-Site')
        headers = request.headers
        site = headers.get('Sec-Fetch-Site')
        origin = headers.get('Origin')
        if site is not None:
            # none: the user typed the URL or used a bookmark
            trusted = site == 'same-origin' or site == 'none' or \
                site == 'same-site' and self.allow_subdomains
        elif origin is None:
            trusted = True  # not a browser, or an old one on the same site
        else:
            # an older browser: Origin must be where the request was sent
            # (the Host header), or with allow_subdomains a subdomain of it
            prefix = request.scheme + '://'
            host = headers.get('Host', '').lower()
            port = ':443' if prefix == 'https://' else ':80'
            if host.endswith(port):
                host = host[:-len(port)]  # browsers leave it out of Origin
            address = origin.lower()
            origin_host = address[len(prefix):]
            trusted = address.startswith(prefix) and (
                origin_host == host or self.allow_subdomains and
                origin_host.endswith('.' + host))
        if not trusted and not self.cors_allows(origin):
            raise HTTPException(403, 'Forbidden: cross-site request')

    def cors_allows(self, origin):
        """Whether the `cors` object allows `origin`, or with
        allow_subdomains an origin it is a subdomain of (same scheme and
        port)."""
        if self.cors is None or origin is None:
            return False
        if self.cors.allows(origin):
            return True
        if not self.allow_subdomains:
            return False
        scheme, _, host = origin.lower().partition('://')
        for allowed in self.cors.allowed_origins:
            allowed_scheme, _, allowed_host = allowed.lower().partition('://')
            if scheme == allowed_scheme and \
                    host.endswith('.' + allowed_host):
                return True
        return False
