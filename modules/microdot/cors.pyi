# Types of microdot/cors.py.
from microdot import Microdot, Request, Response


class CORS:
    allowed_origins: list[str]
    allow_credentials: bool
    allowed_methods: list[str] | None
    expose_headers: list[str] | None
    allowed_headers: list[str] | None
    max_age: int | None

    def __init__(self, app: Microdot | None = None,
                 allowed_origins: str | list[str] | None = None,
                 allow_credentials: bool = False,
                 allowed_methods: list[str] | None = None,
                 expose_headers: list[str] | None = None,
                 allowed_headers: list[str] | None = None,
                 max_age: int | None = None,
                 handle_cors: bool = True) -> None: ...
    def initialize(self, app: Microdot, handle_cors: bool = True) -> None: ...
    def allows(self, origin: str | None) -> bool: ...
    def get_cors_headers(self, request: Request) -> dict[str, str]: ...
    async def options_handler(self, request: Request,
                              allowed: list[str]) -> Response: ...
    def after_request(self, request: Request,
                      response: Response) -> Response: ...
