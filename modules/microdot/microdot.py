"""Microdot's own module path (`from microdot.microdot import ...`), for apps
written against it. Not loaded by `import microdot`."""
from microdot import Microdot, Request, Response, HTTPException, abort, \
    redirect, send_file, URLPattern, MultiDict, NoCaseDict  # noqa: F401
from microdot.urlencoded import urlencode, urldecode  # noqa: F401
