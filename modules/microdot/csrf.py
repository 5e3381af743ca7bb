"""Cross-Site Request Forgery protection: requests that change state and that
a browser sends on behalf of another site are refused with 403. Browsers say
where a request comes from in Sec-Fetch-Site; older ones only in Origin."""
from microdot.request import HTTPException


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
        if request.route not in self.protected_routes and (
                not self.protect_all or request.method in self.SAFE_METHODS
                or request.route in self.exempt_routes):
            return
        if not self.trusted(request):
            raise HTTPException(403, 'Forbidden: cross-site request')

    def trusted(self, request):
        """Whether `request` comes from the app's own pages, was started by
        the user, or comes from an origin that the CORS object allows."""
        site = request.headers.get('Sec-Fetch-Site')
        origin = request.headers.get('Origin')
        if site is None:  # an older browser, or no browser without Origin
            if origin is None or self.own_site(request, origin):
                return True
        elif site == 'same-origin' or site == 'none':
            return True  # none: the user typed the URL or used a bookmark
        elif site == 'same-site' and self.allow_subdomains:
            return True
        return self.cors is not None and self.cors.allows(origin)

    def own_site(self, request, origin):
        """Whether `origin` is the one the request was sent to (the Host
        header), or with allow_subdomains one of its subdomains."""
        host = request.headers.get('Host')
        prefix = request.scheme + '://'
        origin = origin.lower()
        if host is None or not origin.startswith(prefix):
            return False
        host = host.lower()
        default_port = ':443' if request.scheme == 'https' else ':80'
        if host.endswith(default_port):
            host = host[:-len(default_port)]  # browsers leave it out of Origin
        origin = origin[len(prefix):]
        return origin == host or (self.allow_subdomains and
                                  origin.endswith('.' + host))
