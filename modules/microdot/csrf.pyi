# Types of microdot/csrf.py.
from collections.abc import Callable
from typing import Any, TypeVar

from microdot import Microdot
from microdot.cors import CORS

_F = TypeVar('_F', bound=Callable[..., Any])


class CSRF:
    SAFE_METHODS: list[str]
    cors: CORS | None
    protect_all: bool
    allow_subdomains: bool

    def __init__(self, app: Microdot | None = None, cors: CORS | None = None,
                 protect_all: bool = True,
                 allow_subdomains: bool = False) -> None: ...
    def initialize(self, app: Microdot, cors: CORS | None = None) -> None: ...
    def exempt(self, f: _F) -> _F: ...
    def protect(self, f: _F) -> _F: ...
