"""Error responses: the app's error handlers, or the default bodies in
Microdot's wording. Loaded by the first error (a 404 for favicon.ico, say),
so an app that never fails never loads it."""
import gc

import microdot
from microdot import HTTPException, Response, call, reason

# Microdot's wording for the bodies of its own error responses (apps and
# their tests compare them)
ERROR_BODIES = {400: 'Bad request', 404: 'Not found', 405: 'Not found',
                413: 'Payload too large', 500: 'Internal server error'}


async def handle_error(app, request, exc, apps):
    """The response to `exc`, raised while `app` served `request` (None if
    it could not be parsed); `apps` are the app and the local subapp whose
    handlers and hooks apply."""
    try:
        if isinstance(exc, HTTPException):
            key = exc.status_code
            response = Response(
                exc.reason or ERROR_BODIES.get(key) or reason(key) or
                'Error', key, exc.headers)
            handler = error_handler_for(apps, key)
            if handler:
                response = app.make_response(await call(handler, request))
        else:
            handler = error_handler_for(apps, type(exc))
            if handler:
                response = app.make_response(
                    await call(handler, request, exc))
            elif isinstance(exc, MemoryError):
                # what the request allocated is garbage now; the client
                # may try again in a moment
                gc.collect()
                response = Response('Service Unavailable: out of memory',
                                    503, {'Retry-After': '1'})
            else:
                microdot.print_exception(exc)  # looked up now: a replacement counts
                handler = error_handler_for(apps, 500)
                response = app.make_response(await call(handler, request)) \
                    if handler else Response(ERROR_BODIES[500], 500)
        for each in reversed(apps):  # the innermost first
            for hook in each.after_error_request_handlers:
                response = await call(hook, request, response) or response
        return response
    except Exception as exc:
        microdot.print_exception(exc)  # looked up now: a replacement counts
        return Response(ERROR_BODIES[500], 500)


def no_route(app, request):
    """What app.find_route() does when no route has the request's method:
    raises 404 if no route has its URL, else 405 with the methods the URL
    allows, or for an OPTIONS request returns a route that answers them."""
    allowed = []
    local = None
    for route in app.url_map:
        if route[1].match(request.path) is not None:
            allowed += route[0]
            local = local or route[3]
    if not allowed:
        raise HTTPException(404)
    if 'GET' in allowed:
        allowed.append('HEAD')
    allowed.append('OPTIONS')
    if request.method == 'OPTIONS':
        return ['OPTIONS'], None, app.options_handler, None, allowed, None
    exc = HTTPException(405)
    exc.headers = {'Allow': ', '.join(allowed)}
    exc.local = local
    raise exc


def error_handler_for(apps, key):
    """The handler for a status code, or for the closest base class of an
    exception class; a local sub-application's handlers come first."""
    for each in reversed(apps):
        handlers = each.error_handlers
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
