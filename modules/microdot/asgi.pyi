# Types of microdot/asgi.py (CPython only): an app that is also an ASGI
# application. The module holds the core's API too, as Microdot's does.
from collections.abc import Awaitable, Callable
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
from microdot.websocket import WebSocket as WebSocket
from microdot.websocket import WebSocketError as WebSocketError
from microdot.websocket import websocket_upgrade as websocket_upgrade
from microdot.websocket import with_websocket as with_websocket

_Scope = dict[str, Any]
_Lifespan = Callable[[_Scope], Any]


class Microdot(_BaseMicrodot):
    # called with the scope as the server starts and stops
    lifespan_startup: _Lifespan | None
    lifespan_shutdown: _Lifespan | None

    def __init__(self, lifespan_startup: _Lifespan | None = None,
                 lifespan_shutdown: _Lifespan | None = None) -> None: ...
    def shutdown(self) -> None: ...
    async def __call__(
            self, scope: _Scope,
            receive: Callable[[], Awaitable[dict[str, Any]]],
            send: Callable[[dict[str, Any]], Awaitable[None]]) -> None: ...
