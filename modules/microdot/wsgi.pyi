# Types of microdot/wsgi.py (CPython only): an app that is also a WSGI
# application. The module holds the core's API too, as Microdot's does.
from collections.abc import Callable, Iterable
from typing import Any

from microdot import HTTPException as HTTPException
from microdot import Microdot as _BaseMicrodot
from microdot import MultiDict as MultiDict
from microdot import NoCaseDict as NoCaseDict
from microdot import Request as Request
from microdot import Response as Response
from microdot import URLPattern as URLPattern
from microdot import abort as abort
from microdot import redirect as redirect
from microdot import send_file as send_file


class Microdot(_BaseMicrodot):
    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]: ...
    def shutdown(self) -> None: ...
