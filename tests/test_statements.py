"""Monthly statements: the month worked out from the records in the business's zone (opening plus
the month's lines is the closing, each month opens where the last closed, and the newest closes
at the balance the customer sees, through invoices, part payments, refunds either way, credits,
voids and a late fee); the PDF says so in words; the portal lists past months with a download
link per month (the customer's own months only); the dashboard offers the month chosen and the
switch for the monthly email."""

from __future__ import annotations

import html
import io
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from frontdesk import tokens
from frontdesk.db import Database
from frontdesk.models import (
    CreditNote,
    Customer,
    Initiator,
    Invoice,
    InvoiceEffect,
    InvoiceStatus,
    Payment,
    PaymentMethodKind,
    PaymentStatus,
    Refund,
    RefundAllocation,
    RefundCause,
    new_id,
)
from frontdesk.services import (
    audit,
    businesses,
    customers,
    invoices,
    late_fees,
    payments,
    pdfs,
    statements,
)
from frontdesk.services.businesses import NewBusiness
from frontdesk.services.errors import NotFound
from frontdesk.services.links import Links
from frontdesk.services.payments import ledger
from frontdesk.settings import Settings
from frontdesk.tokens import Purpose
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer, make_invoice
from tests.test_dashboard import Desk
from tests.test_portal_views import Portal

ZONE = "America/New_York"
STAFF = audit.Actor(Initiator.STAFF, "staff_1")
LINKS = Links(("k" * 40,), "http://frontdesk.test")


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    """That time of `day` in New York, as the clock gives it (UTC)."""
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(ZONE)).astimezone(UTC)


@dataclass
class Account:
    """One customer of one business, whose records the test writes dated by a moved clock."""

    db: Database
    made: NewBusiness
    customer: Customer

    @property
    def business_id(self) -> str:
        return self.made.business.id

    def invoice(self, day: date, amount: int, **overrides: object) -> str:
        with self.db.session(self.business_id) as session:
            business = businesses.get(session, self.business_id)
            made = make_invoice(
                session,
                business,
                self.customer,
                amounts=(amount,),
                issue_date=day,
                due_date=day + timedelta(days=14),
                **overrides,
            )
            return made.id

    def pay(self, invoice_id: str, amount: int, when: datetime) -> str:
        with self.db.session(self.business_id) as session:
            business = businesses.get(session, self.business_id)
            payment = payments.record_offline(
                session,
                business=business,
                customer=self.customer,
                invoice=invoices.get(session, business=business, invoice_id=invoice_id),
                amount=amount,
                method=PaymentMethodKind.CASH,
                reference="counter",
                actor=STAFF,
            )
            payment.succeeded_at = payment.created_at = when
            return payment.id

    def refund(
        self, payment_id: str, invoice_id: str, amount: int, effect: InvoiceEffect, when: datetime
    ) -> None:
        """What payments.refund writes for a refund taken back from one invoice: the refund and
        its share, the credit note that keeps the invoice settled (credit), and the status."""
        with self.db.session(self.business_id) as session:
            business = businesses.get(session, self.business_id)
            refund = Refund(
                business_id=business.id,
                payment_id=payment_id,
                amount=amount,
                currency=business.currency,
                status=PaymentStatus.SUCCEEDED,
                cause=RefundCause.STAFF,
                actor="staff_1",
                invoice_effect=effect,
                idempotency_key=new_id("key"),
                created_at=when,
            )
            session.add(refund)
            session.add(
                RefundAllocation(
                    business_id=business.id,
                    refund_id=refund.id,
                    invoice_id=invoice_id,
                    amount=amount,
                )
            )
            if effect == InvoiceEffect.CREDIT:
                self._credit(session, amount, when, invoice_id, "Refund: no longer owed")
            invoice = invoices.get(session, business=business, invoice_id=invoice_id)
            invoices.settle(session, business=business, invoice=invoice)

    def credit(self, amount: int, when: datetime, reason: str = "") -> None:
        with self.db.session(self.business_id) as session:
            self._credit(session, amount, when, None, reason)

    def _credit(
        self, session: object, amount: int, when: datetime, invoice_id: str | None, reason: str
    ) -> None:
        session.add(  # type: ignore[attr-defined]
            CreditNote(
                business_id=self.business_id,
                customer_id=self.customer.id,
                invoice_id=invoice_id,
                amount=amount,
                currency=self.made.business.currency,
                reason=reason,
                created_at=when,
            )
        )

    def void(self, invoice_id: str, when: datetime) -> None:
        with self.db.session(self.business_id) as session:
            business = businesses.get(session, self.business_id)
            invoice = invoices.get(session, business=business, invoice_id=invoice_id)
            invoices.void(session, business=business, invoice=invoice, actor=STAFF)
            invoice.voided_at = when

    def statement(self, month: date) -> statements.Statement:
        with self.db.session(self.business_id) as session:
            business = businesses.get(session, self.business_id)
            customer = customers.get(session, business=business, customer_id=self.customer.id)
            return statements.compute(session, business=business, customer=customer, month=month)

    def balance(self) -> int:
        with self.db.session(self.business_id) as session:
            business = businesses.get(session, self.business_id)
            customer = customers.get(session, business=business, customer_id=self.customer.id)
            return customers.balance(session, business=business, customer=customer).amount

    def books_hold(self) -> None:
        with self.db.session(self.business_id) as session:
            business = businesses.get(session, self.business_id)
            report = ledger.check(session, business=business, processor=None, now=at(TODAY))
        assert report.problems == [], report.problems


# Today where the business is: the portal's "last month" is the business's. The servers these
# tests start read this same moment, so a run that crosses midnight agrees with itself.
NOW = datetime.now(UTC)
TODAY = NOW.astimezone(ZoneInfo(ZONE)).date()


def open_account(db: Database, **business: object) -> Account:
    made = make_business(db, name="Greenleaf Gardens", time_zone=ZONE, **business)
    with db.session(made.business.id) as session:
        customer = make_customer(session, made.business, name="Casey Rivera")
    return Account(db, made, customer)


@pytest.fixture
def account(db: Database) -> Account:
    return open_account(db)


OCT, NOV, DEC = date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)


def test_a_month_opens_where_the_last_closed_and_counts_each_line_once_on_its_day(
    account: Account,
) -> None:
    september = account.invoice(date(2026, 9, 20), 10000, number="INV-0")
    first = account.invoice(date(2026, 10, 5), 12000, number="INV-1")
    second = account.invoice(date(2026, 10, 20), 8000, number="INV-2")
    account.pay(september, 10000, at(date(2026, 10, 2)))
    # 23:30 on 31 October in New York is already 1 November in UTC: October's, where it happened.
    paid = account.pay(first, 5000, at(date(2026, 10, 31), 23, 30))
    account.refund(paid, first, 2000, InvoiceEffect.REOPEN, at(NOV + timedelta(days=2)))
    account.refund(paid, first, 1000, InvoiceEffect.CREDIT, at(NOV + timedelta(days=3)))
    account.credit(1500, at(date(2026, 11, 10)), "Goodwill for a missed visit")
    account.void(second, at(date(2026, 11, 12)))
    account.books_hold()
    october, november = account.statement(OCT), account.statement(NOV)
    assert (october.opening, october.closing) == (10000, 10000 - 10000 + 12000 + 8000 - 5000)
    assert [(line.day.day, line.kind, line.amount) for line in october.lines] == [
        (2, "payment", -10000),
        (5, "invoice", 12000),
        (20, "invoice", 8000),
        (31, "payment", -5000),
    ]
    assert november.opening == october.closing == 15000
    assert [(line.kind, line.reference, line.amount) for line in november.lines] == [
        ("refund", "INV-1", 2000),
        ("refund", "INV-1", 1000),
        ("credit", "INV-1", -1000),  # the refund the customer no longer owes, settled again
        ("credit", "", -1500),
        ("void", "INV-2", -8000),
    ]
    assert november.closing == 15000 + 2000 - 1000 + 1000 - 1500 - 8000 == account.balance()
    assert account.statement(DEC).opening == november.closing
    assert account.statement(DEC).lines == ()


def test_a_late_fee_counts_on_the_day_the_terms_made_it_due(account: Account) -> None:
    with account.db.session(account.business_id) as session:
        business = businesses.get(session, account.business_id)
        late_fees.configure(
            session, business, late_fees.LateFeeSettings(True, "fixed", "25.00", days="10"), STAFF
        )
    invoice = account.invoice(date(2026, 10, 15), 10000, number="INV-9")  # due 29 October
    # Day 10 overdue is 8 November; the scheduler runs then (10:00 in New York).
    assert late_fees.add_due(account.db, LINKS, at(date(2026, 11, 8), 10)) == 1
    account.pay(invoice, 4000, at(date(2026, 11, 20)))
    october, november = account.statement(OCT), account.statement(NOV)
    assert [(line.kind, line.amount) for line in october.lines] == [("invoice", 10000)]
    assert [(line.day, line.kind, line.amount) for line in november.lines] == [
        (date(2026, 11, 8), "late_fee", 2500),
        (date(2026, 11, 20), "payment", -4000),
    ]
    assert november.closing == 8500 == account.balance()
    account.books_hold()


# What a month may bring, each on a day of it: an invoice; a part payment of the oldest open
# invoice; a refund of part of the newest payment still refundable, still owed or not; account
# credit; voiding the newest invoice nothing was paid on.
OPERATION = st.one_of(
    st.tuples(st.just("invoice"), st.integers(1, 50_000)),
    st.tuples(st.just("pay"), st.integers(1, 100)),
    st.tuples(st.just("refund"), st.integers(1, 100), st.sampled_from(list(InvoiceEffect)[:2])),
    st.tuples(st.just("credit"), st.integers(1, 20_000)),
    st.tuples(st.just("void"), st.just(0)),
)
MONTHS = st.lists(
    st.lists(st.tuples(st.integers(1, 28), OPERATION), max_size=6), min_size=1, max_size=4
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(months=MONTHS)
def test_opening_plus_the_month_is_the_closing_and_the_balance_at_every_month_end(
    db: Database, months: list[list[tuple[int, tuple[object, ...]]]]
) -> None:
    account = open_account(db)
    month, closings = date(2026, 1, 1), []
    paid: list[tuple[str, str, int]] = []  # (payment, invoice, refundable)
    for operations in months:
        for day, operation in sorted(operations, key=lambda item: item[0]):
            _apply(account, month.replace(day=day), operation, paid)
        statement = account.statement(month)
        assert statement.closing == statement.opening + sum(x.amount for x in statement.lines)
        # Read at the month's end, the statement closes at the balance the customer sees.
        assert statement.closing == account.balance()
        assert statement.opening == (closings[-1] if closings else 0)
        closings.append(statement.closing)
        month = statements.next_month(month)
    account.books_hold()


def _apply(
    account: Account, day: date, operation: tuple[object, ...], paid: list[tuple[str, str, int]]
) -> None:
    kind, amount = operation[0], int(operation[1])  # type: ignore[call-overload]
    with account.db.session(account.business_id) as session:
        open_ones = [
            view
            for view in invoices.open_for_customers(
                session, business=account.made.business, customer_ids=[account.customer.id]
            )
            if view.amount_due > 0
        ]
        unpaid = [v.invoice.id for v in open_ones if v.amount_due == v.invoice.total]
    if kind == "invoice":
        account.invoice(day, amount)
    elif kind == "pay" and open_ones:
        due = open_ones[0].amount_due
        share = max(1, due * amount // 100)
        invoice_id = open_ones[0].invoice.id
        paid.append((account.pay(invoice_id, share, at(day)), invoice_id, share))
    elif kind == "refund" and paid:
        payment_id, invoice_id, left = paid.pop()
        share = max(1, left * amount // 100)
        account.refund(payment_id, invoice_id, share, operation[2], at(day))  # type: ignore[arg-type]
        if left > share:
            paid.append((payment_id, invoice_id, left - share))
    elif kind == "credit":
        account.credit(amount, at(day))
    elif kind == "void" and unpaid:
        account.void(unpaid[-1], at(day))


def test_a_draft_thrown_away_and_payments_not_made_are_not_on_it(account: Account) -> None:
    draft = account.invoice(date(2026, 10, 3), 5000, send=False)
    account.void(draft, at(date(2026, 10, 4)))
    owed = account.invoice(date(2026, 10, 6), 7000)
    with account.db.session(account.business_id) as session:
        session.add(
            Payment(
                business_id=account.business_id,
                customer_id=account.customer.id,
                amount=7000,
                currency="USD",
                method=PaymentMethodKind.CARD,
                status=PaymentStatus.FAILED,
                idempotency_key=secrets.token_hex(8),
            )
        )
    october = account.statement(OCT)
    assert [(line.kind, line.amount) for line in october.lines] == [("invoice", 7000)]
    with account.db.session(account.business_id) as session:
        found = session.get(Invoice, owed)
        assert found is not None and found.status == InvoiceStatus.OPEN


def test_only_whole_months_from_the_first_are_offered_and_bad_months_are_refused(
    account: Account,
) -> None:
    account.invoice(date(2026, 9, 30), 5000)
    lines_of = statements.ledger
    with account.db.session(account.business_id) as session:
        business = businesses.get(session, account.business_id)
        customer = customers.get(session, business=business, customer_id=account.customer.id)
        lines = lines_of(session, business=business, customer=customer)
        assert statements.listed(lines, date(2026, 12, 1)) == [
            NOV,
            date(2026, 10, 1),
            date(2026, 9, 1),
        ]
        assert statements.listed(lines, date(2026, 9, 30)) == []
        for month in ("2026-12", "2026-08", "2026-13", "26-11", "2026-11-01", "../2026-11", ""):
            with pytest.raises(NotFound):
                statements.for_month(
                    session, business=business, customer=customer, month=month, today=DEC
                )
        found = statements.for_month(
            session, business=business, customer=customer, month="2026-10", today=DEC
        )
    assert (found.opening, found.closing, found.lines) == (5000, 5000, ())


MINUS, DASH = "\u2212", "\u2013"  # as printed: a real minus sign, and a range's dash


def pdf_text(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_pdf_shows_each_line_with_the_balance_after_it_and_the_sum(account: Account) -> None:
    invoice = account.invoice(date(2026, 10, 30), 12000, number="INV-7")
    account.invoice(date(2026, 11, 3), 4500, number="INV-8")
    paid = account.pay(invoice, 7000, at(date(2026, 11, 10)))
    account.refund(paid, invoice, 500, InvoiceEffect.REOPEN, at(date(2026, 11, 11)))
    account.credit(1250, at(date(2026, 11, 12)), "Rain day")
    november = account.statement(NOV)
    with account.db.session(account.business_id) as session:
        business = businesses.get(session, account.business_id)
        customer = customers.get(session, business=business, customer_id=account.customer.id)
        document = pdfs.statement_pdf(business, customer, november)
    said = " ".join(pdf_text(document).split())
    for words in (
        "Statement",
        "November 2026",
        "Casey Rivera",
        f"Nov 1, 2026 {DASH} Nov 30, 2026",
        "Nov 3, 2026 Invoice · INV-8 $45.00 $165.00",
        f"Nov 10, 2026 Payment, Cash · INV-7 {MINUS}$70.00 $95.00",
        "Nov 11, 2026 Refund · INV-7 $5.00 $100.00",
        f"Nov 12, 2026 Rain day {MINUS}$12.50 $87.50",
        "Opening balance $120.00",
        "Invoiced $45.00",
        f"Paid {MINUS}$70.00",
        f"Credits {MINUS}$12.50",
        "Refunds $5.00",
        "Closing balance $87.50",
        "You owe $87.50.",
    ):
        assert words in said, (words, said)
    assert "Voided" not in said
    quiet = pdf_text(pdfs.statement_pdf(business, customer, account.statement(DEC)))
    assert "No activity this month." in quiet and "Closing balance $87.50" in " ".join(
        quiet.split()
    )


@pytest.fixture
def portal_shop(db: Database, live_server: LiveServer) -> tuple[NewBusiness, Customer, Customer]:
    """Casey with an invoice two months ago and a part payment last month; Robin, new; the
    server's clock stopped at NOW."""
    assert live_server.app is not None
    live_server.app.state.clock = lambda: NOW
    account = open_account(db)
    last = statements.previous_month(statements.month_of(TODAY))
    before = statements.previous_month(last)
    invoice = account.invoice(before.replace(day=10), 20000, number="INV-41")
    account.pay(invoice, 5000, at(last.replace(day=4)))
    with db.session(account.business_id) as session:
        robin = make_customer(session, account.made.business, name="Robin")
    return account.made, account.customer, robin


def download(settings: Settings, customer: Customer, document: str) -> str:
    return tokens.mint(
        settings.secret_key,
        Purpose.DOWNLOAD,
        business_id=customer.business_id,
        customer_id=customer.id,
        link_version=customer.link_version,
        d=document,
    )


def test_the_portal_lists_past_months_each_with_its_pdf(
    live_server: LiveServer,
    settings: Settings,
    portal_shop: tuple[NewBusiness, Customer, Customer],
) -> None:
    made, casey, _ = portal_shop
    last = statements.previous_month(statements.month_of(TODAY))
    with Portal(live_server, settings, made.business, casey) as portal:
        history = portal.get("/payments")
        assert f'hx-get="{live_server.url}/portal/{portal.key}/statements"' in history.text
        listed = portal.get("/statements")
    assert listed.status_code == 200 and 'id="fd-statements"' in listed.text
    assert listed.text.count("Statement (PDF)") == 2  # last month and the one before: not this
    assert "$150.00 owed" in listed.text and "$200.00 owed" in listed.text
    links = [html.unescape(x) for x in re.findall(r'href="([^"]+/download/[^"]+)"', listed.text)]
    answer = httpx.get(links[0])
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"] == (
        f'attachment; filename="statement-{statements.month_key(last)}.pdf"'
    )
    said = " ".join(pdf_text(answer.content).split())
    assert "Casey Rivera" in said and "Closing balance $150.00" in said
    assert httpx.get(links[0][:-4] + "AAAA").status_code == 401


@pytest.mark.parametrize("month_back", [0, 1, 3])
def test_a_download_token_opens_only_a_month_the_customer_has(
    live_server: LiveServer,
    settings: Settings,
    portal_shop: tuple[NewBusiness, Customer, Customer],
    month_back: int,
) -> None:
    made, casey, robin = portal_shop
    month = statements.month_of(TODAY)
    for _ in range(month_back):
        month = statements.previous_month(month)
    key = statements.month_key(month)
    url = f"{live_server.url}/portal/{made.business.publishable_key}/download/"
    # This month is not over; three months back is before Casey's account began.
    assert httpx.get(url + download(settings, casey, f"statement:{key}")).status_code == (
        200 if month_back == 1 else 404
    )
    # Robin's own token names the same month: Robin has no statement, and never sees Casey's.
    assert httpx.get(url + download(settings, robin, f"statement:{key}")).status_code == 404


def test_another_business_s_portal_refuses_the_download(
    live_server: LiveServer,
    settings: Settings,
    db: Database,
    portal_shop: tuple[NewBusiness, Customer, Customer],
) -> None:
    _, casey, _ = portal_shop
    other = make_business(db).business
    key = statements.month_key(statements.previous_month(statements.month_of(TODAY)))
    token = download(settings, casey, f"statement:{key}")
    answer = httpx.get(f"{live_server.url}/portal/{other.publishable_key}/download/{token}")
    assert answer.status_code == 401


@pytest.fixture
def desk(
    live_server: LiveServer, portal_shop: tuple[NewBusiness, Customer, Customer]
) -> Iterator[Desk]:
    made, _, _ = portal_shop
    desk = Desk(live_server.url, made.owner.email)
    yield desk
    desk.close()


def test_the_customer_page_offers_the_month_chosen(
    desk: Desk, db: Database, portal_shop: tuple[NewBusiness, Customer, Customer]
) -> None:
    _, casey, robin = portal_shop
    last = statements.month_key(statements.previous_month(statements.month_of(TODAY)))
    assert f"/customers/{casey.id}/statements" in desk.get(f"/customers/{casey.id}").text
    card = desk.client.get(f"/customers/{casey.id}/statements", headers={"HX-Request": "true"})
    assert card.status_code == 200 and f'<option value="{last}">' in card.text
    assert "Statements are not emailed" in card.text
    document = desk.get(f"/customers/{casey.id}/statement", month=last)
    assert document.status_code == 200 and document.headers["Content-Type"] == "application/pdf"
    assert "Closing balance $150.00" in " ".join(pdf_text(document.content).split())
    assert desk.get(f"/customers/{robin.id}/statement", month=last).status_code == 404
    assert desk.get(f"/customers/{casey.id}/statement", month="2020-01").status_code == 404
    assert "No statements yet" in desk.get(f"/customers/{robin.id}/statements").text
    stranger = make_business(db)
    with db.session(stranger.business.id) as session:
        theirs = make_customer(session, stranger.business)
    assert desk.get(f"/customers/{theirs.id}/statement", month=last).status_code == 404


def test_the_settings_card_turns_the_email_on_and_off(
    desk: Desk, db: Database, portal_shop: tuple[NewBusiness, Customer, Customer]
) -> None:
    made = portal_shop[0]
    page = desk.get("/settings")
    assert 'name="statements_emailed"' in page.text and "Email monthly statements" in page.text
    on = desk.post("/settings/statements", {"which": "statements", "statements_emailed": "yes"})
    assert on.status_code == 200 and "Saved: statements go out on the 1st." in on.text
    assert (
        "Nothing changed."
        in desk.post(
            "/settings/statements", {"which": "statements", "statements_emailed": "yes"}
        ).text
    )
    with db.session(made.business.id) as session:
        assert businesses.get(session, made.business.id).statements_emailed is True
    off = desk.post("/settings/statements", {"which": "statements"})
    assert "Saved: statements are no longer emailed." in off.text
    with db.session(made.business.id) as session:
        assert businesses.get(session, made.business.id).statements_emailed is False
