"""Cross-Origin Resource Sharing: the Access-Control-* headers that let pages
from other origins use the app, as the Fetch standard's CORS protocol asks."""
from microdot import call
from microdot.vary import add_vary


class CORS:
    """Adds CORS headers to the app's responses, error responses included,
    and answers preflight requests: OPTIONS with Access-Control-Request-Method.

    `allowed_origins` is a list of origins ("https://example.com"), or '*' for
    any; without it no origin is allowed. `allowed_methods` and
    `allowed_headers` default to any a preflight asks for."""

    def __init__(self, app=None, allowed_origins=None, allow_credentials=False,
                 allowed_methods=None, expose_headers=None,
                 allowed_headers=None, max_age=None, handle_cors=True):
        if isinstance(allowed_origins, str):
            allowed_origins = [allowed_origins]
        self.allowed_origins = allowed_origins or []
        self.allow_credentials = allow_credentials
        self.allowed_methods = allowed_methods
        self.expose_headers = expose_headers
        self.allowed_headers = allowed_headers
        self.max_age = max_age
        if app is not None:
            self.initialize(app, handle_cors)

    def initialize(self, app, handle_cors=True):
        """Attaches to `app`; with `handle_cors` False the object only holds
        the settings (for CSRF, or for get_cors_headers() called by hand)."""
        if not handle_cors:
            return
        # the app answers OPTIONS itself, without running the request hooks
        self.default_options_handler = app.options_handler
        app.options_handler = self.options_handler
        app.after_request(self.after_request)
        app.after_error_request(self.after_request)

    def allows(self, origin):
        """Whether pages from `origin` may use the app."""
        return origin is not None and ('*' in self.allowed_origins or
                                       origin in self.allowed_origins)

    def get_cors_headers(self, request):
        """The CORS headers for the response to `request`: none for an
        origin that is not allowed; for one that is, the origin echoed (and
        Vary: Origin, as the answer depends on it), as Microdot does."""
        headers = {}
        request_headers = request.headers
        origin = request_headers.get('Origin')
        if origin is not None:
            if not self.allows(origin):
                return headers
            headers['Vary'] = 'Origin'
        elif '*' in self.allowed_origins and not self.allow_credentials:
            origin = '*'  # never with credentials: browsers refuse both
        else:
            return headers
        headers['Access-Control-Allow-Origin'] = origin
        if self.allow_credentials:
            headers['Access-Control-Allow-Credentials'] = 'true'
        method = request_headers.get('Access-Control-Request-Method')
        if request.method == 'OPTIONS' and method:
            if self.allowed_methods is None or method in self.allowed_methods:
                headers['Access-Control-Allow-Methods'] = method
                names = allowed_names(
                    request_headers.get('Access-Control-Request-Headers'),
                    self.allowed_headers)
                if names:
                    headers['Access-Control-Allow-Headers'] = names
            if self.max_age is not None:
                headers['Access-Control-Max-Age'] = str(self.max_age)
        elif self.expose_headers:
            headers['Access-Control-Expose-Headers'] = ', '.join(
                self.expose_headers)
        return headers

    async def options_handler(self, request, allowed):
        """The app's answer to OPTIONS, with the CORS headers: the answer
        to a preflight."""
        response = request.app.make_response(
            await call(self.default_options_handler, request, allowed))
        return self.after_request(request, response)

    def after_request(self, request, response):
        """Adds the CORS headers for `request` to `response` (the hook run
        after every response, error responses included; those to requests
        that could not be parsed have no request, and get no headers)."""
        if request is None:
            return response
        headers = self.get_cors_headers(request)
        vary = headers.pop('Vary', None)
        if vary:
            add_vary(response, [vary])
        response.headers.update(headers)
        return response


def allowed_names(requested, allowed):
    """Of the header names a preflight asks for, those `allowed` (all if it
    is None), as one header value."""
    if not requested:
        return None
    names = [name.strip() for name in requested.split(',') if name.strip()]
    if allowed is not None:
        allowed = [name.lower() for name in allowed]
        names = [name for name in names if name.lower() in allowed]
    return ', '.join(names)
