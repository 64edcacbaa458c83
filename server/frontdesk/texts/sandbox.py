"""A local stand-in for the part of Twilio's API Frontdesk uses, for tests and the demo.

It takes texts on Twilio's Messages resource (form-encoded, HTTP basic auth with the account SID
and token, Twilio's JSON and error codes), keeps every one in a file so a restart forgets nothing,
reports each as sent and then delivered to its StatusCallback, and lists them on its home page.
A reply typed there (or posted to /inbound) goes to our inbound webhook signed as Twilio signs
it; a STOP reply unsubscribes the number at the provider as Twilio's opt-out handling does, so
even a text we wrongly tried would be refused (error 21610)."""

from __future__ import annotations

import base64
import hmac
import html
import json
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from typing import Any, Self

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from frontdesk.standins import Deliveries
from frontdesk.texts.provider import API_VERSION, START_WORDS, STOP_WORDS, signature

log = logging.getLogger("frontdesk.sandbox")
E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
# A number the stand-in treats as a landline, as Twilio's test credentials do (error 21614).
LANDLINE = "+15005550009"


def credentials(secret_keys: tuple[str, ...]) -> tuple[str, str]:
    """The stand-in's account SID and auth token, derived from this server's own signing key:
    stable across restarts, different on every installation."""
    key = secret_keys[0] if secret_keys else secrets.token_hex(16)

    def derive(purpose: str) -> str:
        return hmac.new(key.encode(), purpose.encode(), "sha256").hexdigest()[:32]

    return f"AC{derive('texts-sandbox-account')}", derive("texts-sandbox-token")


def _error(status: int, code: int, message: str) -> JSONResponse:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return JSONResponse(body, status_code=status)


@dataclass
class State:
    """Every message, the unsubscribed numbers and the callbacks still to post. One lock; with a
    `path`, written there after every change and read back at start."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    unsubscribed: set[str] = field(default_factory=set)
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    delivered: int = 0
    path: Path | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)
    clock: Callable[[], float] = time.time

    @classmethod
    def open(cls, path: Path) -> Self:
        state = cls(path=path)
        if path.exists():
            saved = json.loads(path.read_text())
            state.messages, state.callbacks = saved["messages"], saved["callbacks"]
            state.unsubscribed, state.delivered = set(saved["unsubscribed"]), saved["delivered"]
        return state

    def save(self) -> None:
        if self.path is None:
            return
        with self.lock:
            saved = {
                "messages": self.messages,
                "unsubscribed": sorted(self.unsubscribed),
                "callbacks": self.callbacks,
                "delivered": self.delivered,
            }
            partial = self.path.with_suffix(".partial")
            partial.write_text(json.dumps(saved))
            os.replace(partial, self.path)  # whole or not at all, even if killed mid-write

    def sent(self, account: str, form: dict[str, str]) -> dict[str, Any]:
        now = formatdate(self.clock(), usegmt=True)
        sid = f"SM{secrets.token_hex(16)}"
        message = {
            "sid": sid,
            "account_sid": account,
            "to": form["To"],
            "from": form["From"],
            "body": form["Body"],
            "status": "queued",
            "direction": "outbound-api",
            "num_segments": str(max(1, -(-len(form["Body"]) // 153))),
            "date_created": now,
            "date_updated": now,
            "date_sent": None,
            "error_code": None,
            "error_message": None,
            "price": None,
            "api_version": API_VERSION,
            "uri": f"/{API_VERSION}/Accounts/{account}/Messages/{sid}.json",
        }
        self.messages.append(message)
        for status in ("sent", "delivered"):
            if form.get("StatusCallback"):
                self.callbacks.append({"url": form["StatusCallback"], "sid": sid, "status": status})
        return message

    def received(self, account: str, sender: str, to: str, body: str) -> dict[str, Any]:
        word = body.strip().upper()
        if word in STOP_WORDS:
            self.unsubscribed.add(sender)
        elif word in START_WORDS:
            self.unsubscribed.discard(sender)
        message = {
            "sid": f"SM{secrets.token_hex(16)}",
            "account_sid": account,
            "to": to,
            "from": sender,
            "body": body,
            "status": "received",
            "direction": "inbound",
            "date_created": formatdate(self.clock(), usegmt=True),
        }
        self.messages.append(message)
        return message


class CallbackSender(Deliveries):
    """Posts the state's status callbacks, signed, retrying a few times as Twilio does (our server
    may not have recorded the message's sid yet: a moment later it has)."""

    def __init__(self, state: State, auth_token: str, attempts: int = 6) -> None:
        super().__init__(state, attempts=attempts, first_wait=0.1, name="texts-callbacks")
        self.state_of_texts, self.auth_token = state, auth_token

    def queued(self) -> list[dict[str, Any]]:
        return self.state_of_texts.callbacks

    def post(self, client: httpx.Client, item: dict[str, Any]) -> httpx.Response:
        callback = item
        with self.state_of_texts.lock:
            messages = self.state_of_texts.messages
            message = next(m for m in messages if m["sid"] == callback["sid"])
            message["status"] = callback["status"]
        params = {
            "AccountSid": message["account_sid"],
            "ApiVersion": API_VERSION,
            "From": message["from"],
            "MessageSid": message["sid"],
            "MessageStatus": callback["status"],
            "SmsSid": message["sid"],
            "SmsStatus": callback["status"],
            "To": message["to"],
        }
        sign = signature(self.auth_token, callback["url"], params.items())
        return client.post(callback["url"], data=params, headers={"X-Twilio-Signature": sign})

    def describe(self, item: dict[str, Any]) -> str:
        return f"the {item['status']} report of {item['sid']}"


def create_app(
    *,
    account_sid: str,
    auth_token: str,
    number: str,
    inbound_url: str = "",
    state: State | None = None,
) -> Starlette:
    """The stand-in for one account, whose texts come from `number` and whose replies go to
    `inbound_url` (our /webhooks/texts)."""
    held = state or State()
    sender = CallbackSender(held, auth_token)

    def authenticated(request: Request) -> bool:
        pair = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
        expected = f"Basic {pair}"
        given = request.headers.get("authorization", "")
        right_account = request.path_params.get("account") == account_sid
        return right_account and hmac.compare_digest(given, expected)

    async def messages_create(request: Request) -> Response:
        if not authenticated(request):
            return _error(401, 20003, "Authenticate")
        form = {k: str(v) for k, v in (await request.form()).items()}
        to = form.get("To", "")
        if not E164.match(to):
            return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if form.get("From") != number:
            return _error(
                400, 21606, "The 'From' phone number is not a valid number for this account."
            )
        if not form.get("Body"):
            return _error(400, 21602, "Message body is required.")
        if to == LANDLINE:
            return _error(400, 21614, f"'To' number {to} is not a valid mobile number")
        with held.lock:
            if to in held.unsubscribed:
                return _error(400, 21610, "Attempt to send to unsubscribed recipient")
            message = held.sent(account_sid, form)
            held.save()
        return JSONResponse(message, status_code=201)

    async def messages_list(request: Request) -> Response:
        if not authenticated(request):
            return _error(401, 20003, "Authenticate")
        with held.lock:
            found = [m for m in reversed(held.messages) if m["direction"] == "outbound-api"]
        return JSONResponse({"messages": found, "page": 0, "page_size": len(found)})

    async def inbound(request: Request) -> Response:
        """A reply from a phone: recorded, and posted to our webhook signed as Twilio would."""
        form = await request.form()
        # Typed as people write numbers ("+1 555 0142"); Twilio posts them in E.164.
        sender_number = re.sub(r"[ ().-]", "", str(form.get("From", "")))
        body = str(form.get("Body", ""))
        if not E164.match(sender_number) or not body:
            return _error(400, 21211, "A reply needs a From number in E.164 form and a Body.")
        with held.lock:
            message = held.received(account_sid, sender_number, number, body)
            held.save()
        params = {
            "AccountSid": account_sid,
            "ApiVersion": API_VERSION,
            "Body": body,
            "From": sender_number,
            "MessageSid": message["sid"],
            "NumMedia": "0",
            "SmsSid": message["sid"],
            "To": number,
        }
        headers = {"X-Twilio-Signature": signature(auth_token, inbound_url, params.items())}
        async with httpx.AsyncClient(timeout=10) as client:
            answer = await client.post(inbound_url, data=params, headers=headers)
        if form.get("back"):  # the home page's form
            return RedirectResponse(request.url_for("home"), status_code=303)
        return JSONResponse({"sid": message["sid"], "webhook_status": answer.status_code})

    async def home(request: Request) -> Response:
        with held.lock:
            rows = "".join(
                f"<tr><td>{html.escape(m['date_created'])}</td><td>{html.escape(m['direction'])}"
                f"</td><td>{html.escape(m['from'])}</td><td>{html.escape(m['to'])}</td>"
                f"<td>{html.escape(m['status'])}</td><td>{html.escape(m['body'])}</td></tr>"
                for m in reversed(held.messages)
            )
        return HTMLResponse(
            "<!doctype html><meta charset=utf-8><title>Texts stand-in</title>"
            f"<h1>Texts sent from {html.escape(number)}</h1>"
            f"<form method=post action='{request.url_for('inbound')}'>"
            "<input type=hidden name=back value=1>Reply from <input name=From "
            "placeholder='+15550142'> <input name=Body value=STOP> <button>Send reply</button>"
            "</form><table><tr><th>When</th><th>Direction</th><th>From</th><th>To</th>"
            f"<th>Status</th><th>Body</th></tr>{rows}</table>"
        )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        sender.start()
        try:
            yield
        finally:
            sender.stop()

    messages = f"/{API_VERSION}/Accounts/{{account}}/Messages.json"
    app = Starlette(
        routes=[
            Route("/", home, name="home"),
            Route(messages, messages_create, methods=["POST"], name="messages_create"),
            Route(messages, messages_list, name="messages_list"),
            Route("/inbound", inbound, methods=["POST"], name="inbound"),
        ],
        lifespan=lifespan,
    )
    app.state.texts = held
    return app
