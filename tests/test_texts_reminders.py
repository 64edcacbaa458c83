"""Payment reminders by text with the clock moved: beside each email, once per (invoice, kind), with
the pay link, only to customers who agreed, never after a STOP, and none unless the business turns
them on; and the dashboard's side: the settings switch, the customer card's "text the pay link"
button (refused with the reason, audited) and the Texts page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from frontdesk.db import Database
from frontdesk.models import AuditEvent, Customer, Initiator, InvoiceReminder, TextStatus
from frontdesk.services import audit, businesses, reminders, texts
from frontdesk.services.businesses import NewBusiness
from frontdesk.services.links import Links
from frontdesk.settings import Settings
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer, make_invoice
from tests.test_dashboard import Desk
from tests.texts_bed import E164, Bed, texts_bed

STAFF = audit.Actor(Initiator.STAFF, "staff_1")
ZONE = "America/New_York"
ISSUED, DUE = date(2028, 3, 1), date(2028, 3, 15)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(ZONE)).astimezone(UTC)


@pytest.fixture
def bed(db: Database, settings: Settings, tmp_path: Path) -> Iterator[Bed]:
    with texts_bed(db, settings, tmp_path / "texts.json") as made:
        with db.session(made.made.business.id) as session:
            business = businesses.get(session, made.made.business.id)
            business.time_zone = ZONE
        yield made


def by_text(bed: Bed, on: bool = True) -> list[str]:
    wanted = reminders.ReminderSettings(True, "3", True, True, "3, 7", by_text=on)
    with bed.db.session(bed.made.business.id) as session:
        business = businesses.get(session, bed.made.business.id)
        return reminders.update_settings(session, business, wanted, STAFF)


def invoice(bed: Bed, customer: Customer) -> str:
    with bed.db.session(bed.made.business.id) as session:
        made = make_invoice(
            session, bed.made.business, customer, amounts=(12000,), issue_date=ISSUED, due_date=DUE
        )
        return made.id


def run(bed: Bed, now: datetime) -> int:
    return reminders.remind_due(bed.db, Links.from_settings(bed.settings), now)


def decided(bed: Bed, invoice_id: str) -> list[tuple[str, bool, str]]:
    with bed.db.session(bed.made.business.id) as session:
        rows = session.exec(
            select(InvoiceReminder)
            .where(InvoiceReminder.invoice_id == invoice_id)
            .order_by(col(InvoiceReminder.due_at), col(InvoiceReminder.kind))
        )
        return [(r.kind, r.sent, r.reason) for r in rows]


def test_each_reminder_goes_by_text_too_once_with_the_pay_link(bed: Bed) -> None:
    assert by_text(bed) == ["reminders_after_days", "reminders_by_text"]
    casey = bed.customer()
    made = invoice(bed, casey)
    for day in (date(2028, 3, n) for n in range(10, 25)):
        for hour in (8, 10, 18):
            run(bed, at(day, hour))
    assert decided(bed, made) == [
        ("before", True, ""),
        ("text:before", True, ""),
        ("due", True, ""),
        ("text:due", True, ""),
        ("after:3", True, ""),
        ("text:after:3", True, ""),
        ("after:7", True, ""),
        ("text:after:7", True, ""),
    ]
    queued = bed.texts(casey)
    assert [t.purpose for t in queued] == [
        "reminder:before",
        "reminder:due",
        "reminder:after:3",
        "reminder:after:7",
    ]
    assert (
        "invoice INV-" in queued[0].body
        and "$120.00 still due) is due on March 15" in queued[0].body
    )
    assert all(
        "#frontdesk=" in t.body and t.body.endswith("Reply STOP to opt out.") for t in queued
    )
    assert bed.send() == 4
    assert [m["to"] for m in bed.sent_by_standin()] == [E164] * 4
    assert all(t.status != TextStatus.QUEUED for t in bed.texts(casey))


def test_no_text_without_consent_and_none_after_a_stop_while_email_goes_on(bed: Bed) -> None:
    by_text(bed)
    casey, quiet = bed.customer(), bed.customer(sms_consent=False, sms_consent_text="")
    casey_invoice, quiet_invoice = invoice(bed, casey), invoice(bed, quiet)
    run(bed, at(date(2028, 3, 12)))
    assert bed.send() == 1
    bed.reply("STOP")
    assert not bed.fresh(casey).sms_consent
    run(bed, at(DUE))
    assert bed.send() == 0
    assert len(bed.sent_by_standin()) == 1
    assert decided(bed, casey_invoice)[2:] == [
        ("due", True, ""),
        ("text:due", False, "no text consent"),
    ]
    assert decided(bed, quiet_invoice) == [
        ("before", True, ""),
        ("text:before", False, "no text consent"),
        ("due", True, ""),
        ("text:due", False, "no text consent"),
    ]


def test_with_text_reminders_off_no_text_is_decided(bed: Bed) -> None:
    casey = bed.customer()
    made = invoice(bed, casey)
    run(bed, at(date(2028, 3, 12)))
    run(bed, at(DUE))
    assert decided(bed, made) == [("before", True, ""), ("due", True, "")]
    assert bed.texts(casey) == []


@pytest.fixture
def desk(bed: Bed) -> Iterator[tuple[Desk, NewBusiness]]:
    desk = Desk(bed.app.url, bed.made.owner.email)
    yield desk, bed.made
    desk.close()


def test_the_customer_card_texts_the_pay_link_and_says_why_it_cannot(
    bed: Bed, desk: tuple[Desk, NewBusiness]
) -> None:
    client, made = desk
    casey, quiet = bed.customer(name="Casey Text"), bed.customer(phone="", sms_consent=False)
    card = client.get(f"/customers/{casey.id}/texts")
    assert "Text Casey Text their pay link" in card.text and "agreed to texts at" in card.text
    sent = client.post(f"/customers/{casey.id}/texts")
    assert sent.status_code == 200 and f"Pay link texted to {E164}." in sent.text
    assert "queued" in sent.text
    refused = client.post(f"/customers/{quiet.id}/texts")
    assert refused.status_code == 422 and "has not agreed to text messages" in refused.text
    assert bed.texts(quiet) == []
    bed.send()
    [text] = bed.texts(casey)
    assert text.purpose == "pay_link" and text.status != TextStatus.QUEUED
    with bed.db.session(made.business.id) as session:
        [event] = session.exec(
            select(AuditEvent).where(AuditEvent.action == "customer.texted_pay_link")
        ).all()
        assert (event.actor_type, event.target_id, event.detail) == (
            "staff",
            casey.id,
            {"text": text.id},
        )
    listing = client.get("/texts")
    assert "Casey Text" in listing.text and f"To {E164}" in listing.text
    assert "customer-texts" in client.get(f"/customers/{casey.id}").text


def test_the_reminders_card_turns_texts_on(bed: Bed, desk: tuple[Desk, NewBusiness]) -> None:
    client, made = desk
    form = {"which": "reminders", "reminders_on_due": "yes", "reminders_by_text": "yes"}
    saved = client.post("/settings/reminders", form)
    assert saved.status_code == 200 and 'name="reminders_by_text" value="yes" checked' in saved.text
    with bed.db.session(made.business.id) as session:
        assert businesses.get(session, made.business.id).reminders_by_text


def test_without_texts_set_up_the_button_says_so(db: Database, live_server: LiveServer) -> None:
    made = make_business(db)
    with db.session(made.business.id) as session:
        casey = make_customer(session, made.business, phone="+15550100142", sms_consent=True)
    desk = Desk(live_server.url, made.owner.email)
    try:
        card = desk.get(f"/customers/{casey.id}/texts")
        assert "Text messages are not set up on this server." in card.text
        refused = desk.post(f"/customers/{casey.id}/texts")
        assert refused.status_code == 422
        assert "not set up on this server, so nothing was sent" in refused.text
        settings_page = desk.get("/settings")
        assert "Text messages are not set up on this server: texts wait" in settings_page.text
    finally:
        desk.close()
    with db.session(made.business.id) as session:
        assert texts.recent(session) == []
