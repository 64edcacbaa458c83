"""CORS for the portal's fragment routes, answered per business from its allow-list.

It wraps the portal's mount (/portal/{key}), so the publishable key is a path parameter.
Preflights carry no token, so the business comes from that key, through the app's business cache
(business_cache.py); the business it found is left in the scope for the handler, which then does
not look it up again. Credentials are never allowed: the portal authenticates with a header.
The theme stylesheet, the logo and the origin check hold nothing personal and are open to every
origin.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frontdesk.business_cache import BusinessCache
from frontdesk.services import businesses

PUBLIC_SUFFIXES = ("/portal.css", "/origin-check", "/logo")
ALLOW_HEADERS = (
    "Authorization, Content-Type, Accept, HX-Request, HX-Source, HX-Target, "
    "HX-Request-Type, HX-Current-URL, HX-Boosted, If-None-Match, Frontdesk-Time-Zone, "
    "Frontdesk-Language"
)
# htmx ignores response headers it cannot read cross-origin, so each one we send is listed.
EXPOSE_HEADERS = (
    "Frontdesk-Session, HX-Trigger, HX-Retarget, HX-Reswap, HX-Reselect, X-Request-ID, ETag"
)
MAX_AGE = "7200"  # Chromium's ceiling


# Where the middleware leaves the business it resolved (None: the key names no business).
BUSINESS = "frontdesk.business"


class PortalCORSMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        headers = Headers(scope=scope)
        origin = headers.get("origin", "")
        public = path.endswith(PUBLIC_SUFFIXES)
        cache: BusinessCache = scope["app"].state.businesses
        key: str = scope["path_params"]["key"]
        # Kept: no threadpool hop and no database at all.
        business = cache.kept(key) or await run_in_threadpool(cache.find, key)
        scope[BUSINESS] = business
        own_origin = f"{scope['scheme']}://{headers.get('host', '')}"
        allowed = public or (
            bool(origin)
            and business is not None
            and businesses.origin_allowed(business, origin, own_origin=own_origin)
        )
        cors = {"Vary": "Origin"}
        if origin and allowed:
            cors["Access-Control-Allow-Origin"] = "*" if public else origin
            cors["Access-Control-Expose-Headers"] = EXPOSE_HEADERS

        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            if not (origin and allowed):
                await PlainTextResponse("origin not allowed", 403, headers=cors)(
                    scope, receive, send
                )
                return
            cors.update(
                {
                    "Access-Control-Allow-Methods": "GET, POST",
                    "Access-Control-Allow-Headers": ALLOW_HEADERS,
                    "Access-Control-Max-Age": MAX_AGE,
                }
            )
            await PlainTextResponse("", 204, headers=cors)(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                for name, value in cors.items():
                    if name == "Vary":
                        response_headers.add_vary_header("Origin")
                    else:
                        response_headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_cors)
