"""The sample business website the demo serves on another origin, embedding the portal.

It plays the business's own server too: on each visit to the account page it asks our API for a
portal session for its signed-in customer, with its own secret key, exactly as
`embed-snippets/server-side/` does. So it is the example to copy: a customer whose links the
business renewed, or whose access it turned back on, opens the portal on the next visit.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

import httpx
from jinja2 import Environment, FileSystemLoader
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from frontdesk.models import Business, Customer
from frontdesk.settings import Settings

HERE = Path(__file__).parent
_env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True)


def create_app(
    settings: Settings, business: Business, customer: Customer, api_key: str
) -> Starlette:
    specials_served: list[str] = []
    who = f"external:{customer.external_id}" if customer.external_id else customer.id
    sessions_url = f"{settings.base_url}/api/v1/customers/{quote(who, safe='')}/portal-sessions"
    api = httpx.AsyncClient(headers={"Authorization": f"Bearer {api_key}"}, timeout=5)

    def page(name: str, **context: object) -> HTMLResponse:
        html = _env.get_template(name).render(
            business=business, portal_host=settings.base_url, **context
        )
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    async def home(request: Request) -> HTMLResponse:
        return page("home.html")

    async def embed_token() -> str:
        """A fresh token from our API; none when it cannot be had (access turned off, or our
        server unreachable), and the portal then offers its email sign-in."""
        try:
            response = await api.post(sessions_url)
            response.raise_for_status()
            return str(response.json()["token"])
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            logging.getLogger("frontdesk.sample_site").warning("no portal token: %s", exc)
            return ""

    async def account(request: Request) -> HTMLResponse:
        return page("account.html", customer=customer, token=await embed_token(), lang="en")

    async def cuenta(request: Request) -> HTMLResponse:
        # The site's Spanish page: its snippet says lang="es", and the portal follows.
        return page("account.html", customer=customer, token=await embed_token(), lang="es")

    async def account_token(request: Request) -> PlainTextResponse:
        # What the portal fetches (token-url) when its session ends and it needs a fresh token.
        return PlainTextResponse(await embed_token(), headers={"Cache-Control": "no-store"})

    async def specials(request: Request) -> HTMLResponse:
        # The site's own htmx feature; its counter lets tests prove each click fires once.
        specials_served.append(request.url.path)
        return HTMLResponse(
            f"<p>This week: 10% off hedge trimming. (Shown {len(specials_served)} times.)</p>"
        )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await api.aclose()

    app = Starlette(
        lifespan=lifespan,
        routes=[
            Route("/", home, name="home"),
            Route("/account", account, name="account"),
            Route("/es/cuenta", cuenta, name="cuenta"),
            Route("/account/frontdesk-token", account_token, name="account_token"),
            Route("/specials", specials, name="specials"),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
    )
    app.state.specials_served = specials_served
    return app
