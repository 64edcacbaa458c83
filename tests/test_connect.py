"""A business connects its own Stripe account: from the dashboard through the sandbox's onboarding
and sign-in pages over real HTTP, kept current by signed webhooks, refused when the way back is
forged or another business's, and from the command line and the API."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlmodel import select

from frontdesk.jobs import OutboxRunner
from frontdesk.models import AuditEvent, Business, OutboxItem
from frontdesk.services import businesses, connect, portal
from frontdesk.services.businesses import NewBusiness
from frontdesk.services.links import Links
from frontdesk.tokens import Purpose
from tests.conftest import csrf_field
from tests.factories import make_business, make_customer, make_invoice
from tests.flow import SECRET, WEBHOOK_SECRET, Flow
from tests.interleave import together
from tests.test_app import sign_in
from tests.test_cli import run
from tests.test_dashboard import add_manager

pytest_plugins = ["tests.flow"]
BUSINESS_LOCK = "UPDATE business SET charges_enabled"
# Flows whose database work PostgreSQL adds nothing to run on SQLite alone; the races, refusals and
# isolation stay on both (the suite's time is bounded).
SQLITE_ONLY = pytest.mark.parametrize("owner_database_url", ["sqlite"], indirect=True)


@dataclass
class Owner:
    """A business made without an account (as `frontdesk business create` makes one), and its
    owner signed in to the dashboard."""

    flow: Flow
    made: NewBusiness
    desk: httpx.Client
    back: str = ""  # where Stripe last sent the owner back to

    @property
    def business(self) -> Business:
        with self.flow.db.session(self.made.business.id) as session:
            return businesses.get(session, self.made.business.id)

    def post(self, path: str, **data: str) -> httpx.Response:
        token = csrf_field(self.desk.get("/dashboard/settings").text)
        return self.desk.post(path, data={"csrf_token": token, **data})

    def onboard(self, choice: str, kind: str = "express") -> httpx.Response:
        """Connect Stripe, choose at the sandbox's onboarding page, and come back."""
        leaving = self.post("/dashboard/connect", kind=kind)
        assert leaving.status_code == 303, leaving.text
        stripe_page = leaving.headers["location"]
        assert stripe_page.startswith(f"{self.flow.settings.stripe_api_base}/connect/onboarding/")
        assert httpx.get(stripe_page).status_code == 200
        back = httpx.post(stripe_page, data={"choice": choice})
        assert back.status_code == 303
        self.back = back.headers["location"]
        return self.desk.get(self.back)

    def emails(self) -> list[dict[str, str]]:
        with self.flow.db.session(self.made.business.id) as session:
            rows = session.exec(select(OutboxItem).where(OutboxItem.kind == "email")).all()
            return [row.payload for row in rows]

    def audit(self, action: str) -> list[AuditEvent]:
        with self.flow.db.session(self.made.business.id) as session:
            return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)))


def _owner(flow: Flow) -> Iterator[Owner]:
    made = make_business(flow.db, name="Willow Pools")
    with httpx.Client(base_url=flow.app.url) as desk:
        assert sign_in(desk, made.owner.email).status_code in (200, 303)
        yield Owner(flow, made, desk)


@pytest.fixture
def owner(flow: Flow) -> Iterator[Owner]:
    yield from _owner(flow)


@pytest.fixture
def rival(flow: Flow) -> Iterator[Owner]:
    yield from _owner(flow)


def wait_for(owner: Owner, check: object, what: str) -> None:
    owner.flow.wait(lambda: check(owner.business), what)  # type: ignore[operator]


def test_a_new_business_connects_from_the_dashboard_and_its_customers_can_pay(
    owner: Owner,
) -> None:
    before = owner.desk.get("/dashboard/settings").text
    assert "Not connected: customers cannot pay online yet." in before
    assert not portal.payments_on(owner.business)

    page = owner.onboard("submit")

    assert page.status_code == 200
    assert "Connected: customers can pay online." in page.text
    business = owner.business
    assert business.charges_enabled and business.processor_account
    assert connect.status(business).payouts_enabled
    assert portal.payments_on(business)
    assert [e.detail["account"] for e in owner.audit("processor.connected")] == [
        business.processor_account
    ]
    stripe_side = owner.flow.processor.retrieve_account(str(business.processor_account))
    assert stripe_side.type == "express" and stripe_side.charges_enabled
    # Stripe's webhook about the same change arrives too, and agrees.
    owner.flow.wait(
        lambda: any(
            e["type"] == "account.updated" and e.get("account") == business.processor_account
            for e in owner.flow.store.events[: owner.flow.store.delivered]
        ),
        "the account.updated webhook",
    )
    assert owner.business.charges_enabled


@SQLITE_ONLY
def test_with_requirements_due_the_portal_says_how_to_pay_instead(owner: Owner) -> None:
    page = owner.onboard("incomplete")

    assert "Stripe needs more information" in page.text
    assert "an identity document" in page.text
    assert "Finish setup with Stripe" in page.text
    business = owner.business
    assert not business.charges_enabled and business.processor_account
    assert not portal.payments_on(business)

    # The customer's pay step says so, with the business's contact, instead of a missing page.
    with owner.flow.db.session(business.id) as session:
        customer = make_customer(session, business)
        make_invoice(session, business, customer, amounts=(12000,))
    embed = Links.from_settings(owner.flow.settings).token(Purpose.EMBED, customer)
    at = f"{owner.flow.app.url}/portal/{business.publishable_key}"
    opened = httpx.post(f"{at}/session", data={"token": embed})
    assert opened.status_code == 200, opened.text
    bearer = {"Authorization": f"Bearer {opened.headers['Frontdesk-Session']}"}
    assert "Online payment is not available yet" in opened.text  # on the home view too
    pay = httpx.get(f"{at}/pay", headers=bearer)
    assert pay.status_code == 200
    assert "Online payment is not available yet" in pay.text
    assert f"mailto:{owner.made.owner.email}" in pay.text
    assert "card-element" not in pay.text and "Continue to payment" not in pay.text

    # Once Stripe has what it asked for, its webhook turns payments on at once.
    owner.flow.store.provide_information(str(business.processor_account))
    wait_for(owner, lambda b: b.charges_enabled, "account.updated to enable charges")


def test_charges_paused_by_stripe_stop_payments_and_tell_the_owner(owner: Owner) -> None:
    owner.onboard("submit")
    account = str(owner.business.processor_account)

    owner.flow.store.require_information(account)
    wait_for(owner, lambda b: not b.charges_enabled, "account.updated to pause charges")

    assert not portal.payments_on(owner.business)
    told = [m for m in owner.emails() if "cannot pay online right now" in m["subject"]]
    assert [m["to"] for m in told] == [owner.made.owner.email]
    assert len(owner.audit("processor.charges_disabled")) == 1


def test_a_webhook_and_a_check_now_arriving_together_tell_the_owner_once(owner: Owner) -> None:
    owner.onboard("submit")
    flow, business_id = owner.flow, owner.made.business.id
    account = str(owner.business.processor_account)
    # Stripe pauses charges; its webhook is held back so both paths see the change first.
    flow.store.delivered = len(flow.store.events) + 1_000_000  # nothing more goes out
    flow.store.require_information(account)

    def by_webhook() -> None:
        with flow.db.session(business_id) as session:
            found = businesses.get(session, business_id)
            connect.on_event(session, business=found, processor=flow.processor)

    def by_owner() -> None:
        with flow.db.session(business_id) as session:
            found = businesses.get(session, business_id)
            connect.check(session, business=found, processor=flow.processor)

    together(flow.db.engine, by_webhook, by_owner, marker=BUSINESS_LOCK)

    assert not owner.business.charges_enabled
    assert len([m for m in owner.emails() if "cannot pay online" in m["subject"]]) == 1
    assert len(owner.audit("processor.charges_disabled")) == 1


def _state_of(location: str) -> str:
    return parse_qs(urlsplit(location).query)["state"][0]


def test_a_forged_or_foreign_way_back_changes_nothing(owner: Owner, rival: Owner) -> None:
    owner.onboard("incomplete")
    rival.onboard("submit")
    before = owner.business

    forged = owner.desk.get("/dashboard/connect/return", params={"state": "forged.token.value"})
    assert "is not valid; nothing changed" in forged.text

    # The rival's own link back (a real state token, for another business) is refused.
    theirs = rival.post("/dashboard/connect", kind="express").headers["location"]
    link = httpx.get(theirs, follow_redirects=False)
    assert link.status_code == 200
    rival_back = httpx.post(theirs, data={"choice": "leave"}).headers["location"]
    foreign = owner.desk.get(rival_back.replace(rival.flow.app.url, ""))
    assert "made for another business; nothing changed" in foreign.text
    again = owner.desk.get("/dashboard/connect/again", params={"state": _state_of(rival_back)})
    assert "made for another business" in again.text

    after = owner.business
    assert (after.processor_account, after.charges_enabled, after.processor_status) == (
        before.processor_account,
        before.charges_enabled,
        before.processor_status,
    )


def test_a_link_back_for_an_account_let_go_is_refused(owner: Owner) -> None:
    leaving = owner.post("/dashboard/connect", kind="express").headers["location"]
    back = httpx.post(leaving, data={"choice": "submit"}).headers["location"]
    assert owner.post("/dashboard/connect/disconnect").status_code == 200
    assert owner.business.processor_account is None

    stale = owner.desk.get(back.replace(owner.flow.app.url, ""))

    assert "no longer uses; nothing changed" in stale.text
    assert owner.business.processor_account is None and not owner.business.charges_enabled


@SQLITE_ONLY
def test_an_expired_onboarding_link_sends_the_owner_through_a_fresh_one(owner: Owner) -> None:
    leaving = owner.post("/dashboard/connect", kind="standard").headers["location"]
    httpx.post(leaving, data={"choice": "leave"})  # used: Stripe links work once
    refreshed = httpx.get(leaving)
    assert refreshed.status_code == 303
    fresh = owner.desk.get(refreshed.headers["location"].replace(owner.flow.app.url, ""))

    assert fresh.status_code == 303
    new_page = fresh.headers["location"]
    assert new_page != leaving and "/connect/onboarding/" in new_page
    back = httpx.post(new_page, data={"choice": "submit"}).headers["location"]
    assert "Connected" in owner.desk.get(back.replace(owner.flow.app.url, "")).text
    assert connect.status(owner.business).kind == "standard"


def _sign_in_at_stripe(owner: Owner, choice: str) -> httpx.Response:
    leaving = owner.post("/dashboard/connect/existing")
    assert leaving.status_code == 303
    authorize = leaving.headers["location"]
    assert "/oauth/authorize?" in authorize and "client_id=ca_flow" in authorize
    back = httpx.post(authorize, data={"choice": choice})
    assert back.status_code == 303
    return owner.desk.get(back.headers["location"].replace(owner.flow.app.url, ""))


@SQLITE_ONLY
def test_an_owner_links_a_stripe_account_they_already_have(owner: Owner) -> None:
    page = _sign_in_at_stripe(owner, "create")

    assert "Connected: customers can pay online." in page.text
    status = connect.status(owner.business)
    assert status.linked and status.kind == "standard" and status.charges_enabled

    # Disconnecting a linked account lets it go at Stripe too.
    account = status.account
    owner.post("/dashboard/connect/disconnect")
    assert owner.flow.store.revoked(account)
    assert owner.business.processor_account is None


def test_an_account_of_another_business_or_a_refusal_at_stripe_links_nothing(
    owner: Owner, rival: Owner
) -> None:
    _sign_in_at_stripe(rival, "create")
    taken = str(rival.business.processor_account)

    page = _sign_in_at_stripe(owner, taken)
    assert "connected to another business; nothing changed" in page.text
    assert owner.business.processor_account is None
    assert rival.business.processor_account == taken

    denied = _sign_in_at_stripe(owner, "deny")
    assert "it was cancelled there" in denied.text
    assert owner.business.processor_account is None


def test_an_account_that_revokes_access_is_disconnected_and_the_owner_told(
    owner: Owner,
) -> None:
    owner.onboard("submit")
    account = str(owner.business.processor_account)

    owner.flow.store.revoke(account)
    wait_for(owner, lambda b: b.processor_account is None, "the deauthorization webhook")

    assert not owner.business.charges_enabled
    assert [e.detail["reason"] for e in owner.audit("processor.disconnected")] == ["deauthorized"]
    assert any("was disconnected" in m["subject"] for m in owner.emails())
    # Stripe's later events about it are acknowledged and change nothing.
    late = owner.flow.post_event(
        {
            "id": "evt_after_revoke",
            "object": "event",
            "type": "account.updated",
            "account": account,
            "data": {"object": {"id": account, "object": "account"}},
        }
    )
    assert late.status_code == 200
    assert owner.business.processor_account is None
    # Nor can the way back from its onboarding bring it back, or Stripe's sign-in link it again.
    assert "no longer uses; nothing changed" in owner.desk.get(owner.back).text
    assert owner.business.processor_account is None
    assert (
        account not in httpx.get(owner.post("/dashboard/connect/existing").headers["location"]).text
    )


def test_reconciliation_disconnects_an_account_whose_webhook_never_came(owner: Owner) -> None:
    owner.onboard("submit")
    flow = owner.flow
    flow.store.delivered = len(flow.store.events) + 1_000_000  # Stripe's webhooks are lost
    flow.store.revoke(str(owner.business.processor_account))

    OutboxRunner(flow.db, flow.settings, processor=flow.processor).reconcile()

    assert owner.business.processor_account is None
    assert [e.detail["reason"] for e in owner.audit("processor.disconnected")] == ["deauthorized"]


@SQLITE_ONLY
def test_only_owners_connect(owner: Owner) -> None:
    manager = add_manager(owner.flow.db, owner.made)
    with httpx.Client(base_url=owner.flow.app.url) as desk:
        sign_in(desk, manager)
        token = csrf_field(desk.get("/dashboard/settings").text)
        refused = desk.post("/dashboard/connect", data={"csrf_token": token, "kind": "express"})
    assert refused.status_code == 403
    assert owner.business.processor_account is None


@SQLITE_ONLY
def test_the_cli_prints_the_link_and_reports_the_result(owner: Owner) -> None:
    settings = owner.flow.settings
    env = {
        "database_url": owner.flow.db.url,
        "secret_key": ",".join(settings.secret_key),
        "base_url": settings.base_url,
        "stripe_secret_key": SECRET,
        "stripe_api_base": settings.stripe_api_base,
        "stripe_webhook_secret": WEBHOOK_SECRET,
        "environment": "test",
    }
    business = ("--business", owner.made.business.id)

    wrong = run("business", "connect", *business, "--type", "premium", **env)
    assert wrong.returncode == 1
    assert wrong.stderr == "frontdesk: Choose Express or Standard.\n"
    assert not owner.business.processor_account

    started = run("business", "connect", *business, **env)
    assert started.returncode == 1, started.stderr
    link = re.search(r"https?://\S+/connect/onboarding/\S+", started.stdout)
    assert link, started.stdout
    assert "Setup not finished" in started.stdout

    httpx.post(link.group(0), data={"choice": "submit"})
    done = run("business", "connect", *business, "--status", **env)
    assert done.returncode == 0, done.stderr
    assert "Connected: customers can pay online." in done.stdout

    fee = run("business", "fee", *business, "--percent", "1.5", "--fixed", "0.30", **env)
    assert fee.returncode == 0, fee.stderr
    assert "1.5% + $0.30" in fee.stdout
    assert (owner.business.fee_basis_points, owner.business.fee_fixed) == (150, 30)


@SQLITE_ONLY
def test_the_api_shows_the_account_and_makes_onboarding_links(owner: Owner) -> None:
    with httpx.Client(
        base_url=f"{owner.flow.app.url}/api/v1",
        headers={"Authorization": f"Bearer {owner.made.secret_api_key}"},
    ) as api:
        _account_through(api, owner)


def _account_through(api: httpx.Client, owner: Owner) -> None:
    before = api.get("/processor-account").json()
    assert before["account"] is None and before["charges_enabled"] is False

    made = api.post("/processor-account/onboarding-links", json={"type": "express"})
    assert made.status_code == 201, made.text
    httpx.post(made.json()["url"], data={"choice": "submit"})
    owner.flow.wait(
        lambda: api.get("/processor-account").json()["charges_enabled"],
        "the account.updated webhook",
    )
    after = api.get("/processor-account").json()
    assert after["account"] == made.json()["account"] and after["payouts_enabled"]

    bad = api.post("/processor-account/onboarding-links", json={"type": "custom"})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
