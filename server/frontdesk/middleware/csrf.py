"""CSRF protection for cookie-authenticated forms: a double-submit token checked on every POST.

The middleware makes sure each browser has a random `fd_csrf` cookie (HttpOnly, SameSite=Strict)
and exposes it to templates as `request.state.csrf`; forms echo it in a hidden field (htmx sends it
as the X-CSRF-Token header). Another site can neither read that cookie nor set it on our origin,
so it cannot produce a matching pair.
"""

from __future__ import annotations

import hmac
import secrets
from http.cookies import SimpleCookie

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "fd_csrf"
FIELD = "csrf_token"
HEADER = "X-CSRF-Token"


class CSRFCookieMiddleware:
    def __init__(self, app: ASGIApp, *, secure: bool, path: str = "/") -> None:
        self.app = app
        self.secure = secure
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        existing = Request(scope).cookies.get(COOKIE, "")
        token = existing if len(existing) == 43 else secrets.token_urlsafe(32)
        scope.setdefault("state", {})["csrf"] = token

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and token != existing:
                cookie: SimpleCookie = SimpleCookie()
                cookie[COOKIE] = token
                cookie[COOKIE]["path"] = self.path
                cookie[COOKIE]["httponly"] = True
                cookie[COOKIE]["samesite"] = "Strict"
                if self.secure:
                    cookie[COOKIE]["secure"] = True
                MutableHeaders(scope=message).append("Set-Cookie", cookie.output(header="").strip())
            await send(message)

        await self.app(scope, receive, send_with_cookie)


async def verify(request: Request) -> None:
    """Refuse (403) an unsafe request whose form field or header does not match the cookie."""
    cookie = request.cookies.get(COOKIE, "")
    sent = request.headers.get(HEADER, "")
    if not sent:
        form = await request.form()
        value = form.get(FIELD, "")
        sent = value if isinstance(value, str) else ""
    if not cookie or not sent or not hmac.compare_digest(cookie, sent):
        raise HTTPException(403, "This form has expired. Reload the page and try again.")
