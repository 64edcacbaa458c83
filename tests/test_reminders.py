"""Payment reminders with the clock moved, never the wall clock: before, on and after the due date,
each once at 09:00 where the business is; stopped by payment, never to a customer whose access is
off, each kind switchable; two runners at once send once; after downtime only what is still timely
goes; the books hold after each step; the settings form refuses bad input."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from frontdesk import scheduler
from frontdesk.db import Database
from frontdesk.models import Customer, Initiator, InvoiceReminder, OutboxItem, PaymentMethodKind
from frontdesk.services import audit, businesses, invoices, payments, reminders
from frontdesk.services.businesses import NewBusiness
from frontdesk.services.errors import Invalid
from frontdesk.services.links import Links
from frontdesk.services.payments import ledger
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer, make_invoice
from tests.test_dashboard import Desk

ZONE = "America/New_York"
LINKS = Links(("k" * 40,), "http://frontdesk.test")
STAFF = audit.Actor(Initiator.STAFF, "staff_1")
# Due on Wednesday 15 March 2028; New York springs forward on Sunday 12 March.
ISSUED, DUE = date(2028, 3, 1), date(2028, 3, 15)


def at(day: date, hour: int = 10) -> datetime:
    """`hour` o'clock that day in New York, as the clock gives it (UTC)."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(ZONE)).astimezone(UTC)


class Shop:
    def __init__(self, db: Database, made: NewBusiness) -> None:
        self.db, self.made = db, made

    def customer(self, **fields: object) -> Customer:
        with self.db.session(self.made.business.id) as session:
            return make_customer(session, self.made.business, **fields)

    def invoice(self, customer: Customer, due: date = DUE, issued: date = ISSUED) -> str:
        with self.db.session(self.made.business.id) as session:
            made = make_invoice(
                session,
                self.made.business,
                customer,
                amounts=(12000,),
                issue_date=issued,
                due_date=due,
            )
            return made.id

    def run(self, now: datetime) -> int:
        decided = reminders.remind_due(self.db, LINKS, now)
        with self.db.session(self.made.business.id) as session:
            business = businesses.get(session, self.made.business.id)
            report = ledger.check(session, business=business, processor=None, now=now)
        assert report.problems == [], report.problems
        return decided

    def decided(self, invoice_id: str) -> list[tuple[str, bool, str]]:
        with self.db.session(self.made.business.id) as session:
            rows = session.exec(
                select(InvoiceReminder)
                .where(InvoiceReminder.invoice_id == invoice_id)
                .order_by(col(InvoiceReminder.due_at))
            )
            return [(r.kind, r.sent, r.reason) for r in rows]

    def emails(self) -> list[dict[str, str]]:
        with self.db.session(self.made.business.id) as session:
            rows = session.exec(
                select(OutboxItem)
                .where(OutboxItem.kind == "email")
                .order_by(col(OutboxItem.created_at))
            )
            # The invoice's own notice is not a reminder.
            return [i.payload for i in rows if not i.payload["subject"].startswith("Invoice ")]

    def settings(self, **typed: object) -> list[str]:
        fields: dict[str, object] = {
            "before": True,
            "before_days": "3",
            "on_due": True,
            "after": True,
            "after_days": "3, 7, 14",
            **typed,
        }
        with self.db.session(self.made.business.id) as session:
            business = businesses.get(session, self.made.business.id)
            wanted = reminders.ReminderSettings(**fields)  # type: ignore[arg-type]
            return reminders.update_settings(session, business, wanted, STAFF)

    def pay(self, invoice_id: str, customer: Customer, amount: int) -> None:
        with self.db.session(self.made.business.id) as session:
            business = businesses.get(session, self.made.business.id)
            payments.record_offline(
                session,
                business=business,
                customer=customer,
                invoice=invoices.get(session, business=business, invoice_id=invoice_id),
                amount=amount,
                method=PaymentMethodKind.CASH,
                reference="counter",
                actor=STAFF,
            )


@pytest.fixture
def shop(db: Database) -> Shop:
    return Shop(db, make_business(db, time_zone=ZONE))


def test_before_on_and_after_each_go_once_at_nine_across_the_change_of_clocks(shop: Shop) -> None:
    casey = shop.customer(name="Casey")
    invoice = shop.invoice(casey)
    # "before" is due 12 March, the day clocks spring forward: 09:00 there is 13:00 UTC.
    assert shop.run(datetime(2028, 3, 12, 12, 59, tzinfo=UTC)) == 0
    assert shop.run(datetime(2028, 3, 12, 13, 0, tzinfo=UTC)) == 1
    sent_on: dict[date, int] = {}
    for day in (date(2028, 3, n) for n in range(12, 31)):
        for hour in (8, 10, 18):
            sent_on[day] = sent_on.get(day, 0) + shop.run(at(day, hour))
    assert {day: n for day, n in sent_on.items() if n} == {
        date(2028, 3, 15): 1,
        date(2028, 3, 18): 1,
        date(2028, 3, 22): 1,
        date(2028, 3, 29): 1,
    }
    assert shop.decided(invoice) == [
        ("before", True, ""),
        ("due", True, ""),
        ("after:3", True, ""),
        ("after:7", True, ""),
        ("after:14", True, ""),
    ]
    mail = shop.emails()
    assert [m["subject"].split(":")[0] for m in mail] == ["Reminder", "Due today"] + ["Overdue"] * 3
    assert "is due on March 15, 2028" in mail[0]["subject"]
    assert {m["to"] for m in mail} == {casey.email}
    assert all("$120.00 is still due" in m["text"] for m in mail)
    assert all("http://frontdesk.test/p/" in m["text"] and "#frontdesk=" in m["text"] for m in mail)


def test_a_payment_stops_the_reminders_and_a_part_payment_lowers_the_amount(shop: Shop) -> None:
    casey = shop.customer()
    invoice = shop.invoice(casey)
    shop.run(at(date(2028, 3, 12)))
    shop.pay(invoice, casey, 5000)
    assert shop.run(at(DUE)) == 1
    assert "$70.00 is still due" in shop.emails()[-1]["text"]
    shop.pay(invoice, casey, 7000)
    for day in (date(2028, 3, 18), date(2028, 3, 22), date(2028, 3, 29)):
        assert shop.run(at(day)) == 0
    assert [kind for kind, _, _ in shop.decided(invoice)] == ["before", "due"]
    assert len(shop.emails()) == 2


def test_a_customer_without_portal_access_gets_none(shop: Shop) -> None:
    shut_out = shop.customer(portal_enabled=False)
    invoice = shop.invoice(shut_out)
    for day in (date(2028, 3, 12), DUE, date(2028, 3, 18)):
        assert shop.run(at(day)) == 1
    assert {reason for _, sent, reason in shop.decided(invoice) if not sent} == {"no portal access"}
    assert shop.emails() == []


def test_a_kind_turned_off_is_not_sent_and_the_others_still_are(shop: Shop) -> None:
    casey = shop.customer()
    invoice = shop.invoice(casey)
    assert shop.settings(before=False, on_due=False, after_days="7") == [
        "reminders_before_days",
        "reminders_on_due",
        "reminders_after_days",
    ]
    for day in (date(2028, 3, n) for n in range(10, 31)):
        shop.run(at(day))
    assert shop.decided(invoice) == [("after:7", True, "")]
    assert shop.settings(before=False, on_due=False, after_days="7") == []


def test_two_runners_at_once_send_each_reminder_once(shop: Shop) -> None:
    casey = shop.customer()
    invoices_made = [shop.invoice(casey) for _ in range(3)]
    barrier, counts = threading.Barrier(2), [0, 0]

    def run(index: int) -> None:
        barrier.wait()
        counts[index] = reminders.remind_due(shop.db, LINKS, at(DUE))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Each invoice: "before" (three days ago, too late by now) and "due", decided once.
    assert sum(counts) == 6
    for invoice in invoices_made:
        assert shop.decided(invoice) == [("before", False, "late"), ("due", True, "")]
    assert len(shop.emails()) == 3
    assert shop.run(at(DUE, 11)) == 0


def test_after_a_week_away_only_what_is_still_timely_is_sent(shop: Shop) -> None:
    assert ("payment reminders", reminders.remind_due) in scheduler.KINDS
    casey = shop.customer()
    invoice = shop.invoice(casey)
    # Down from 11 to 18 March: found at 15:00 on the 18th, "after:3" (09:00 today) is timely.
    assert shop.run(at(date(2028, 3, 18), 15)) == 3
    assert shop.decided(invoice) == [
        ("before", False, "late"),
        ("due", False, "late"),
        ("after:3", True, ""),
    ]
    assert [m["subject"].split(":")[0] for m in shop.emails()] == ["Overdue"]
    assert shop.run(at(date(2028, 3, 22))) == 1
    assert len(shop.emails()) == 2


def test_no_reminder_about_a_day_before_the_invoice_existed(shop: Shop) -> None:
    casey = shop.customer()
    invoice = shop.invoice(casey, issued=date(2028, 3, 13))
    # "before" was at 09:00 on the 12th: still timely, but the invoice was issued the 13th.
    assert shop.run(at(date(2028, 3, 13), 8)) == 1
    shop.run(at(DUE))
    assert shop.decided(invoice) == [("before", False, "before issue"), ("due", True, "")]
    assert [m["subject"].split(":")[0] for m in shop.emails()] == ["Due today"]


def test_a_bad_schedule_is_refused_and_nothing_changes(shop: Shop) -> None:
    for typed, field in (
        ({"before_days": "0"}, "reminders_before_days"),
        ({"before_days": "91"}, "reminders_before_days"),
        ({"before_days": "three"}, "reminders_before_days"),
        ({"after_days": "1, 2, 3, 4, 5, 6"}, "reminders_after_days"),
        ({"after_days": "7, 120"}, "reminders_after_days"),
        ({"after_days": ""}, "reminders_after_days"),
    ):
        with pytest.raises(Invalid) as refused:
            shop.settings(**typed)
        assert field in refused.value.fields, typed
    with shop.db.session(shop.made.business.id) as session:
        business = businesses.get(session, shop.made.business.id)
        kept = (
            business.reminders_before_days,
            business.reminders_on_due,
            business.reminders_after_days,
        )
    assert kept == (3, True, [3, 7, 14])


@pytest.fixture
def desk(db: Database, live_server: LiveServer) -> Iterator[tuple[Desk, NewBusiness]]:
    made = make_business(db)
    desk = Desk(live_server.url, made.owner.email)
    yield desk, made
    desk.close()


def test_the_settings_form_saves_and_refuses_with_the_message(
    desk: tuple[Desk, NewBusiness], db: Database
) -> None:
    client, made = desk
    page = client.get("/settings")
    assert 'name="reminders_after_days" value="3, 7, 14"' in page.text
    form = {"which": "reminders", "reminders_before": "yes", "reminders_before_days": "2"}
    refused = client.post(
        "/settings/reminders", {**form, "reminders_after": "yes", "reminders_after_days": "3, 0"}
    )
    assert refused.status_code == 422
    assert "List up to 5 numbers of days from 1 to 90" in refused.text
    assert 'value="3, 0"' in refused.text
    saved = client.post("/settings/reminders", {**form, "reminders_on_due": "yes"})
    assert saved.status_code == 200 and "Saved: reminders follow this schedule now." in saved.text
    with db.session(made.business.id) as session:
        business = businesses.get(session, made.business.id)
        assert (business.reminders_before_days, business.reminders_after_days) == (2, [])
