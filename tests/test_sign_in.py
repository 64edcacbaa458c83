"""Signing in without a password: a link used once, a code with five tries, the same answer for
any address, limits, and the email arriving over real SMTP."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import select

from frontdesk.app import create_app
from frontdesk.db import Database
from frontdesk.jobs import OutboxRunner
from frontdesk.models import AuditEvent, Customer, Initiator, OutboxItem, SignInRequest, utcnow
from frontdesk.services import audit, businesses, notices
from frontdesk.services.businesses import NewBusiness
from frontdesk.services.links import Links
from frontdesk.settings import Settings
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer, make_invoice
from tests.security.test_token_walk import signed_at
from tests.test_jobs import free_port, start_smtp
from tests.test_portal_views import Portal


@pytest.fixture
def shop(db: Database) -> NewBusiness:
    made = make_business(db, portal_page_url=None)
    with db.session(made.business.id) as session:
        make_customer(session, made.business, name="Casey", email="casey@example.com")
    return made


def ask(server: LiveServer, made: NewBusiness, email: str) -> httpx.Response:
    key = made.business.publishable_key
    return httpx.post(f"{server.url}/portal/{key}/sign-in", data={"email": email})


def mails(db: Database, made: NewBusiness) -> list[dict[str, str]]:
    with db.session(made.business.id) as session:
        return [i.payload for i in session.exec(select(OutboxItem)) if i.kind == "email"]


def link_and_code(mail: dict[str, str]) -> tuple[str, str]:
    token = re.search(r"#frontdesk=(\S+)", mail["text"]).group(1)  # type: ignore[union-attr]
    code = re.search(r"this code where you asked: (\d{6})", mail["text"]).group(1)  # type: ignore[union-attr]
    return token, code


def exchange(server: LiveServer, made: NewBusiness, token: str) -> httpx.Response:
    key = made.business.publishable_key
    return httpx.post(f"{server.url}/portal/{key}/session", data={"token": token})


def test_any_address_gets_the_same_answer(
    live_server: LiveServer, db: Database, shop: NewBusiness
) -> None:
    known = ask(live_server, shop, "Casey@Example.com")
    unknown = ask(live_server, shop, "nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace("Casey@Example.com", "X") == unknown.text.replace(
        "nobody@example.com", "X"
    )
    [mail] = mails(db, shop)
    assert mail["to"] == "casey@example.com"
    assert f"/p/{shop.business.slug}#frontdesk=" in mail["text"]


def test_the_link_signs_in_once(live_server: LiveServer, db: Database, shop: NewBusiness) -> None:
    ask(live_server, shop, "casey@example.com")
    token, _ = link_and_code(mails(db, shop)[0])
    first = exchange(live_server, shop, token)
    assert first.status_code == 200 and 'id="fd-shell"' in first.text
    assert first.headers["Frontdesk-Session"]
    again = exchange(live_server, shop, token)
    assert again.status_code == 401
    assert "This link was already used" in again.text and "Send a new link" in again.text


def test_an_expired_or_foreign_link_is_refused(
    live_server: LiveServer, db: Database, shop: NewBusiness
) -> None:
    ask(live_server, shop, "casey@example.com")
    token, _ = link_and_code(mails(db, shop)[0])
    other = make_business(db)
    foreign = exchange(live_server, other, token)
    assert foreign.status_code == 401 and "another business" in foreign.text
    assert exchange(live_server, shop, token[:-3] + "abc").status_code == 401
    with db.session(shop.business.id) as session:
        session.execute(update(SignInRequest).values(expires_at=utcnow() - timedelta(seconds=1)))
    expired = exchange(live_server, shop, token)
    assert expired.status_code == 401 and "expired" in expired.text


def test_the_code_works_once_with_five_tries(
    live_server: LiveServer, db: Database, shop: NewBusiness
) -> None:
    key = shop.business.publishable_key

    def enter(code: str) -> httpx.Response:
        return httpx.post(
            f"{live_server.url}/portal/{key}/sign-in/code",
            data={"email": "casey@example.com", "code": code},
        )

    ask(live_server, shop, "casey@example.com")
    _, code = link_and_code(mails(db, shop)[0])
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        refused = enter(wrong)
        assert refused.status_code == 422 and "That code is not right" in refused.text
    assert "expired" in enter(code).text  # five tries spent: the right code no longer works
    ask(live_server, shop, "casey@example.com")
    _, fresh = link_and_code(mails(db, shop)[-1])
    opened = enter(fresh)
    assert opened.status_code == 200 and 'id="fd-shell"' in opened.text
    assert opened.headers["Frontdesk-Session"]
    assert enter(fresh).status_code == 422  # once


def test_asking_is_rate_limited_per_address(
    live_server: LiveServer, db: Database, shop: NewBusiness
) -> None:
    codes = [ask(live_server, shop, "casey@example.com").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert len(mails(db, shop)) == 3
    assert ask(live_server, shop, "someone.else@example.com").status_code == 200


def test_a_disabled_customer_gets_nothing(
    live_server: LiveServer, db: Database, shop: NewBusiness
) -> None:
    from frontdesk.models import Customer

    with db.session(shop.business.id) as session:
        session.execute(update(Customer).values(portal_enabled=False))
    assert ask(live_server, shop, "casey@example.com").status_code == 200
    assert mails(db, shop) == []


def test_the_sign_in_email_arrives_over_smtp(
    db: Database, settings: Settings, shop: NewBusiness
) -> None:
    port = free_port()
    controller, inbox = start_smtp(port)
    server = LiveServer(create_app(settings, db)).start()
    try:
        ask(server, shop, "casey@example.com")
        smtp = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}"})
        assert OutboxRunner(db, smtp).run_once() == 1
        [message] = inbox.messages
        parts = {
            p.get_content_type(): p.get_payload(decode=True).decode()
            for p in message.walk()
            if not p.is_multipart()
        }  # type: ignore[union-attr]
        body, html = parts["text/plain"], parts["text/html"]
        assert message["To"] == "casey@example.com"
        assert message["Reply-To"] == shop.owner.email  # answers go to the business
        assert shop.business.name in html and ">Open your account</a>" in html
        assert re.search(r'href="[^"]+#frontdesk=', html)
        assert re.search(r"#frontdesk=\S+", body) and re.search(r": \d{6}\b", body)
        token = re.search(r"#frontdesk=(\S+)", body).group(1)  # type: ignore[union-attr]
        assert exchange(server, shop, token).status_code == 200
    finally:
        server.stop()
        controller.stop()


def test_payment_links_are_scoped_and_die_together(
    live_server: LiveServer, db: Database, shop: NewBusiness
) -> None:
    with db.session(shop.business.id) as session:
        from frontdesk.models import Customer

        customer = session.exec(select(Customer)).one()
    api = httpx.Client(
        base_url=f"{live_server.url}/api/v1",
        headers={"Authorization": f"Bearer {shop.secret_api_key}"},
    )
    key = shop.business.publishable_key

    def token_of(scope: str) -> str:
        link = api.post(f"/customers/{customer.id}/payment-links", json={"scope": scope}).json()
        assert link["scope"] == scope
        return str(link["url"]).split("#frontdesk=", 1)[1]

    def session_for(token: str) -> httpx.Response:
        return exchange(live_server, shop, token)

    pay_only, whole = token_of("pay"), token_of("portal")
    # No payments taken yet: the link opens the pay step, which says how to pay otherwise.
    early = session_for(pay_only)
    assert early.status_code == 200 and "Online payment is not available yet" in early.text
    with db.unscoped("the business connects its payment account") as session:
        from frontdesk.models import Business

        business = session.get(Business, shop.business.id)
        business.processor_account = "acct_scoped"  # type: ignore[union-attr]
        business.charges_enabled = True  # type: ignore[union-attr]
    with db.session(shop.business.id) as session:
        make_invoice(session, shop.business, customer)
    opened = session_for(pay_only)
    assert opened.status_code == 200 and 'id="fd-pay' in opened.text
    assert 'href="#invoices"' not in opened.text  # no tabs to the rest of the account
    bearer = {"Authorization": f"Bearer {opened.headers['Frontdesk-Session']}"}
    home = httpx.get(f"{live_server.url}/portal/{key}/home", headers=bearer)
    assert home.status_code == 403 and "This link is for paying" in home.text
    assert httpx.get(f"{live_server.url}/portal/{key}/pay", headers=bearer).status_code == 200
    full = session_for(whole)
    bearer = {"Authorization": f"Bearer {full.headers['Frontdesk-Session']}"}
    assert httpx.get(f"{live_server.url}/portal/{key}/home", headers=bearer).status_code == 200
    assert api.post(f"/customers/{customer.id}/payment-links/revoke").status_code == 200
    for token in (pay_only, whole):
        assert session_for(token).status_code == 401
    assert httpx.get(f"{live_server.url}/portal/{key}/home", headers=bearer).status_code == 401
    assert session_for(token_of("portal")).status_code == 200  # a new link works
    api.close()


def test_an_invitation_arrives_over_smtp_and_its_link_opens_the_account(
    db: Database, settings: Settings, shop: NewBusiness
) -> None:
    with db.session(shop.business.id) as session:
        business = businesses.get(session, shop.business.id)
        customer = session.exec(select(Customer)).one()
        assert notices.invitation(
            session,
            business=business,
            customer=customer,
            links=Links.from_settings(settings),
            actor=audit.Actor(Initiator.STAFF, shop.owner.id),
        )
    port = free_port()
    controller, inbox = start_smtp(port)
    server = LiveServer(create_app(settings, db)).start()
    try:
        smtp = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}"})
        assert OutboxRunner(db, smtp).run_once() == 1
        [message] = inbox.messages
        assert message["Subject"] == f"Your account with {shop.business.name}"
        text = next(p for p in message.walk() if p.get_content_type() == "text/plain")
        token = re.search(r"#frontdesk=(\S+)", text.get_payload(decode=True).decode()).group(1)  # type: ignore[union-attr]
        opened = exchange(server, shop, token)
        assert opened.status_code == 200 and 'id="fd-home"' in opened.text
    finally:
        server.stop()
        controller.stop()


def test_signing_out_ends_that_session_everywhere_and_only_that_one(
    live_server: LiveServer, settings: Settings, db: Database, shop: NewBusiness
) -> None:
    with db.session(shop.business.id) as session:
        casey = make_customer(session, shop.business, name="Casey")
    key = shop.business.publishable_key
    # Past half its life, so that its next answer renews it.
    with signed_at(-settings.portal_session_seconds // 2 - 60):
        here = Portal(live_server, settings, shop.business, casey)
    with here, Portal(live_server, settings, shop.business, casey) as elsewhere:
        renewed = here.get("/home")
        assert renewed.status_code == 200
        # Both tokens this session has held: the first and its renewal.
        held = [
            here.client.headers["Authorization"],
            f"Bearer {renewed.headers['Frontdesk-Session']}",
        ]
        ended = here.client.post("/sign-out")
        assert ended.status_code == 200 and "data-fd-signed-out" in ended.text
        assert "Frontdesk-Session" not in ended.headers
        assert 'name="email"' in ended.text  # the email sign-in, for whoever comes next
        for token in held:
            headers = {"Authorization": token}
            refused = httpx.get(f"{live_server.url}/portal/{key}/home", headers=headers)
            assert refused.status_code == 401 and "signed out" in refused.text
            again = httpx.post(f"{live_server.url}/portal/{key}/sign-out", headers=headers)
            assert again.status_code == 401
        # Another session of the same customer (another device) goes on.
        assert elsewhere.get("/home").status_code == 200
    with db.session(shop.business.id) as session:
        recorded = session.exec(
            select(AuditEvent).where(AuditEvent.action == "customer.signed_out")
        ).all()
    assert [(e.actor_type, e.target_id) for e in recorded] == [("customer", casey.id)]


def test_a_mistyped_address_comes_back_in_the_form(
    live_server: LiveServer, db: Database, shop: NewBusiness
) -> None:
    with db.session(shop.business.id) as session:
        before = session.exec(select(SignInRequest)).all()
    answer = ask(live_server, shop, "casey.example.com")
    assert answer.status_code == 422
    assert "Enter your email address, like name@example.com." in answer.text
    assert 'value="casey.example.com" aria-invalid="true"' in answer.text
    with db.session(shop.business.id) as session:
        assert session.exec(select(SignInRequest)).all() == before
