"""The application: routes, hooks, error handlers, and dispatching a request."""
import asyncio

from microdot.request import HTTPException
from microdot.response import Response, REASONS, call, coroutine_type
from microdot.routing import URLPattern
from microdot.server import Server, print_exception


class Microdot:
    """A web application. Register handlers with the decorators, then call
    run() or await start_server()."""

    max_connections = 8  # served at once; the rest wait or get 503
    keep_alive_timeout = 10  # seconds an idle connection is kept open
    request_timeout = 10  # seconds a stalled read or write may take

    def __init__(self):
        self.url_map = []  # (methods, URLPattern, handler, local subapp, prefix)
        self.before_request_handlers = []
        self.after_request_handlers = []
        self.after_error_request_handlers = []
        self.error_handlers = {}
        self.options_handler = self.default_options_handler
        self.debug = False
        self.server = None

    def route(self, url_pattern, methods=None):
        def decorated(f):
            self.url_map.append((methods or ['GET'], URLPattern(url_pattern),
                                 f, None, ''))
            return f
        return decorated

    def get(self, url_pattern):
        return self.route(url_pattern, ['GET'])

    def post(self, url_pattern):
        return self.route(url_pattern, ['POST'])

    def put(self, url_pattern):
        return self.route(url_pattern, ['PUT'])

    def patch(self, url_pattern):
        return self.route(url_pattern, ['PATCH'])

    def delete(self, url_pattern):
        return self.route(url_pattern, ['DELETE'])

    def before_request(self, f):
        self.before_request_handlers.append(f)
        return f

    def after_request(self, f):
        self.after_request_handlers.append(f)
        return f

    def after_error_request(self, f):
        self.after_error_request_handlers.append(f)
        return f

    def errorhandler(self, status_code_or_exception_class):
        def decorated(f):
            self.error_handlers[status_code_or_exception_class] = f
            return f
        return decorated

    def mount(self, subapp, url_prefix='', local=False):
        """Adds `subapp`'s routes under `url_prefix`. Its hooks and error
        handlers apply to the whole app, or with `local` to its routes only."""
        for methods, pattern, handler, owner, prefix in subapp.url_map:
            self.url_map.append((
                methods, URLPattern(url_prefix + pattern.url_pattern), handler,
                owner or (subapp if local else None), url_prefix + prefix))
        if not local:
            self.before_request_handlers += subapp.before_request_handlers
            self.after_request_handlers += subapp.after_request_handlers
            self.after_error_request_handlers += \
                subapp.after_error_request_handlers
            for key, handler in subapp.error_handlers.items():
                self.error_handlers.setdefault(key, handler)

    @staticmethod
    def abort(status_code, reason=None):
        raise HTTPException(status_code, reason)

    def default_options_handler(self, request, allowed):
        return Response('', 204, {'Allow': ', '.join(allowed)})

    def find_route(self, request):
        """Returns the matching route, or raises 404, or 405 with the methods
        the URL allows (an OPTIONS request gets them as an answer)."""
        method = request.method
        for route in self.url_map:
            methods = route[0]
            if method in methods or (method == 'HEAD' and 'GET' in methods):
                args = route[1].match(request.path)
                if args is not None:
                    request.url_args = args
                    return route
        allowed = []  # no route for this method: which methods has the URL?
        for route in self.url_map:
            if route[1].match(request.path) is not None:
                allowed += route[0]
        if not allowed:
            raise HTTPException(404)
        if 'GET' in allowed:
            allowed.append('HEAD')
        allowed.append('OPTIONS')
        if method == 'OPTIONS':
            return ['OPTIONS'], None, self.options_handler, None, allowed
        exc = HTTPException(405)
        exc.headers = {'Allow': ', '.join(allowed)}
        raise exc

    async def dispatch_request(self, request):
        """Runs the hooks and the handler for `request`; always returns a
        Response, turning errors into error responses."""
        apps = (self,)
        try:
            route = self.find_route(request)
            if route[3]:
                apps = (self, route[3])
                request.subapp = route[3]
            if route[1] is None:  # automatic OPTIONS
                return await call(route[2], request, route[4])
            if route[4]:
                request.url_prefix = route[4]
            request.route = route[2]
            result = None
            for app in apps:
                for hook in app.before_request_handlers:
                    result = await call(hook, request)
                    if result is not None:
                        break
                if result is not None:
                    break
            if result is None:
                # not through call(): a sync handler then costs no coroutine
                result = route[2](request, **request.url_args)
                if type(result) is coroutine_type:
                    result = await result
            response = self.make_response(result)
            if response is Response.already_handled:
                return response  # nothing will be sent: no hook to run
            for app in apps:
                for hook in app.after_request_handlers:
                    response = await call(hook, request, response) or response
            for hook in request.after_request_handlers:
                response = await call(hook, request, response) or response
            return response
        except Exception as exc:
            return await self.handle_error(request, exc, apps)

    async def handle_error(self, request, exc, apps):
        try:
            if isinstance(exc, HTTPException):
                key = exc.status_code
                response = Response(exc.reason or REASONS.get(key, 'Error'),
                                    key, exc.headers)
                handler = self.error_handler_for(apps, key)
                if handler:
                    response = self.make_response(await call(handler, request))
            else:
                handler = self.error_handler_for(apps, type(exc))
                if handler:
                    response = self.make_response(
                        await call(handler, request, exc))
                else:
                    print_exception(exc)
                    handler = self.error_handler_for(apps, 500)
                    response = self.make_response(await call(handler, request)) \
                        if handler else Response('Internal Server Error', 500)
            for app in apps:
                for hook in app.after_error_request_handlers:
                    response = await call(hook, request, response) or response
            return response
        except Exception as exc:
            print_exception(exc)
            return Response('Internal Server Error', 500)

    @staticmethod
    def error_handler_for(apps, key):
        """The handler for a status code, or for the closest base class of an
        exception class; a local sub-application's handlers come first."""
        for app in reversed(apps):
            handlers = app.error_handlers
            if not isinstance(key, type):
                if key in handlers:
                    return handlers[key]
                continue
            best = None
            for cls in handlers:
                if isinstance(cls, type) and issubclass(key, cls) and \
                        (best is None or issubclass(cls, best)):
                    best = cls
            if best is not None:
                return handlers[best]
        return None

    @staticmethod
    def make_response(result):
        """Turns what a handler returned into a Response."""
        if isinstance(result, Response):
            return result
        if isinstance(result, int):
            return Response('', result)
        if isinstance(result, tuple):
            body, rest = result[0], result[1:]
            if isinstance(body, int):  # (status, headers): no body
                body, rest = '', result
            status, headers = 200, None
            for item in rest:
                if isinstance(item, int):
                    status = item
                else:
                    headers = item
            return Response(body, status, headers)
        if result is None:
            raise ValueError('the handler returned None, not a response')
        return Response(result)

    async def start_server(self, host='0.0.0.0', port=5000, debug=False,
                           ssl=None):
        self.debug = debug
        self.server = Server(self, ssl)
        if debug:
            print('Starting async server on {}:{}...'.format(host, port))
        await self.server.serve(host, port)

    def run(self, host='0.0.0.0', port=5000, debug=False, ssl=None):
        try:
            asyncio.run(self.start_server(host, port, debug, ssl))
        except KeyboardInterrupt:
            pass

    def shutdown(self):
        """Stops accepting requests; run() returns once those in progress
        are answered."""
        self.server.close()
