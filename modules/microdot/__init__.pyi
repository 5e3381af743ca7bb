# Types of the core's public API (microdot/__init__.py), for type checkers
# and editors: the device never sees this file. Checked against the code by
# tests/test_stubs.py (mypy's stubtest and a typed app).
import asyncio
import re
import ssl
from collections.abc import AsyncIterable, Callable, Iterable, Mapping
from typing import Any, ClassVar, NoReturn, Protocol, TypeVar, overload

from typing_extensions import Self, TypeAlias

from microdot.headers import NoCaseDict as NoCaseDict
from microdot.multipart import FileUpload
from microdot.urlencoded import MultiDict as MultiDict

__version__: str

__all__ = ('Microdot', 'Request', 'Response', 'HTTPException', 'abort',
           'redirect', 'send_file', 'URLPattern', 'MultiDict', 'NoCaseDict')

_F = TypeVar('_F', bound=Callable[..., Any])
_BeforeHook = TypeVar('_BeforeHook', bound=Callable[[Request], Any])
_AfterHook = TypeVar('_AfterHook', bound=Callable[[Request, Response], Any])
# the request is None for one that could not be parsed (a 400, a 413, ...)
_ErrorHook = TypeVar('_ErrorHook',
                     bound=Callable[[Request | None, Response], Any])
_StatusHandler = TypeVar('_StatusHandler',
                         bound=Callable[[Request | None], Any])
_ExceptionHandler = TypeVar('_ExceptionHandler',
                            bound=Callable[[Request, Any], Any])


class _Readable(Protocol):
    # a file, or any object whose read(size), plain or async, gives the
    # body in pieces
    def read(self, size: int, /) -> Any: ...


# what a Response may carry: JSON for a dict or list, a stream for the rest
_Body: TypeAlias = (str | bytes | bytearray | memoryview | dict[Any, Any] |
                    list[Any] | _Readable | Iterable[str | bytes] |
                    AsyncIterable[str | bytes] | None)


class _BodyStream:
    # request.stream: the body as the handler reads it (microdot/body.py)
    async def read(self, n: int = -1) -> bytes: ...
    async def readexactly(self, n: int) -> bytes: ...
    async def readline(self) -> bytes: ...


class HTTPException(Exception):
    status_code: int
    reason: str | None
    headers: dict[str, str] | None  # added to the error response

    def __init__(self, status_code: int, reason: str | None = None) -> None:
        ...


def abort(status_code: int, reason: str | None = None) -> NoReturn: ...


class Request:
    max_content_length: int
    max_body_length: int
    max_readline: int

    app: Microdot
    client_addr: tuple[Any, ...] | None  # (host, port), if the server says
    method: str
    url: str
    path: str
    http_version: str
    query_string: str | None  # None when the URL has no '?'
    scheme: str
    url_prefix: str
    subapp: Microdot | None
    route: Callable[..., Any] | None
    url_args: dict[str, Any] | None
    keep_alive: bool  # whether the client allows another request
    headers: NoCaseDict[str]
    body: bytes
    stream: _BodyStream
    content_length: int
    content_type: str | None
    args: MultiDict[str]
    cookies: dict[str, str]
    json: Any
    form: MultiDict[str] | None  # None unless the body is a form
    files: MultiDict[FileUpload] | None  # set by multipart.with_form_data
    g: Any  # a blank object for the handlers of one request to share data
    sock: tuple[Any, Any] | None  # the connection's (reader, writer)
    # set by the adapters only: microdot.asgi, microdot.wsgi
    asgi_scope: dict[str, Any]
    environ: dict[str, Any]

    def __init__(self, app: Microdot, client_addr: tuple[Any, ...] | None,
                 method: str, url: str, http_version: str,
                 headers: NoCaseDict[str] | None, body: bytes | None = None,
                 stream: Any = None, sock: Any = None,
                 conn: Any = None) -> None: ...
    @classmethod
    async def create(cls, app: Microdot, reader: Any, writer: Any,
                     client_addr: tuple[Any, ...] | None) -> Self: ...
    def after_request(self, f: _AfterHook) -> _AfterHook: ...


class Response:
    types_map: dict[str, str]
    default_content_type: str
    default_send_file_max_age: int | None
    send_file_buffer_size: int
    # what a handler returns when it has answered on the connection itself
    already_handled: ClassVar[Response]
    is_head: bool

    status_code: int
    reason: str | None
    headers: dict[str, Any]  # a list value sends the header once per item
    body: Any

    def __init__(self, body: _Body = '', status_code: int = 200,
                 headers: Mapping[str, Any] | None = None,
                 reason: str | None = None) -> None: ...
    def header_name(self, name: str) -> str | None: ...
    def set_cookie(self, cookie: str, value: str, path: str | None = None,
                   domain: str | None = None, expires: Any = None,
                   max_age: int | None = None, secure: bool = False,
                   http_only: bool = False,
                   partitioned: bool = False) -> None: ...
    def delete_cookie(self, cookie: str, *, path: str | None = None,
                      domain: str | None = None, secure: bool = False,
                      http_only: bool = False,
                      partitioned: bool = False) -> None: ...
    def complete(self) -> None: ...
    async def write(self, conn: Any, req: Request | None = None,
                    keep_alive: bool = False,
                    timeout: int | None = None) -> bool: ...
    @classmethod
    def redirect(cls, location: str, status_code: int = 302) -> Self: ...
    @staticmethod
    def send_file(filename: str, status_code: int = 200,
                  content_type: str | None = None, stream: Any = None,
                  max_age: int | None = None, compressed: bool | str = False,
                  file_extension: str = '') -> Response: ...


def redirect(location: str, status_code: int = 302) -> Response: ...


def send_file(filename: str, status_code: int = 200,
              content_type: str | None = None, stream: Any = None,
              max_age: int | None = None, compressed: bool | str = False,
              file_extension: str = '') -> Response: ...


class URLPattern:
    url_pattern: str

    @classmethod
    def register_type(cls, type_name: str, pattern: str = '[^/]+',
                      parser: Callable[[str], Any] | None = None) -> None: ...
    def __init__(self, url_pattern: str) -> None: ...
    def compile(self) -> re.Pattern[str] | None: ...
    def match(self, path: str) -> dict[str, Any] | None: ...


class Microdot:
    max_connections: int
    max_streams: int
    keep_alive_timeout: float
    request_timeout: float
    debug: bool

    def __init__(self) -> None: ...
    def route(self, url_pattern: str,
              methods: list[str] | None = None) -> Callable[[_F], _F]: ...
    def get(self, url_pattern: str) -> Callable[[_F], _F]: ...
    def post(self, url_pattern: str) -> Callable[[_F], _F]: ...
    def put(self, url_pattern: str) -> Callable[[_F], _F]: ...
    def patch(self, url_pattern: str) -> Callable[[_F], _F]: ...
    def delete(self, url_pattern: str) -> Callable[[_F], _F]: ...
    def query(self, url_pattern: str) -> Callable[[_F], _F]: ...
    def before_request(self, f: _BeforeHook) -> _BeforeHook: ...
    def after_request(self, f: _AfterHook) -> _AfterHook: ...
    def after_error_request(self, f: _ErrorHook) -> _ErrorHook: ...
    # a handler of a status code gets the request, one of an exception
    # class the request and the exception
    @overload
    def errorhandler(
            self, status_code_or_exception_class: int
    ) -> Callable[[_StatusHandler], _StatusHandler]: ...
    @overload
    def errorhandler(
            self, status_code_or_exception_class: type[BaseException]
    ) -> Callable[[_ExceptionHandler], _ExceptionHandler]: ...
    def mount(self, subapp: Microdot, url_prefix: str = '',
              local: bool = False) -> None: ...
    @staticmethod
    def abort(status_code: int, reason: str | None = None) -> NoReturn: ...
    def default_options_handler(self, request: Request,
                                allowed: list[str]) -> Response: ...
    # with start_serving False (CPython) it returns the asyncio server
    async def start_server(self, host: str = '0.0.0.0', port: int = 5000,
                           debug: bool = False,
                           ssl: ssl.SSLContext | None = None,
                           start_serving: bool = True
                           ) -> asyncio.Server | None: ...
    def run(self, host: str = '0.0.0.0', port: int = 5000,
            debug: bool = False, ssl: ssl.SSLContext | None = None) -> None:
        ...
    def shutdown(self) -> None: ...
