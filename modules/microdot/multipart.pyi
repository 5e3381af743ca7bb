# Types of microdot/multipart.py.
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from typing_extensions import Concatenate, ParamSpec, Self

from microdot import Request

_P = ParamSpec('_P')


class _Writable(Protocol):
    # a file, or any object with a write(bytes) method, plain or async
    def write(self, data: bytes, /) -> Any: ...


class FormDataIter:
    buffer_size: int  # bytes read from the body at a time
    request: Request

    def __init__(self, request: Request) -> None: ...
    def __aiter__(self) -> Self: ...
    # (name, value): a str for a field, a FileUpload for a file
    async def __anext__(self) -> tuple[str, str | FileUpload]: ...


class FileUpload:
    max_memory_size: int  # copy() puts longer files in a temporary file
    temp_dir: str  # where those go: '' or a folder name ending in '/'
    filename: str  # as the client sent it: not safe as a path
    content_type: str | None

    def __init__(self, filename: str, content_type: str | None,
                 parts: FormDataIter) -> None: ...
    async def read(self, n: int = -1) -> bytes: ...
    async def save(self, path_or_file: str | _Writable) -> None: ...
    async def copy(self, max_memory_size: int | None = None) -> int: ...
    async def close(self) -> None: ...


def with_form_data(
        f: Callable[Concatenate[Request, _P], Any]
) -> Callable[Concatenate[Request, _P], Coroutine[Any, Any, Any]]: ...
