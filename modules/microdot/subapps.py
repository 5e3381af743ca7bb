"""Mounting one application in another, with Microdot.mount(): only apps
made of sub-applications load it."""
from microdot import URLPattern


def mount(app, subapp, url_prefix, local):
    """Adds `subapp`'s routes to `app` under `url_prefix`. A route's tuple
    keeps the subapp that defined it (for request.subapp) and, if it is
    mounted `local`, the subapp whose hooks and error handlers apply to it;
    else those are added to `app`'s own."""
    for methods, pattern, handler, owner, prefix, defined_by in \
            subapp.url_map:
        app.url_map.append((
            methods, URLPattern(url_prefix + pattern.url_pattern), handler,
            owner or (subapp if local else None), url_prefix + prefix,
            defined_by or subapp))
    if not local:
        app.before_request_handlers += subapp.before_request_handlers
        app.after_request_handlers += subapp.after_request_handlers
        app.after_error_request_handlers += \
            subapp.after_error_request_handlers
        for key, handler in subapp.error_handlers.items():
            app.error_handlers.setdefault(key, handler)
