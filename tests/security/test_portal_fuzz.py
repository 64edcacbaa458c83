"""Hypothesis throws arbitrary form input at the portal's forms: no 5xx, and input that is
refused changes nothing."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from frontdesk.app import create_app
from frontdesk.db import Database
from frontdesk.models import AuditEvent, Customer, Estimate, Payment
from frontdesk.services.links import Links
from frontdesk.settings import Settings
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer, make_invoice

TEXT = st.text(max_size=60)
FORMS = {
    "profile": ["email", "phone", "address_line1", "city", "postal_code", "country", "sms_consent"],
    "pay/summary": ["invoice", "tip", "amount"],
    "pay": ["invoice", "tip", "amount", "save_method", "consent"],
    "estimates/EST-101/decision": ["decision", "signer_name", "accept_terms", "reason"],
    "sign-in": ["email"],
    "sign-in/code": ["email", "code"],
}


class Portal:
    def __init__(self, url: str, key: str, session: str) -> None:
        self.client = httpx.Client(
            base_url=f"{url}/portal/{key}", headers={"Authorization": f"Bearer {session}"}
        )


@pytest.fixture(scope="module")
def stage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Portal, Database, str]]:
    from datetime import date, timedelta

    from frontdesk import migrations  # type: ignore[attr-defined]
    from frontdesk.services import estimates
    from frontdesk.services.lines import LineInput
    from tests.conftest import TEST_KEYS

    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}"
    migrations.upgrade(url)
    db = Database(url)
    made = make_business(db, processor_account="acct_fuzz", tips_enabled=True)
    with db.session(made.business.id) as session:
        customer = make_customer(session, made.business)
        make_invoice(session, made.business, customer)
        estimates.create(
            session,
            business=made.business,
            customer=customer,
            lines=[LineInput("Patio", 10000)],
            issue_date=date.today(),
            expires_on=date.today() + timedelta(days=30),
            send=True,
        )
    # A processor that does not answer: payment forms must say so, not fail.
    configured = Settings(
        environment="test",
        secret_key=TEST_KEYS,
        run_jobs=False,
        stripe_secret_key="sk_test_fuzz",
        stripe_api_base="http://127.0.0.1:9",
    )
    server = LiveServer(create_app(configured, db)).start()
    token = Links(TEST_KEYS).session(customer, "ses_fuzz")
    visitor = Portal(server.url, made.business.publishable_key, token)
    yield visitor, db, made.business.id
    visitor.client.close()
    server.stop()
    db.dispose()


def snapshot(db: Database, business_id: str) -> tuple[object, ...]:
    with db.session(business_id) as session:
        customer = session.exec(select(Customer)).one()
        estimate = session.exec(select(Estimate)).one()
        return (
            customer.model_dump(),
            (estimate.status, estimate.signer_name),
            len(session.exec(select(Payment)).all()),
            len(session.exec(select(AuditEvent)).all()),
        )


@pytest.mark.parametrize("form", sorted(FORMS))
def test_no_form_input_breaks_the_portal_or_changes_it_when_refused(
    stage: tuple[Portal, Database, str], form: str
) -> None:
    client, db, business_id = stage

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.fixed_dictionaries({}, optional={name: TEXT for name in FORMS[form]}))
    def check(data: dict[str, str]) -> None:
        before = snapshot(db, business_id)
        answer = client.client.post(f"/{form}", data=data)
        # 503 is the processor being away (it is, here), said in words; any other 5xx is a bug.
        down = answer.status_code == 503 and "Payments are unavailable" in answer.text
        assert answer.status_code < 500 or down, (form, data, answer.text[:300])
        if answer.status_code >= 400:
            assert snapshot(db, business_id) == before, (form, data)

    check()
