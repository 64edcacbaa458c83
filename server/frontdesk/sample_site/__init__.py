"""The sample business website the demo serves on another origin, embedding the portal.

It plays the business's own server too: on each visit to the account page it mints an embed token
for its signed-in customer, as a real business's server would through the API.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from frontdesk import tokens
from frontdesk.models import Business, Customer
from frontdesk.services.links import Links
from frontdesk.settings import Settings

HERE = Path(__file__).parent
_env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True)


def create_app(settings: Settings, business: Business, customer: Customer) -> Starlette:
    specials_served: list[str] = []

    def page(name: str, **context: object) -> HTMLResponse:
        html = _env.get_template(name).render(
            business=business, portal_host=settings.base_url, **context
        )
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    async def home(request: Request) -> HTMLResponse:
        return page("home.html")

    def embed_token() -> str:
        return Links.from_settings(settings).token(tokens.Purpose.EMBED, customer)

    async def account(request: Request) -> HTMLResponse:
        return page("account.html", customer=customer, token=embed_token())

    async def account_token(request: Request) -> PlainTextResponse:
        # What the portal fetches (token-url) when its session ends and it needs a fresh token.
        return PlainTextResponse(embed_token(), headers={"Cache-Control": "no-store"})

    async def specials(request: Request) -> HTMLResponse:
        # The site's own htmx feature; its counter lets tests prove each click fires once.
        specials_served.append(request.url.path)
        return HTMLResponse(
            f"<p>This week: 10% off hedge trimming. (Shown {len(specials_served)} times.)</p>"
        )

    app = Starlette(
        routes=[
            Route("/", home, name="home"),
            Route("/account", account, name="account"),
            Route("/account/frontdesk-token", account_token, name="account_token"),
            Route("/specials", specials, name="specials"),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ]
    )
    app.state.specials_served = specials_served
    return app
