"""The demo's sample website is the example businesses copy: it asks our API for a fresh portal
token on every visit, with its own secret key, so what the dashboard changes shows at once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from frontdesk import demo
from frontdesk.app import create_app
from frontdesk.db import Database
from frontdesk.models import Business, Initiator
from frontdesk.sample_site import create_app as create_sample_site
from frontdesk.services import audit, businesses, customers
from frontdesk.settings import Settings
from tests.conftest import LiveServer


@dataclass
class Demo:
    portal: LiveServer
    site: LiveServer
    seeded: demo.Demo
    key_file: Path

    def token(self, path: str = "/account") -> str:
        page = httpx.get(f"{self.site.url}{path}")
        assert page.status_code == 200
        if path.endswith("frontdesk-token"):
            return page.text
        found = re.search(r'<frontdesk-portal business="pk_\w+" token="([^"]*)"', page.text)
        assert found, page.text
        return found[1]

    def opens(self, token: str) -> bool:
        key = self.seeded.business.publishable_key
        opened = httpx.post(f"{self.portal.url}/portal/{key}/session", data={"token": token})
        return opened.status_code == 200 and "fd-shell" in opened.text


@pytest.fixture
def sample(db: Database, settings: Settings, tmp_path: Path) -> Iterator[Demo]:
    portal, site = LiveServer(), LiveServer()
    settings = settings.model_copy(update={"base_url": portal.url})
    seeded = demo.ensure(db, sample_site_origin=site.url)
    key_file = tmp_path / "sample_site_api_key"
    key = demo.sample_site_key(db, seeded.business, key_file)
    portal.start(create_app(settings, db))
    site.start(create_sample_site(settings, seeded.business, seeded.signed_in_customer, key))
    yield Demo(portal, site, seeded, key_file)
    site.stop()
    portal.stop()


def change(db: Database, sample: Demo, *, links: bool = False, access: bool | None = None) -> None:
    business_id = sample.seeded.business.id
    with db.session(business_id) as session:
        business = session.get(Business, business_id)
        assert business is not None
        customer = customers.get(
            session, business=business, customer_id=sample.seeded.signed_in_customer.id
        )
        actor = audit.Actor(Initiator.STAFF, "stf_owner", "127.0.0.1")
        if links:
            customers.revoke_links(
                session, business=business, customer=customer, actor=actor, renewed=True
            )
        if access is not None:
            customers.update(
                session,
                business=business,
                customer=customer,
                changes={"portal_enabled": access},
                actor=actor,
            )


def test_each_visit_mints_a_token_the_dashboard_has_not_ended(db: Database, sample: Demo) -> None:
    before = sample.token()
    assert sample.opens(before)
    # "Make new links" in the dashboard: the old token is refused, the next visit's works.
    change(db, sample, links=True)
    assert not sample.opens(before)
    assert sample.opens(sample.token()) and sample.opens(sample.token("/account/frontdesk-token"))
    # Access off: the site gets no token (the portal offers its email sign-in); back on, it does.
    change(db, sample, access=False)
    assert sample.token() == ""
    change(db, sample, access=True)
    assert sample.opens(sample.token())


def test_the_site_keeps_its_key_and_replaces_a_revoked_one(db: Database, sample: Demo) -> None:
    kept = sample.key_file.read_text()
    business = sample.seeded.business
    assert demo.sample_site_key(db, business, sample.key_file) == kept
    with db.session(business.id) as session:
        (listed,) = [k for k in businesses.api_keys(session) if k.name == "Sample website"]
        businesses.revoke_api_key(session, listed.id)
    renewed = demo.sample_site_key(db, business, sample.key_file)
    assert renewed != kept and sample.key_file.read_text() == renewed
