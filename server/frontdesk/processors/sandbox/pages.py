"""The sandbox's pages for people: Connect onboarding, the connected account owner's controls and
the OAuth consent page. Plain HTML with every value escaped, readable on a phone."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from contextlib import suppress
from html import escape
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from frontdesk.processors.sandbox.connect import APPLICATION, is_web_address
from frontdesk.processors.sandbox.store import Store, StripeError

T = TypeVar("T")
STYLE = (
    "body{margin:0;font:16px/1.5 system-ui,sans-serif;color:#1a1f36;background:#f6f9fc}"
    "main{max-width:34rem;margin:0 auto;padding:1.5rem 1rem}"
    ".brand{margin:0 0 .5rem;font-size:.8rem;font-weight:600;letter-spacing:.04em;"
    "text-transform:uppercase;color:#635bff}"
    "h1{margin:0 0 1rem;font-size:1.4rem;line-height:1.25}"
    "dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0 0 1.5rem;"
    "padding:1rem;background:#fff;border:1px solid #e3e8ee;border-radius:8px}"
    "dt{color:#4f566b}dd{margin:0;overflow-wrap:anywhere}"
    "form{display:grid;gap:.75rem}"
    "button{font:inherit;padding:.75rem 1rem;border:0;border-radius:6px;background:#635bff;"
    "color:#fff;cursor:pointer;text-align:left;overflow-wrap:anywhere}"
    "button.secondary{background:#e3e8ee;color:#1a1f36}"
    ".note{color:#4f566b;font-size:.9rem}"
)
# The pages bring their own policy: the demo server's default forbids inline styles, and after a
# form is sent the browser must be allowed to follow the redirect to the platform's URL.
POLICY = (
    "default-src 'none'; "
    f"style-src 'sha256-{base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()}'; "
    "form-action 'self' http: https:; base-uri 'none'; frame-ancestors 'none'"
)
ONBOARDING_CHOICES = {"submit", "incomplete", "leave"}


def _page(title: str, heading: str, body: str, status: int = 200) -> HTMLResponse:
    html = (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
        '<p class="brand">Sandbox Stripe · test mode</p>\n'
        f"<h1>{escape(heading)}</h1>\n{body}\n</main>\n</body>\n</html>\n"
    )
    return HTMLResponse(html, status_code=status, headers={"Content-Security-Policy": POLICY})


def _not_found() -> HTMLResponse:
    return _page(
        "Sandbox Stripe — not found",
        "This link does not exist",
        '<p class="note">Ask the platform for a new link.</p>',
        status=404,
    )


def _refused(message: str) -> HTMLResponse:
    return _page(
        "Sandbox Stripe — cannot continue",
        "This request cannot continue",
        f'<p class="note">{escape(message)}</p>',
        status=400,
    )


def _facts(rows: list[tuple[str, Any]]) -> str:
    items = "".join(f"<dt>{escape(name)}</dt><dd>{escape(str(value))}</dd>" for name, value in rows)
    return f"<dl>{items}</dl>"


def _buttons(choices: list[tuple[str, str, bool]]) -> str:
    """One form, one button per (value, label, is_main); the form posts back to this page's URL,
    query string included."""
    buttons = "".join(
        f'<button name="choice" value="{escape(value)}"{"" if main else " class=secondary"}>'
        f"{escape(label)}</button>"
        for value, label, main in choices
    )
    return f'<form method="post">{buttons}</form>'


def _name(account: dict[str, Any]) -> str:
    return str(account["business_profile"].get("name") or account.get("email") or account["id"])


def _with_query(url: str, **params: str | None) -> str:
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    pairs += [(name, value) for name, value in params.items() if value is not None]
    return urlunsplit(parts._replace(query=urlencode(pairs)))


def _oauth_problem(query: QueryParams) -> str:
    if query.get("response_type") != "code":
        return "response_type must be code."
    if not query.get("client_id"):
        return "No client_id provided."
    if not is_web_address(query.get("redirect_uri")):
        return "redirect_uri must be an absolute http or https URL."
    if query.get("scope", "read_only") not in ("read_write", "read_only"):
        return "scope must be read_write or read_only."
    return ""


def routes(store: Store) -> list[Route]:
    async def locked(work: Callable[[], T], *, save: bool = False) -> T:
        def run() -> T:
            with store.lock:
                try:
                    return work()
                finally:
                    if save:
                        store.save()

        return await run_in_threadpool(run)

    async def choice_of(request: Request) -> str:
        return str((await request.form()).get("choice") or "")

    async def connect_onboarding(request: Request) -> Response:
        link_id = request.path_params["link"]
        if request.method == "POST":
            choice = await choice_of(request)
            if choice not in ONBOARDING_CHOICES:
                return _refused("Choose one of the buttons.")
            try:
                target = await locked(lambda: store.finish_onboarding(link_id, choice), save=True)
            except StripeError:
                return _not_found()
            return RedirectResponse(target, status_code=303)

        def look() -> tuple[dict[str, Any], dict[str, Any] | None]:
            link = store.onboarding_link(link_id)
            usable = store.link_usable(link)
            return link, store.account(link["_account"]) if usable else None

        try:
            link, account = await locked(look)
        except StripeError:
            return _not_found()
        if account is None:
            return RedirectResponse(link["_refresh_url"], status_code=303)
        name = _name(account)
        return _page(
            f"Sandbox Stripe — set up payments for {name}",
            f"Set up payments for {name}",
            _facts(
                [
                    ("Account", account["id"]),
                    ("Type", account["type"].capitalize()),
                    ("Email", account["email"] or "—"),
                ]
            )
            + '<p class="note">No real details are asked for: choose what Stripe would decide.</p>'
            + _buttons(
                [
                    ("submit", "Submit details", True),
                    ("incomplete", "Submit, but leave requirements due", False),
                    ("leave", "Return without finishing", False),
                ]
            ),
        )

    # The owner's controls need no key: this is a local stand-in, and on Stripe the owner would
    # sign in to their own dashboard. Anyone who can reach the sandbox can use them.
    async def connect_account(request: Request) -> Response:
        account_id = request.path_params["account"]
        if request.method == "POST":
            actions = {
                "pause": store.require_information,
                "provide": store.provide_information,
                "revoke": store.revoke,
            }
            action = actions.get(await choice_of(request))
            if action is None:
                return _refused("Choose one of the buttons.")
            # Revoked in the meantime, say: the page shows how things stand.
            with suppress(StripeError):
                await locked(lambda: action(account_id), save=True)
            return RedirectResponse(str(request.url), status_code=303)
        try:
            account = await locked(lambda: dict(store.account(account_id)))
        except StripeError:
            return _not_found()
        revoked = bool(account.get("_revoked"))
        due = account["requirements"]["currently_due"]
        facts = _facts(
            [
                ("Account", account["id"]),
                ("Type", account["type"].capitalize()),
                ("Details submitted", "yes" if account["details_submitted"] else "no"),
                ("Charges", "enabled" if account["charges_enabled"] else "paused"),
                ("Payouts", "enabled" if account["payouts_enabled"] else "paused"),
                ("Stripe asks for", ", ".join(due) or "nothing"),
                ("Platform access", "revoked" if revoked else APPLICATION["name"]),
            ]
        )
        controls = (
            '<p class="note">The platform can no longer reach this account.</p>'
            if revoked
            else _buttons(
                [
                    ("pause", "Stripe asks for more information (charges paused)", False),
                    ("provide", "Provide the information", True),
                    ("revoke", "Revoke the platform's access", False),
                ]
            )
        )
        return _page(
            f"Sandbox Stripe — {_name(account)}",
            _name(account),
            facts + controls,
        )

    async def oauth_authorize(request: Request) -> Response:
        query = request.query_params
        problem = _oauth_problem(query)
        if problem:
            return _refused(problem)
        redirect_uri, state = query["redirect_uri"], query.get("state")
        scope = query.get("scope", "read_only")
        if request.method == "POST":
            choice = await choice_of(request)
            if choice == "deny":
                denied = _with_query(
                    redirect_uri,
                    error="access_denied",
                    error_description="The user denied your request",
                    state=state,
                )
                return RedirectResponse(denied, status_code=303)

            def grant() -> str:
                account = store.create_ready_account() if choice == "create" else {"id": choice}
                return store.authorize(account["id"], scope)

            try:
                code = await locked(grant, save=True)
            except StripeError as error:
                return _refused(str(error))
            granted = _with_query(redirect_uri, scope=scope, code=code, state=state)
            return RedirectResponse(granted, status_code=303)
        ready = await locked(lambda: [dict(account) for account in store.ready_accounts()])
        listed = [(account["id"], f"{_name(account)} · {account['id']}", True) for account in ready]
        application = str(APPLICATION["name"])
        return _page(
            f"Sandbox Stripe — connect your existing Stripe account to {application}",
            f"Connect your existing Stripe account to {application}",
            _facts([("Application", query["client_id"]), ("Access", scope)])
            + (
                '<p class="note">Choose the account to connect.</p>'
                if listed
                else '<p class="note">The sandbox has no ready Standard account yet.</p>'
            )
            + _buttons(
                [
                    *listed,
                    ("create", "Create a ready test account and connect it", not listed),
                    ("deny", "Deny", False),
                ]
            ),
        )

    return [
        Route(
            "/connect/onboarding/{link}",
            connect_onboarding,
            methods=["GET", "POST"],
            name="connect_onboarding",
        ),
        Route(
            "/connect/accounts/{account}",
            connect_account,
            methods=["GET", "POST"],
            name="connect_account",
        ),
        Route("/oauth/authorize", oauth_authorize, methods=["GET", "POST"], name="oauth_authorize"),
    ]
