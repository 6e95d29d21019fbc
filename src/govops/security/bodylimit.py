"""A limit on the size of every request body, whichever route reads it.

Routes that stream a body (observations, exchange deliveries) check their own limits as
they read; this limit guards the rest, forms and JSON bodies that FastAPI reads whole
before a route runs, so that no request can make the server hold an unbounded body.
The refusal is raised from the body's first read, so it is answered like any other error:
a 413 problem detail for the API, an error page for the pages.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from govops.core.errors import PayloadTooLarge


class BodyTooLarge(PayloadTooLarge, HTTPException):
    """A body over the limit, raised while a route's body is read.

    FastAPI answers any other error raised while it reads a body as a 400 "error parsing
    the body"; an HTTPException it lets through, and our handler of PayloadTooLarge (the
    first in this class's order) answers it as the 413 problem detail it is.
    """

    def __init__(self, detail: str, *, limit: int) -> None:
        PayloadTooLarge.__init__(self, detail, limit=limit)
        self.status_code = self.status
        self.headers = None


class BodySizeLimit:
    """ASGI middleware refusing bodies over ``limit`` bytes, except on paths that
    ``exempt`` names (they enforce limits of their own)."""

    def __init__(self, app: ASGIApp, *, limit: int, exempt: Callable[[str], bool]) -> None:
        self.app = app
        self.limit = limit
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.exempt(scope["path"]):
            await self.app(scope, receive, send)
            return
        await self.app(scope, self._limited(scope, receive), send)

    def _limited(self, scope: Scope, receive: Receive) -> Receive:
        limit, received = self.limit, 0
        declared = _declared_length(scope)

        async def limited_receive() -> Message:
            nonlocal received
            if declared is not None and declared > limit:
                raise BodyTooLarge(
                    f"the body is {declared} bytes; the limit is {limit}", limit=limit
                )
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(f"the body passed the limit of {limit} bytes", limit=limit)
            return message

        return limited_receive


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None
