# Types of microdot/websocket.py.
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from typing_extensions import Concatenate, ParamSpec

from microdot import Request, Response

_P = ParamSpec('_P')


class WebSocketError(Exception):
    """The connection is closed; args[0] is the close code."""


class WebSocket:
    CONT: int
    TEXT: int
    BINARY: int
    CLOSE: int
    PING: int
    PONG: int
    # the largest message receive() accepts; -1: Request.max_body_length
    max_message_length: int

    request: Request
    closed: int | None  # the close code, once closed

    def __init__(self, request: Request) -> None: ...
    async def handshake(self) -> None: ...
    async def receive(self) -> str | bytes: ...
    async def send(self, data: str | bytes,
                   opcode: int | None = None) -> None: ...
    async def close(self, code: int = 1000) -> None: ...


async def websocket_upgrade(request: Request) -> WebSocket: ...


def with_websocket(
        f: Callable[Concatenate[Request, WebSocket, _P], Awaitable[Any]]
) -> Callable[Concatenate[Request, _P], Coroutine[Any, Any, Response]]: ...
