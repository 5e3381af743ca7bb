# Types of microdot/auth.py.
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from typing_extensions import Concatenate, ParamSpec

from microdot import Request

_F = TypeVar('_F', bound=Callable[..., Any])
_P = ParamSpec('_P')


# compares secrets in a time that depends on their length only
def compare_digest(a: str | bytes, b: str | bytes) -> bool: ...


class BaseAuth:
    header: str  # the request header with the credentials
    scheme: str | None
    error_status: int
    challenge: str | None  # WWW-Authenticate, for a 401

    # the verify callback: f(request, *credentials), plain or async, returns
    # the user or None
    def authenticate(self, f: _F) -> _F: ...
    # f(request), whose response replaces the error for a refused request
    def errorhandler(self, f: _F) -> _F: ...
    def __call__(
            self, f: Callable[Concatenate[Request, _P], Any],
            required: bool = True
    ) -> Callable[Concatenate[Request, _P], Coroutine[Any, Any, Any]]: ...
    def optional(
            self, f: Callable[Concatenate[Request, _P], Any]
    ) -> Callable[Concatenate[Request, _P], Coroutine[Any, Any, Any]]: ...


class BasicAuth(BaseAuth):
    def __init__(self, realm: str = 'Please login', charset: str = 'UTF-8',
                 scheme: str = 'Basic', error_status: int = 401) -> None: ...


class TokenAuth(BaseAuth):
    def __init__(self, header: str = 'Authorization',
                 scheme: str = 'Bearer', error_status: int = 401) -> None: ...
