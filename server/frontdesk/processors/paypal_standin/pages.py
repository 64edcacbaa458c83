"""The stand-in's pages for people: the payer's approval window (opened by the stand-in
paypal.js, as PayPal's popup is) and a home page listing orders, where a pending capture is
completed or declined. Plain HTML with every value escaped, readable on a phone."""

from __future__ import annotations

import base64
import hashlib
import re
from html import escape
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from frontdesk.processors.paypal_standin.state import PayPalError, public
from frontdesk.processors.paypal_standin.store import OUTCOMES, Store

STYLE = (
    "body{margin:0;font:16px/1.5 system-ui,sans-serif;color:#001435;background:#f5f7fa}"
    "main{max-width:30rem;margin:0 auto;padding:1.5rem 1rem}"
    ".brand{margin:0 0 .5rem;font-size:.8rem;font-weight:700;letter-spacing:.04em;"
    "text-transform:uppercase;color:#003087}"
    "h1{margin:0 0 1rem;font-size:1.4rem}form{display:grid;gap:.75rem}"
    "label{display:grid;gap:.25rem}input{font:inherit;padding:.5rem}"
    "button{font:inherit;padding:.75rem 1rem;border:0;border-radius:999px;background:#ffc439;"
    "color:#001435;cursor:pointer}button.secondary{background:#e1e6ee}"
    "table{border-collapse:collapse;width:100%}td,th{padding:.25rem;text-align:left}"
    ".note{color:#515a6a;font-size:.9rem}"
)
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
# The approval page reports to the page that opened it; only an origin, never "*".
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")
CHOICES = [
    ("approve", "Approve and pay", True),
    ("decline", "Pay with a card that declines", False),
    ("pending", "Pay, held for review (pending)", False),
    ("cancel", "Cancel and return", False),
]


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
        '<p class="brand">PayPal stand-in · test mode</p>\n'
        f"<h1>{escape(title)}</h1>\n{body}\n</main>\n</body>\n</html>\n"
    )
    policy = (
        f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; script-src 'self'; "
        "form-action 'self'; base-uri 'none'"
    )
    return HTMLResponse(html, status_code=status, headers={"Content-Security-Policy": policy})


def _amount(order: dict[str, Any]) -> str:
    amount = order["purchase_units"][0]["amount"]
    return f"{amount['value']} {amount['currency_code']}"


def routes(store: Store) -> list[Route]:
    async def locked(work: Any, *, save: bool = False) -> Any:
        def run() -> Any:
            with store.lock:
                try:
                    return work()
                finally:
                    if save:
                        store.save()

        return await run_in_threadpool(run)

    async def checkout(request: Request) -> Response:
        """The payer's window: approve (or choose how the payment should go), or cancel."""
        if request.method == "POST":
            return await approved(request)
        order_id = request.query_params.get("token", "")
        origin = request.query_params.get("origin", "")
        try:
            order = await locked(lambda: public(store.order(order_id)))
        except PayPalError:
            return _page("This order does not exist", "<p>Start again from the shop.</p>", 404)
        unit = order["purchase_units"][0]
        buttons = "".join(
            f'<button name="choice" value="{value}"{"" if main else " class=secondary"}>'
            f"{escape(label)}</button>"
            for value, label, main in CHOICES
        )
        body = (
            f"<p>{escape(unit.get('description') or 'Payment')}: "
            f"<b>{escape(_amount(order))}</b></p>"
            f'<form method="post"><input type="hidden" name="token" value="{escape(order_id)}">'
            f'<input type="hidden" name="origin" value="{escape(origin)}">'
            '<label>Pay as <input name="email" type="email" value="buyer@example.com"></label>'
            f"{buttons}</form>"
            '<p class="note">No PayPal account is used. Payer emails decline@… and pending@… '
            "choose those outcomes too.</p>"
        )
        return _page("Pay with PayPal", body)

    async def approved(request: Request) -> Response:
        form = await request.form()
        order_id, choice = str(form.get("token", "")), str(form.get("choice", ""))
        email = str(form.get("email") or "buyer@example.com")
        origin = str(form.get("origin", ""))
        payer = ""
        if choice in OUTCOMES:
            try:
                order = await locked(lambda: store.approve(order_id, choice, email), save=True)
            except PayPalError:
                return _page("This order cannot be approved", "<p>Start again.</p>", 400)
            payer = order["payer"]["payer_id"]
        result = "cancel" if choice not in OUTCOMES else "approve"
        script = request.url_for("static", path="approved.js")
        body = (
            f'<p id="result" data-result="{result}" data-order="{escape(order_id)}" '
            f'data-payer="{payer}" data-origin="{escape(origin if _ORIGIN.match(origin) else "")}">'
            f"{'Approved' if payer else 'Cancelled'}: you can close this window.</p>"
            f'<script src="{script}"></script>'
        )
        return _page("Returning to the shop", body)

    async def home(request: Request) -> Response:
        def rows() -> str:
            found = []
            for order_id in reversed(list(store.orders)):
                order = store.order(order_id)
                captures = order["purchase_units"][0].get("payments", {}).get("captures", [])
                settle = "".join(
                    f'<form method="post" action="{request.url_for("capture_settle", id=c["id"])}">'
                    '<button name="outcome" value="COMPLETED">Complete</button>'
                    '<button name="outcome" value="DECLINED" class="secondary">Deny</button></form>'
                    for c in captures
                    if c["status"] == "PENDING"
                )
                states = ", ".join(f"{c['id']} {c['status']}" for c in captures)
                found.append(
                    f"<tr><td>{order_id}</td><td>{escape(_amount(order))}</td>"
                    f"<td>{order['status']}</td><td>{states}{settle}</td></tr>"
                )
            return "".join(found)

        table = await locked(rows)
        return _page(
            "Orders",
            "<table><tr><th>Order</th><th>Amount</th><th>Status</th><th>Captures</th></tr>"
            f"{table}</table>",
        )

    async def capture_settle(request: Request) -> Response:
        """A pending capture's outcome, as PayPal's review would decide it (no key: a stand-in
        control, like the Stripe sandbox's owner pages)."""
        outcome = str((await request.form()).get("outcome", ""))
        capture_id = request.path_params["id"]
        try:
            capture = await locked(lambda: store.settle(capture_id, outcome), save=True)
        except PayPalError as error:
            return JSONResponse(error.body, status_code=error.status)
        if "text/html" in request.headers.get("accept", ""):
            return RedirectResponse(request.url_for("home"), status_code=303)
        return JSONResponse(public(capture))

    return [
        Route("/", home, name="home"),
        Route("/checkoutnow", checkout, methods=["GET", "POST"], name="checkout"),
        Route(
            "/standin/captures/{id}/settle", capture_settle, methods=["POST"], name="capture_settle"
        ),
    ]
