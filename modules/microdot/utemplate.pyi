# Types of microdot/utemplate.py.
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any


class Template:
    loader: Any  # the utemplate loader, once initialize() has run
    name: str
    # the compiled template: a generator function of the page's pieces
    generate: Callable[..., Iterator[str]]

    # the loader class defaults to utemplate.recompile.Loader
    @staticmethod
    def initialize(template_dir: str = 'templates',
                   loader_class: Any = None) -> Any: ...
    def __init__(self, name: str) -> None: ...
    def render(self, *args: Any, **kwargs: Any) -> str: ...
    def generate_async(self, *args: Any,
                       **kwargs: Any) -> AsyncIterator[str]: ...
    async def render_async(self, *args: Any, **kwargs: Any) -> str: ...
