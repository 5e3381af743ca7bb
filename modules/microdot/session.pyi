# Types of microdot/session.py.
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, TypeVar, overload

from typing_extensions import Concatenate, ParamSpec

from microdot import Microdot, Request, Response

_P = ParamSpec('_P')
_Response = TypeVar('_Response', bound=Response)


class SessionDict(dict[str, Any]):
    request: Request

    def __init__(self, request: Request,
                 session_dict: Mapping[str, Any]) -> None: ...
    def save(self) -> None: ...
    def delete(self) -> None: ...


class Session:
    cookie_name: str
    secret_key: str | bytes | None
    cookie_options: dict[str, Any]  # arguments of Response.set_cookie()

    def __init__(self, app: Microdot | None = None,
                 secret_key: str | bytes | None = None,
                 cookie_options: Mapping[str, Any] | None = None) -> None: ...
    def initialize(self, app: Microdot | None,
                   secret_key: str | bytes | None = None,
                   cookie_options: Mapping[str, Any] | None = None) -> None:
        ...
    def sign(self, text: str, secret_key: str | bytes | None = None) -> str:
        ...
    def encode(self, payload: Mapping[str, Any],
               secret_key: str | bytes | None = None) -> str: ...
    def decode(self, token: str,
               secret_key: str | bytes | None = None) -> dict[str, Any]: ...
    def get(self, request: Request) -> SessionDict: ...
    def update(self, request: Request, session: Mapping[str, Any]) -> None:
        ...
    @overload
    def delete(self, request: Request, response: None = None) -> None: ...
    @overload
    def delete(self, request: Request, response: _Response) -> _Response: ...


def with_session(
        f: Callable[Concatenate[Request, SessionDict, _P], Any]
) -> Callable[Concatenate[Request, _P], Coroutine[Any, Any, Any]]: ...
