# Types of microdot/sse.py.
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from typing_extensions import Concatenate, ParamSpec

from microdot import Request, Response

_P = ParamSpec('_P')


class SSE:
    ping_interval: float | None  # None: no keep-alive comments

    def __init__(
            self, request: Request,
            event_function: Callable[[Request, SSE], Awaitable[Any]]
    ) -> None: ...
    # data: str, bytes, a dict or list (as JSON), or anything str() takes
    async def send(self, data: object, event: str | None = None,
                   event_id: str | int | None = None,
                   retry: float | None = None,
                   comment: bool = False) -> None: ...


def sse_response(request: Request,
                 event_function: Callable[[Request, SSE], Awaitable[Any]],
                 status_code: int = 200,
                 headers: Mapping[str, Any] | None = None,
                 reason: str | None = None) -> Response: ...


def with_sse(
        f: Callable[Concatenate[Request, SSE, _P], Awaitable[Any]]
) -> Callable[Concatenate[Request, _P], Response]: ...
