"""Late fees with the clock moved, never the wall clock: a fixed or a percentage fee added once on
day N at 10:00 where the business is (not before), the invoice's total and amount due grown by
exactly the fee; none on paid or void invoices or paused accounts; a fee found late added without
its email; two runners at once add one fee; the books hold after each step; bad terms refused by
field with nothing changed, in the service and through the settings form."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from frontdesk.db import Database
from frontdesk.models import (
    AuditEvent,
    Business,
    CreditNote,
    Customer,
    Initiator,
    Invoice,
    InvoiceLine,
    LateFee,
    OutboxItem,
    PaymentStatus,
)
from frontdesk.services import audit, businesses, invoices, late_fees, subscriptions
from frontdesk.services.businesses import NewBusiness
from frontdesk.services.errors import Invalid
from frontdesk.services.lines import LineInput
from frontdesk.services.links import Links
from frontdesk.services.payments import ledger
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer, make_invoice, make_payment
from tests.test_dashboard import Desk

ZONE = "America/New_York"
LINKS = Links(("k" * 40,), "http://frontdesk.test")
DUE = date(2028, 3, 1)
# Day 15 after 1 March; New York is on summer time by then (UTC-4), so 10:00 there is 14:00 UTC.
DAY_N = date(2028, 3, 16)
OWNER = audit.Actor(Initiator.STAFF, "test")
NOTICE = "Late fee added to invoice INV-1001 from Greenleaf Gardens: {} due"


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """That time of day in New York, as the clock gives it (UTC)."""
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(ZONE))
    return local.astimezone(UTC)


class Shop:
    def __init__(self, db: Database, made: NewBusiness) -> None:
        self.db, self.made, self.id = db, made, made.business.id

    def terms(self, **typed: str | bool) -> list[str]:
        fields: dict[str, str | bool] = {"enabled": True, "kind": "fixed", "amount": "25.00"}
        fields.update(typed)
        with self.db.session(self.id) as session:
            business = businesses.get(session, self.id)
            return late_fees.configure(
                session,
                business,
                late_fees.LateFeeSettings(**fields),  # type: ignore[arg-type]
                OWNER,
            )

    def customer(self, **overrides: object) -> Customer:
        with self.db.session(self.id) as session:
            return make_customer(session, businesses.get(session, self.id), **overrides)

    def invoice(self, customer: Customer, amount: int = 10000, **overrides: object) -> str:
        with self.db.session(self.id) as session:
            business = businesses.get(session, self.id)
            overrides.setdefault("due_date", DUE)
            made = make_invoice(
                session,
                business,
                customer,
                amounts=(amount,),
                issue_date=date(2028, 2, 1),
                **overrides,
            )
            return made.id

    def credit(self, invoice_id: str, amount: int) -> None:
        """Account credit applied to the invoice: paid money, as the books count it."""
        with self.db.session(self.id) as session:
            business = businesses.get(session, self.id)
            invoice = invoices.get(session, business=business, invoice_id=invoice_id)
            session.add(
                CreditNote(
                    business_id=self.id,
                    customer_id=invoice.customer_id,
                    invoice_id=invoice.id,
                    amount=amount,
                    currency=invoice.currency,
                )
            )
            invoices.settle(session, business=business, invoice=invoice)

    def run(self, now: datetime) -> int:
        decided = late_fees.add_due(self.db, LINKS, now)
        self.books_hold(now)
        return decided

    def books_hold(self, now: datetime) -> None:
        with self.db.session(self.id) as session:
            business = businesses.get(session, self.id)
            report = ledger.check(session, business=business, processor=None, now=now)
        assert report.problems == [], report.problems

    def state(self, invoice_id: str) -> tuple[int, int, list[str]]:
        """The invoice's total, its amount due and its lines' descriptions."""
        with self.db.session(self.id) as session:
            invoice = session.get(Invoice, invoice_id)
            assert invoice is not None
            lines = session.exec(
                select(InvoiceLine.description)
                .where(InvoiceLine.invoice_id == invoice_id)
                .order_by(col(InvoiceLine.position))
            ).all()
            return invoice.total, invoices.views(session, [invoice])[0].amount_due, list(lines)

    def outbox(self, kind: str) -> list[OutboxItem]:
        with self.db.session(self.id) as session:
            return list(session.exec(select(OutboxItem).where(OutboxItem.kind == kind)))

    def emails(self) -> list[str]:
        """The late-fee notices (plans send mail of their own)."""
        subjects = [item.payload["subject"] for item in self.outbox("email")]
        return [subject for subject in subjects if subject.startswith("Late fee")]

    def decisions(self) -> dict[str, LateFee]:
        with self.db.session(self.id) as session:
            return {row.invoice_id: row for row in session.exec(select(LateFee))}

    def business(self) -> Business:
        with self.db.session(self.id) as session:
            return businesses.get(session, self.id)


@pytest.fixture
def shop(db: Database) -> Shop:
    return Shop(db, make_business(db, name="Greenleaf Gardens", time_zone=ZONE))


def test_a_fixed_fee_is_added_once_on_day_n_at_ten_and_not_before(shop: Shop) -> None:
    shop.terms(amount="25.00", days="15")
    casey = shop.customer(name="Casey")
    invoice = shop.invoice(casey, 10000, tax_rate_bp=825)
    assert shop.state(invoice)[:2] == (10825, 10825)
    assert shop.run(at(date(2028, 3, 15), 12)) == 0  # day 14
    assert shop.run(at(DAY_N, 9, 59)) == 0
    assert shop.state(invoice)[:2] == (10825, 10825)
    assert shop.run(at(DAY_N, 10)) == 1
    # Exactly the fee, untaxed, as the invoice's last line.
    assert shop.state(invoice) == (13325, 13325, ["Line 1", "Late fee"])
    for later in (at(DAY_N, 10, 1), at(date(2028, 4, 30), 12)):
        assert shop.run(later) == 0
    assert shop.state(invoice)[0] == 13325
    assert shop.emails() == [
        "Late fee added to invoice INV-1001 from Greenleaf Gardens: $133.25 due"
    ]
    (email,) = [item.payload for item in shop.outbox("email")]
    assert email["to"] == casey.email
    assert "http://frontdesk.test" in email["text"] and "fee of $25.00" in email["text"]
    events = [item.payload for item in shop.outbox("event")]
    assert [(e["type"], e["data"]["fee"], e["data"]["amount_due"]) for e in events] == [
        ("invoice.late_fee_added", 2500, 13325)
    ]
    with shop.db.session(shop.id) as session:
        actions = session.exec(
            select(AuditEvent.action).where(col(AuditEvent.action).like("invoice.late_fee%"))
        ).all()
    assert actions == ["invoice.late_fee_added"]
    assert shop.decisions()[invoice].quiet is False


def test_a_percentage_is_of_what_is_still_due_rounded_half_up(shop: Shop) -> None:
    shop.terms(kind="percent", percent="2.5", days="10")
    casey = shop.customer()
    invoice = shop.invoice(casey, 10020)
    shop.credit(invoice, 3000)
    assert shop.state(invoice)[:2] == (10020, 7020)
    assert shop.run(at(date(2028, 3, 11), 9)) == 0
    assert shop.run(at(date(2028, 3, 11), 10)) == 1
    # 2.5 % of the 70.20 still due is 1.755: 1.76, rounded half-up.
    assert shop.state(invoice)[:2] == (10196, 7196)
    assert shop.decisions()[invoice].amount == 176


def test_paid_and_void_invoices_and_paused_accounts_get_none_and_a_bank_payment_is_awaited(
    shop: Shop,
) -> None:
    shop.terms()
    paid, void, paused, quiet = (shop.customer(name=n) for n in ("Pat", "Val", "Poe", "Quinn"))
    paid_invoice = shop.invoice(paid)
    shop.credit(paid_invoice, 10000)
    void_invoice = shop.invoice(void)
    with shop.db.session(shop.id) as session:
        business = businesses.get(session, shop.id)
        invoices.void(
            session,
            business=business,
            invoice=invoices.get(session, business=business, invoice_id=void_invoice),
            actor=OWNER,
        )
        plan = subscriptions.create(
            session,
            business=business,
            customer=paused,
            wanted=subscriptions.Wanted(name="Lawn care", lines=[LineInput("Mowing", 4000)]),
            actor=OWNER,
            today=date(2028, 2, 1),
            now=at(date(2028, 2, 1), 8),
        )
        subscriptions.pause(
            session,
            business=business,
            subscription=plan,
            until="2028-06-01",
            skip="",
            actor=OWNER,
            today=date(2028, 2, 2),
            now=at(date(2028, 2, 2), 8),
        )
    paused_invoice = shop.invoice(paused)
    # Portal access off: they still owe the fee, they are only not emailed.
    no_mail_invoice = shop.invoice(quiet)
    with shop.db.session(shop.id) as session:
        found = session.get(Customer, quiet.id)
        assert found is not None
        found.portal_enabled = False
    # A bank debit on its way may still settle the invoice: the fee waits for it.
    bea = shop.customer(name="Bea")
    processing = shop.invoice(bea)
    with shop.db.session(shop.id) as session:
        business = businesses.get(session, shop.id)
        found_invoice = invoices.get(session, business=business, invoice_id=processing)
        make_payment(session, business, bea, found_invoice, 10000, PaymentStatus.PROCESSING)
    assert shop.run(at(DAY_N, 10)) == 2
    assert shop.state(processing)[0] == 10000
    assert shop.state(paid_invoice)[:2] == (10000, 0)
    assert shop.state(void_invoice)[:2] == (10000, 0)
    assert shop.state(paused_invoice) == (10000, 10000, ["Line 1"])
    assert shop.state(no_mail_invoice)[:2] == (12500, 12500)
    decided = shop.decisions()
    assert set(decided) == {paused_invoice, no_mail_invoice}  # and not the one being paid
    assert (decided[paused_invoice].outcome, decided[paused_invoice].reason) == (
        "skipped",
        "paused account",
    )
    assert shop.emails() == []
    # Decided once: resuming the plan does not bring the fee back.
    with shop.db.session(shop.id) as session:
        business = businesses.get(session, shop.id)
        subscriptions.resume(
            session, business=business, subscription=plan, actor=OWNER, now=at(DAY_N, 12)
        )
    assert shop.run(at(date(2028, 3, 20), 12)) == 0
    assert shop.state(paused_invoice)[0] == 10000


def test_a_fee_found_late_is_added_without_its_email(shop: Shop) -> None:
    shop.terms()
    casey = shop.customer()
    recent, stale = shop.invoice(casey), shop.invoice(casey, due_date=date(2028, 2, 20))
    # The server was away: the fee on `stale` fell due on 6 March, the one on `recent` 3 days ago.
    assert shop.run(at(date(2028, 3, 19), 9)) == 2
    assert shop.state(stale)[0] == shop.state(recent)[0] == 12500
    decided = shop.decisions()
    assert (decided[stale].quiet, decided[recent].quiet) == (True, False)
    assert shop.emails() == [
        "Late fee added to invoice INV-1001 from Greenleaf Gardens: $125.00 due"
    ]
    assert len(shop.outbox("event")) == 2


def test_two_runners_at_once_add_one_fee_per_invoice(shop: Shop) -> None:
    shop.terms()
    casey, robin = shop.customer(), shop.customer()
    made = [shop.invoice(casey), shop.invoice(casey), shop.invoice(robin)]
    barrier, counts = threading.Barrier(2), [0, 0]

    def run(index: int) -> None:
        barrier.wait()
        counts[index] = late_fees.add_due(shop.db, LINKS, at(DAY_N, 11))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == 3
    for invoice in made:
        assert shop.state(invoice) == (12500, 12500, ["Line 1", "Late fee"])
    assert len(shop.emails()) == 3
    shop.books_hold(at(DAY_N, 11))


def test_bad_terms_are_refused_by_field_and_nothing_changes(shop: Shop) -> None:
    shop.terms(amount="25.00", days="15")
    before = shop.business()
    for typed, field, message in (
        ({"amount": "-5"}, "late_fee_amount", "The amount cannot be negative."),
        ({"amount": "0"}, "late_fee_amount", "Enter a fee above 0, or turn late fees off."),
        ({"days": "0"}, "late_fee_days", "Enter a whole number of days from 1 to 365."),
        ({"days": "two"}, "late_fee_days", "Enter a whole number of days from 1 to 365."),
        ({"kind": "percent", "percent": "100.5"}, "late_fee_percent", "Enter a percentage"),
        ({"kind": "percent", "percent": "1.005"}, "late_fee_percent", "Enter a percentage"),
        ({"kind": "weekly"}, "late_fee_kind", "Choose a fixed amount or a percentage."),
    ):
        with pytest.raises(Invalid) as refused:
            shop.terms(**typed)
        assert refused.value.fields[field].startswith(message), refused.value.fields
    after = shop.business()
    assert (after.late_fee_enabled, after.late_fee_fixed, after.late_fee_days) == (
        True,
        2500,
        15,
    )
    assert after.late_fee_basis_points == before.late_fee_basis_points == 0
    # Off is off: nothing is added however overdue.
    assert shop.terms(enabled=False) == ["late_fee_enabled"]
    shop.invoice(shop.customer())
    assert shop.run(at(date(2028, 6, 1), 12)) == 0


@pytest.fixture
def desk(live_server: LiveServer, shop: Shop) -> Iterator[Desk]:
    signed_in = Desk(live_server.url, shop.made.owner.email)
    yield signed_in
    signed_in.close()


def test_the_settings_form_saves_terms_and_shows_a_refusal_beside_its_field(
    shop: Shop, desk: Desk
) -> None:
    page = desk.get("/settings").text
    assert "Late fees" in page and 'name="late_fee_days" inputmode="numeric" value="15"' in page
    form = {"which": "late_fees", "late_fee_enabled": "yes", "late_fee_kind": "percent"}
    refused = desk.post(
        "/settings/late-fees", {**form, "late_fee_percent": "150", "late_fee_days": "0"}
    )
    assert refused.status_code == 422, refused.text
    assert "Enter a percentage from 0 to 100, like 1.5." in refused.text
    assert 'name="late_fee_percent" inputmode="decimal" value="150" aria-invalid="true"' in (
        refused.text
    )
    assert shop.business().late_fee_enabled is False
    saved = desk.post(
        "/settings/late-fees", {**form, "late_fee_percent": "1.5", "late_fee_days": "30"}
    )
    assert saved.status_code == 200 and "Saved." in saved.text
    business = shop.business()
    assert (business.late_fee_enabled, business.late_fee_basis_points) == (True, 150)
    assert (business.late_fee_fixed, business.late_fee_days) == (0, 30)
