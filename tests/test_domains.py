"""A business's own address for its hosted portal: refused names, the two DNS records (asked of a
real DNS server on loopback), the host serving that business's portal and nothing else, Caddy's
`ask` endpoint, and the daily re-check turning a dangling address off."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from sqlmodel import select

from frontdesk.app import create_app
from frontdesk.db import Database
from frontdesk.jobs import OutboxRunner
from frontdesk.models import Business, CustomDomain, OutboxItem, utcnow
from frontdesk.resolver import DnsResolver
from frontdesk.services import businesses, domains
from frontdesk.services.businesses import NewBusiness
from frontdesk.services.errors import Invalid
from frontdesk.services.links import Links
from frontdesk.settings import Settings
from tests.conftest import LiveServer
from tests.dns_server import DnsServer
from tests.factories import make_business
from tests.interleave import together
from tests.security.state import state_of
from tests.test_dashboard import Desk

TARGET = "portal.frontdesk.test"
HOST = "account.willow.test"
# Flows whose database work PostgreSQL adds nothing to run on SQLite alone; another business's
# address, the host's isolation and the two processes' race stay on both.
SQLITE_ONLY = pytest.mark.parametrize("owner_database_url", ["sqlite"], indirect=True)


@dataclass
class Stage:
    db: Database
    settings: Settings
    server: LiveServer
    dns: DnsServer
    made: NewBusiness
    desk: Desk

    def get(self, path: str, host: str = HOST, **headers: str) -> httpx.Response:
        return httpx.get(f"{self.server.url}{path}", headers={"Host": host, **headers})

    def business(self, made: NewBusiness | None = None) -> Business:
        made = made or self.made
        with self.db.session(made.business.id) as session:
            return businesses.get(session, made.business.id)

    def domain(self) -> CustomDomain:
        with self.db.session(self.made.business.id) as session:
            found = domains.current(session)
            assert found is not None
            return found

    def publish(self, host: str = HOST, target: str = TARGET) -> None:
        """The owner creates both records at their DNS provider."""
        self.dns.records[(f"_frontdesk.{host}", "TXT")] = [
            f"frontdesk-verify={self.domain().token}"
        ]
        self.dns.records[(host, "CNAME")] = [target]

    def emails(self) -> list[dict[str, str]]:
        with self.db.session(self.made.business.id) as session:
            rows = session.exec(select(OutboxItem).where(OutboxItem.kind == "email")).all()
            return [row.payload for row in rows]

    def runner(self) -> OutboxRunner:
        return OutboxRunner(self.db, self.settings, resolver=DnsResolver((self.dns.address,)))


@pytest.fixture
def stage(db: Database, settings: Settings) -> Iterator[Stage]:
    dns_server = DnsServer()
    configured = settings.model_copy(
        update={"custom_domain_target": TARGET, "dns_servers": (dns_server.address,)}
    )
    server = LiveServer(create_app(configured, db)).start()
    made = make_business(db, name="Willow Pools")
    desk = Desk(server.url, made.owner.email)
    yield Stage(db, configured, server, dns_server, made, desk)
    desk.close()
    server.stop()
    dns_server.close()


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("203.0.113.7", "IP address"),
        ("*.willow.test", "Wildcards"),
        ("a" * 63 + "." + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + ".e" * 25, "not a valid"),
        ("willow.test", "Use a subdomain"),
        ("willow.co.uk", "Use a subdomain"),
        ("www.willow.test", "www is usually your website"),
        ("https://account.willow.test/portal", "just the address"),
        ("account.frontdesk.example", "our address"),
        ("acc_ount.willow.test", "not a valid"),
        ("", "Enter the address"),
    ],
)
def test_names_that_cannot_be_an_address_are_refused_in_words(typed: str, why: str) -> None:
    with pytest.raises(Invalid) as refused:
        domains.normalise(typed, platform="frontdesk.example")
    assert why in refused.value.fields["hostname"]


def test_names_are_kept_as_dns_has_them() -> None:
    assert domains.normalise(" Account.Willow.TEST. ", platform="x.example") == HOST
    assert domains.normalise("konto.bücher.example", platform="x.example") == (
        "konto.xn--bcher-kva.example"
    )
    assert domains.normalise("pay.willow.co.uk", platform="x.example") == "pay.willow.co.uk"


@SQLITE_ONLY
def test_an_owner_adds_an_address_creates_the_records_and_it_shows_the_portal(
    stage: Stage,
) -> None:
    added = stage.desk.post("/domains", {"hostname": HOST})
    assert added.status_code == 200
    token = stage.domain().token
    assert f"_frontdesk.{HOST}" in added.text and f"frontdesk-verify={token}" in added.text
    assert TARGET in added.text and "Waiting for the records" in added.text
    # Added, not verified: the host serves nothing yet.
    assert stage.get("/").status_code == 404

    early = stage.desk.post("/domains/check")
    assert "TXT record" in early.text and "missing" in early.text
    assert stage.business().portal_domain is None

    stage.publish()
    done = stage.desk.post("/domains/check")

    assert "shows your portal" in done.text
    assert stage.business().portal_domain == HOST
    page = stage.get("/")
    assert page.status_code == 200
    assert f'business="{stage.made.business.publishable_key}"' in page.text
    assert stage.get("/widget/frontdesk.js").status_code == 200
    # Emailed links now open the portal at the business's own address.
    assert Links.from_settings(stage.settings).portal_page(stage.business()) == f"http://{HOST}/"


def test_the_address_shows_only_its_own_business_and_only_the_portal(stage: Stage) -> None:
    other = make_business(stage.db, name="Other Co")
    stage.desk.post("/domains", {"hostname": HOST})
    stage.publish()
    stage.desk.post("/domains/check")

    for path in (
        f"/p/{other.business.slug}",
        f"/portal/{other.business.publishable_key}/home",
        f"/p/{stage.made.business.slug}",
        "/api/v1/customers",
        "/dashboard/sign-in",
        "/internal/domains/allow?domain=" + HOST,
    ):
        assert stage.get(path).status_code == 404, path
    own = stage.get(f"/portal/{stage.made.business.publishable_key}/home")
    assert own.status_code == 401  # the business's own fragments: there, and asking for a session
    # A host that is nobody's address is our own server, as before.
    assert stage.get("/healthz", host="elsewhere.example").status_code == 200


def test_another_business_cannot_take_the_address_and_nothing_changes(stage: Stage) -> None:
    stage.desk.post("/domains", {"hostname": HOST})
    rival = make_business(stage.db, name="Rival Pools")
    desk = Desk(stage.server.url, rival.owner.email)
    before = state_of(stage.db)

    refused = desk.post("/domains", {"hostname": HOST.upper()})

    assert refused.status_code == 422
    assert "already connected to another business" in refused.text
    assert f'value="{HOST.upper()}"' in refused.text  # what was typed comes back
    assert state_of(stage.db) == before
    desk.close()


@SQLITE_ONLY
def test_bad_names_come_back_with_the_reason_and_change_nothing(stage: Stage) -> None:
    before = state_of(stage.db)
    for typed, why in (("10.0.0.1", "IP address"), ("*.willow.test", "Wildcards")):
        answer = stage.desk.post("/domains", {"hostname": typed})
        assert answer.status_code == 422 and why in answer.text
    assert stage.desk.post("/domains", {"hostname": "x" * 300 + ".test"}).status_code == 422
    assert state_of(stage.db) == before


@SQLITE_ONLY
def test_caddy_may_ask_only_about_verified_addresses_and_only_from_inside(
    stage: Stage, db: Database
) -> None:
    def ask(host: str, **headers: str) -> int:
        url = f"{stage.server.url}/internal/domains/allow"
        return httpx.get(url, params={"domain": host}, headers=headers).status_code

    stage.desk.post("/domains", {"hostname": HOST})
    assert ask(HOST) == 404  # pending
    stage.publish()
    stage.desk.post("/domains/check")
    assert ask(HOST) == 200
    assert ask(HOST.upper() + ".") == 200
    assert ask("unknown.willow.test") == 404
    # From outside (a public client named by the trusted proxy): told nothing.
    assert ask(HOST, **{"X-Forwarded-For": "93.184.216.34"}) == 404


def test_the_daily_recheck_turns_a_dangling_address_off_and_tells_the_owner(stage: Stage) -> None:
    stage.desk.post("/domains", {"hostname": HOST})
    stage.publish()
    stage.desk.post("/domains/check")
    checked = stage.domain().last_checked_at
    assert checked is not None

    # Not due yet: nothing is asked.
    assert stage.runner().recheck_domains(checked + timedelta(hours=20)) == 0
    # The owner moved the name elsewhere (a dangling record, open to takeover).
    stage.dns.records[(HOST, "CNAME")] = ["old-host.herokudns.example"]
    assert stage.runner().recheck_domains(checked + timedelta(days=1)) == 1

    assert stage.domain().status == "failing"
    assert stage.business().portal_domain is None
    assert stage.get("/").status_code == 404
    [told] = [m for m in stage.emails() if "no longer shows your portal" in m["subject"]]
    assert told["to"] == stage.made.owner.email and "old-host.herokudns.example" in told["text"]

    # Put back, the next look turns it on again.
    stage.publish()
    assert stage.runner().recheck_domains(checked + timedelta(days=2)) == 1
    assert stage.get("/").status_code == 200


@SQLITE_ONLY
def test_dns_out_of_reach_turns_nothing_off(stage: Stage) -> None:
    stage.desk.post("/domains", {"hostname": HOST})
    stage.publish()
    stage.desk.post("/domains/check")
    stage.dns.close()
    quiet = OutboxRunner(stage.db, stage.settings, resolver=DnsResolver((stage.dns.address,), 0.3))

    quiet.recheck_domains(utcnow() + timedelta(days=1))

    assert stage.domain().status == "verified" and stage.business().portal_domain == HOST
    assert "could not reach DNS" in stage.domain().last_error


def test_two_processes_rechecking_together_tell_the_owner_once(stage: Stage) -> None:
    stage.desk.post("/domains", {"hostname": HOST})
    stage.publish()
    stage.desk.post("/domains/check")
    del stage.dns.records[(HOST, "CNAME")]
    later = utcnow() + timedelta(days=1)
    runners = stage.runner(), stage.runner()

    looked = together(
        stage.db.engine,
        *(lambda r=r: r.recheck_domains(later) for r in runners),  # type: ignore[misc]
        marker="UPDATE custom_domain SET status",
    )

    assert sorted(looked) == [0, 1]
    assert len([m for m in stage.emails() if "no longer shows" in m["subject"]]) == 1


@SQLITE_ONLY
def test_removing_the_address_stops_it_at_once(stage: Stage) -> None:
    stage.desk.post("/domains", {"hostname": HOST})
    stage.publish()
    stage.desk.post("/domains/check")

    removed = stage.desk.post("/domains/remove")

    assert "Removed" in removed.text
    assert stage.get("/").status_code != 200
    assert stage.business().portal_domain is None
    with stage.db.unscoped("the address is free for anyone now") as session:
        assert session.exec(select(CustomDomain)).all() == []
