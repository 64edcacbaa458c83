"""No card number, token, password or API key reaches the logs, through a run that uses them all:
API calls, a portal session, sign-in links, a dashboard sign-in, a payment with a test card."""

from __future__ import annotations

import logging
import re
import time

import httpx
import pytest
from sqlmodel import select

from frontdesk import log
from frontdesk.log import JsonFormatter
from frontdesk.models import OutboxItem, PaymentMethod, PaymentStatus
from tests.conftest import csrf_field
from tests.factories import PASSWORD, make_customer
from tests.flow import Flow


def test_a_full_run_logs_no_secret(flow: Flow, caplog: pytest.LogCaptureFixture) -> None:
    from frontdesk.services import businesses

    # What `frontdesk serve` does to the server's own loggers (log.configure), minus the root
    # handler, which would take the place of pytest's.
    log.quiet_server_logs()
    with flow.db.session(flow.business.id) as session:
        business = businesses.get(session, flow.business.id)
        _, api_key = businesses.create_api_key(session, business=business, name="logs")
        make_customer(session, business, email="logs@example.com")
        owner = session.exec(select(businesses.StaffUser)).first()  # type: ignore[attr-defined]
        session.add(
            PaymentMethod(
                business_id=business.id,
                customer_id=flow.customer.id,
                processor_id="pm_card_visa",
                brand="visa",
                last4="4242",
                is_default=True,
                consent_text="I authorise it",
            )
        )
    secrets = {api_key, PASSWORD, "4242424242424242", "4242 4242 4242 4242"}
    key = flow.business.publishable_key
    with caplog.at_level(logging.DEBUG):
        api = {"Authorization": f"Bearer {api_key}"}
        base = f"{flow.app.url}/api/v1"
        session_token = httpx.post(
            f"{base}/customers/{flow.customer.id}/portal-sessions", headers=api
        ).json()["token"]
        secrets.add(session_token)
        link = httpx.post(f"{base}/customers/{flow.customer.id}/payment-links", headers=api)
        secrets.add(link.json()["url"].split("#frontdesk=")[1])
        opened = httpx.post(f"{flow.app.url}/portal/{key}/session", data={"token": session_token})
        portal_session = opened.headers["Frontdesk-Session"]
        secrets.add(portal_session)
        httpx.get(
            f"{flow.app.url}/portal/{key}/home?token={portal_session}",
            headers={"Authorization": f"Bearer {portal_session}"},
        )
        httpx.post(f"{flow.app.url}/portal/{key}/sign-in", data={"email": "logs@example.com"})
        with flow.db.session(flow.business.id) as session:
            mail = [
                i.payload["text"]
                for i in session.exec(select(OutboxItem))
                if "sign-in" in i.payload.get("subject", "")
            ]
        secrets.add(re.search(r"#frontdesk=(\S+)", mail[0]).group(1))  # type: ignore[union-attr]
        secrets.add(re.search(r"where you asked: (\d{6})", mail[0]).group(1))  # type: ignore[union-attr]
        with httpx.Client(base_url=f"{flow.app.url}/dashboard") as desk:
            form = desk.get("/sign-in").text
            csrf = csrf_field(form)
            desk.post(
                "/sign-in", data={"email": owner.email, "password": PASSWORD, "csrf_token": csrf}
            )
        charged = httpx.post(f"{base}/customers/{flow.customer.id}/charges", headers=api, json={})
        assert charged.json()["payment"]["status"] == str(PaymentStatus.SUCCEEDED)
        time.sleep(0.5)  # request lines are written after the response
    # httpx and httpcore log the test's own client side (it holds the secrets it sends).
    ours = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    lines = [JsonFormatter().format(record) for record in ours]
    assert len(lines) > 10
    for secret in secrets:
        leaked = [line for line in lines if secret in line]
        assert leaked == [], f"a secret ({secret[:6]}…) reached the log: {leaked[0][:200]}"
