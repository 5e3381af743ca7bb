# Types of microdot/jinja.py (CPython only).
from collections.abc import AsyncIterator, Iterator
from typing import Any

import jinja2


class Template:
    jinja_env: jinja2.Environment | None
    name: str
    template: jinja2.Template

    # other keyword arguments go to jinja2.Environment
    @classmethod
    def initialize(cls, template_dir: str = 'templates',
                   enable_async: bool = False, **kwargs: Any) -> None: ...
    def __init__(self, template_name: str) -> None: ...
    def generate(self, *args: Any, **kwargs: Any) -> Iterator[str]: ...
    def render(self, *args: Any, **kwargs: Any) -> str: ...
    def generate_async(self, *args: Any,
                       **kwargs: Any) -> AsyncIterator[str]: ...
    async def render_async(self, *args: Any, **kwargs: Any) -> str: ...
