"""Every route answers with the security headers: nosniff, a referrer policy, a CSP, HSTS behind
https, and no-store wherever something personal could be in the answer."""

from __future__ import annotations

import re

import httpx

from frontdesk.app import create_app
from frontdesk.db import Database
from frontdesk.settings import Settings
from tests.conftest import LiveServer
from tests.factories import make_business
from tests.security.routes import every_route

# Files that are the same for everyone may be cached; everything else must not be.
CACHEABLE = ("/static/", "/widget/frontdesk.js", "/portal.css", "/logo")


def test_every_route_sends_the_security_headers(settings: Settings, db: Database) -> None:
    https = settings.model_copy(update={"base_url": "https://portal.example"})
    app = create_app(https, db)
    made = make_business(db)
    server = LiveServer(app).start()
    walked = 0
    client = httpx.Client(base_url=server.url)  # one client: a new one per call loads the CA bundle
    try:
        for method, path in every_route(list(app.routes)):
            concrete = re.sub(r"{key}", made.business.publishable_key, path)
            concrete = re.sub(r"{[^}]+}", "x", concrete)
            answer = client.request(method, concrete, data={})
            client.cookies.clear()
            headers = answer.headers
            assert headers["X-Content-Type-Options"] == "nosniff", (method, path)
            assert headers["Referrer-Policy"], (method, path)
            assert headers["Content-Security-Policy"], (method, path)
            assert headers["Strict-Transport-Security"].startswith("max-age="), (method, path)
            if not any(part in path for part in CACHEABLE):
                assert "no-store" in headers.get("Cache-Control", ""), (method, path)
            walked += 1
    finally:
        client.close()
        server.stop()
    assert walked >= 100
