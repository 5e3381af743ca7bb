# Types of microdot/login.py.
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from typing_extensions import Concatenate, ParamSpec

from microdot import Request, Response

_F = TypeVar('_F', bound=Callable[..., Any])
_P = ParamSpec('_P')


class Login:
    remember_cookie: str
    login_url: str

    def __init__(self, login_url: str = '/login') -> None: ...
    # f(user_id), plain or async, returns the user or None
    def user_loader(self, f: _F) -> _F: ...
    # `user` has an `id`; `remember` is True (30 days) or a number of days
    async def login_user(self, request: Request, user: Any,
                         remember: bool | int = False,
                         redirect_url: str = '/') -> Response: ...
    async def logout_user(self, request: Request) -> None: ...
    async def get_current_user(self, request: Request) -> Any: ...
    def __call__(
            self, f: Callable[Concatenate[Request, _P], Any],
            fresh: bool = False
    ) -> Callable[Concatenate[Request, _P], Coroutine[Any, Any, Any]]: ...
    def fresh(
            self, f: Callable[Concatenate[Request, _P], Any]
    ) -> Callable[Concatenate[Request, _P], Coroutine[Any, Any, Any]]: ...
