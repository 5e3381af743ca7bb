# Types of microdot/test_client.py.
from collections.abc import AsyncGenerator, Callable, Generator, Mapping
from typing import Any

from microdot import Microdot, NoCaseDict

_Body = str | bytes | dict[Any, Any] | list[Any] | None
# an async generator function (a generator on MicroPython): each message it
# yields goes to the app, whose answer comes back from the yield
_Client = Callable[[], AsyncGenerator[str | bytes, Any] |
                   Generator[str | bytes, Any, Any]]


class TestResponse:
    status_code: int | None  # None when the handler took the connection
    reason: str | None
    headers: NoCaseDict[Any]  # Set-Cookie is a list
    body: bytes | None  # None for HEAD, or when the handler sent nothing
    text: str | None
    json: Any
    # an event stream's events: dicts of data, data_json, event, event_id
    # and retry
    events: list[dict[str, Any]] | None

    def __init__(self, status_code: int | None, reason: str | None,
                 headers: NoCaseDict[Any], body: bytes | None) -> None: ...


class TestClient:
    app: Microdot
    cookies: dict[str, str]
    scheme: str
    host: str

    def __init__(self, app: Microdot,
                 cookies: Mapping[str, str] | None = None,
                 scheme: str | None = None,
                 host: str | None = None) -> None: ...
    async def request(self, method: str, path: str,
                      headers: Mapping[str, str] | None = None,
                      body: _Body = None) -> TestResponse: ...
    async def websocket(self, path: str, client: _Client,
                        headers: Mapping[str, str] | None = None
                        ) -> TestResponse: ...
    async def get(self, path: str,
                  headers: Mapping[str, str] | None = None
                  ) -> TestResponse: ...
    async def post(self, path: str, headers: Mapping[str, str] | None = None,
                   body: _Body = None) -> TestResponse: ...
    async def put(self, path: str, headers: Mapping[str, str] | None = None,
                  body: _Body = None) -> TestResponse: ...
    async def patch(self, path: str,
                    headers: Mapping[str, str] | None = None,
                    body: _Body = None) -> TestResponse: ...
    async def delete(self, path: str,
                     headers: Mapping[str, str] | None = None
                     ) -> TestResponse: ...
    async def query(self, path: str,
                    headers: Mapping[str, str] | None = None,
                    body: _Body = None) -> TestResponse: ...
