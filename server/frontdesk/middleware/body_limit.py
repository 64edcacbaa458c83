"""Refuses request bodies over a limit, whether announced by Content-Length or streamed.

Every route gets 1 MiB. An upload route raises its own allowance with the `uploads(max_files=)`
marker on its endpoint: the limit travels in the ASGI scope and is read when the body is, which
is after routing, so the marker (run by the route before the handler reads anything) decides.
Starlette's own RequestBodyLimitMiddleware nests the same way."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frontdesk.services.attachment_files import MAX_FILE_BYTES, MiB

MAX_BODY = 1024 * 1024
TOO_LARGE = "The request body is over 1 MiB."
LIMIT = "frontdesk.max_body"
# Set by `uploads`: how many files the route takes, for a message that speaks of files.
MAX_FILES = "frontdesk.max_files"

Endpoint = Callable[[Request], Awaitable[Response]]


def allowance(max_files: int) -> int:
    """What an upload route may receive: its files at their largest, plus the form around them."""
    return max_files * MAX_FILE_BYTES + MAX_BODY


def uploads(max_files: int) -> Callable[[Endpoint], Endpoint]:
    """Mark an endpoint as taking up to `max_files` files of up to 10 MB each:
    `Route("/requests", uploads(max_files=5)(portal_requests_create), methods=["POST"])`."""

    def mark(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def marked(request: Request) -> Response:
            request.scope[LIMIT] = allowance(max_files)
            request.scope[MAX_FILES] = max_files
            return await endpoint(request)

        return marked

    return mark


def _too_large(scope: Scope) -> HTTPException:
    max_files = scope.get(MAX_FILES)
    if max_files is None:
        return HTTPException(413, TOO_LARGE)
    return HTTPException(
        413,
        f"These files add up to more than can be sent at once ({scope[LIMIT] // MiB} MB). "
        f"Send up to {max_files} files of up to {MAX_FILE_BYTES // MiB} MB each. "
        "Nothing was saved.",
    )


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope[LIMIT] = self.max_body
        announced = 0
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit():
                announced = int(value)
        received = 0

        async def limited() -> Message:
            nonlocal received
            # Raised where the route reads the body, so the app's error pages answer.
            if announced > scope[LIMIT]:
                raise _too_large(scope)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > scope[LIMIT]:
                    raise _too_large(scope)
            return message

        await self.app(scope, limited, send)
