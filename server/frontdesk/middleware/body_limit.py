"""Refuses request bodies over a limit, whether announced by Content-Length or streamed."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY = 1024 * 1024
TOO_LARGE = "The request body is over 1 MiB."


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.max_body:
                scope["frontdesk.body_too_large"] = True
        received = 0

        async def limited() -> Message:
            nonlocal received
            if scope.get("frontdesk.body_too_large"):
                # Raised where the route reads the body, so the app's error pages answer.
                raise HTTPException(413, TOO_LARGE)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise HTTPException(413, TOO_LARGE)
            return message

        await self.app(scope, limited, send)
