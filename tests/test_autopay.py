"""Automatic payments with the clock moved, against the Stripe sandbox over HTTP: the customer's
own consent (never anyone else's card, never words they were not shown), one charge per invoice
at 06:00 on its due date where the business is, soft declines tried again on the retry days and
then given up with one email, hard declines and removed cards ending it, the bank wanting the
customer, credit used first, the notice before, two runners at once and a run cut short between
its two steps. The books hold after every test that moves money."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from frontdesk import scheduler
from frontdesk.models import (
    AutopayAttempt,
    AutopayEnrollment,
    AutopayNotice,
    CreditNote,
    Initiator,
    Invoice,
    InvoiceReminder,
    InvoiceStatus,
    OutboxItem,
    Payment,
    PaymentMethod,
    PaymentMethodKind,
    PaymentStatus,
)
from frontdesk.services import audit, autopay, businesses, customers, payments
from frontdesk.services.autopay import charging
from frontdesk.services.errors import Forbidden, Invalid
from frontdesk.services.links import Links
from tests.factories import make_customer, make_invoice
from tests.flow import Flow, assert_books_balance

ZONE = "America/New_York"
AGREED = datetime(2028, 2, 20, 17, 0, tzinfo=UTC)
DUE = date(2028, 3, 1)


def at(day: date, hour: int = 6, minute: int = 0) -> datetime:
    """That time of day in New York, as the clock gives it (UTC)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(ZONE)).astimezone(
        UTC
    )


class Desk:
    """One enrolled customer of the flow's business, its scheduler and what it sent."""

    def __init__(self, flow: Flow) -> None:
        self.flow, self.db, self.id = flow, flow.db, flow.business.id
        self.links = Links.from_settings(flow.settings)
        with self.db.session(self.id) as session:
            business = businesses.get(session, self.id)
            business.time_zone = ZONE
            customer = make_customer(session, business, name="Avery Autopay")
            self.customer_id, self.email = customer.id, customer.email

    def card(self, processor_id: str = "pm_card_visa", exp: tuple[int, int] = (12, 2030)) -> str:
        """A card the customer saved with consent to charges made without them."""
        with self.db.session(self.id) as session:
            method = PaymentMethod(
                business_id=self.id,
                customer_id=self.customer_id,
                processor_id=processor_id,
                brand="visa",
                last4=processor_id[-4:],
                exp_month=exp[0],
                exp_year=exp[1],
                consent_text="I authorise it",
            )
            session.add(method)
            session.flush()
            return method.id

    def enroll(self, method_id: str, now: datetime = AGREED, **changes: object) -> str:
        with self.db.session(self.id) as session:
            business = businesses.get(session, self.id)
            customer = customers.get(session, business=business, customer_id=self.customer_id)
            method = session.get(PaymentMethod, method_id)
            shown = autopay.digest(autopay.consent_text(business, method)) if method else ""
            fields: dict[str, object] = {
                "method_id": method_id,
                "agreed": True,
                "shown": shown,
                "ip": "203.0.113.9",
                "user_agent": "pytest",
                "now": now,
            }
            fields.update(changes)
            return autopay.enroll(session, business=business, customer=customer, **fields).id  # type: ignore[arg-type]

    def invoice(self, amount: int = 6000, due: date = DUE, number: str = "AP-1") -> str:
        with self.db.session(self.id) as session:
            business = businesses.get(session, self.id)
            customer = customers.get(session, business=business, customer_id=self.customer_id)
            invoice = make_invoice(
                session,
                business,
                customer,
                amounts=(amount,),
                number=number,
                issue_date=due - timedelta(days=14),
                due_date=due,
            )
            return invoice.id

    def run(self, now: datetime) -> int:
        return scheduler.run_due(self.db, self.links, self.flow.processor, now)

    def attempts(self, invoice_id: str) -> list[tuple[int, str, str]]:
        with self.db.session(self.id) as session:
            rows = session.exec(
                select(AutopayAttempt)
                .where(AutopayAttempt.invoice_id == invoice_id)
                .order_by(col(AutopayAttempt.attempt))
            ).all()
            return [(row.attempt, str(row.status), row.code) for row in rows]

    def paid(self, invoice_id: str) -> list[Payment]:
        with self.db.session(self.id) as session:
            return list(
                session.exec(
                    select(Payment).where(
                        Payment.customer_id == self.customer_id,
                        Payment.status == PaymentStatus.SUCCEEDED,
                    )
                ).all()
            )

    def status(self, invoice_id: str) -> InvoiceStatus:
        with self.db.session(self.id) as session:
            invoice = session.get(Invoice, invoice_id)
            assert invoice is not None
            return invoice.status

    def mail(self, subject_has: str) -> list[str]:
        with self.db.session(self.id) as session:
            items = session.exec(select(OutboxItem).where(OutboxItem.kind == "email")).all()
            return [
                item.payload["text"]
                for item in items
                if item.payload["to"] == self.email and subject_has in item.payload["subject"]
            ]

    def events(self, type: str) -> list[dict[str, object]]:
        with self.db.session(self.id) as session:
            items = session.exec(select(OutboxItem).where(OutboxItem.kind == "event")).all()
            return [item.payload["data"] for item in items if item.payload["type"] == type]

    def enrollment(self) -> AutopayEnrollment | None:
        with self.db.session(self.id) as session:
            return autopay.current(session, customer_id=self.customer_id)


@pytest.fixture
def desk(flow: Flow) -> Desk:
    return Desk(flow)


def test_the_customer_agrees_to_words_that_name_the_card_the_timing_and_how_to_stop(
    desk: Desk,
) -> None:
    method = desk.card()
    desk.enroll(method)
    enrollment = desk.enrollment()
    assert enrollment is not None
    text = enrollment.consent_text
    assert "ending 4242" not in text  # the card is the one chosen, named by its own digits
    assert f"ending {'pm_card_visa'[-4:]}" in text
    assert "on its due date" in text and "3 days before each charge" in text
    assert "turn automatic payments off in this portal at any time" in text
    assert enrollment.consent_sha256 == autopay.digest(text)
    assert enrollment.consent_ip == "203.0.113.9" and enrollment.starts_on == date(2028, 2, 20)
    assert desk.events("autopay.enrolled") and desk.mail("are on")


def test_bad_enrolments_are_refused_and_change_nothing(desk: Desk, flow: Flow) -> None:
    method = desk.card()
    with pytest.raises(Invalid) as unticked:
        desk.enroll(method, agreed=False)
    assert "consent" in (unticked.value.fields or {})
    with pytest.raises(Invalid, match="terms have changed"):
        desk.enroll(method, shown=autopay.digest("other words"))
    # Someone else's card: the flow's first customer saved one.
    with flow.db.session(flow.business.id) as session:
        theirs = PaymentMethod(
            business_id=flow.business.id,
            customer_id=flow.customer.id,
            processor_id="pm_card_theirs",
            last4="1111",
            consent_text="I authorise it",
        )
        session.add(theirs)
        session.flush()
        theirs_id = theirs.id
    with pytest.raises(Invalid) as foreign:
        desk.enroll(theirs_id)
    assert "method" in (foreign.value.fields or {})
    # A card saved without consent to charges made without the customer.
    with desk.db.session(desk.id) as session:
        bare = session.get(PaymentMethod, method)
        assert bare is not None
        bare.consent_text = ""
    with pytest.raises(Invalid):
        desk.enroll(method)
    with desk.db.session(desk.id) as session:
        businesses.get(session, desk.id).autopay_enabled = False
    with pytest.raises(Forbidden):
        desk.enroll(method)
    assert desk.enrollment() is None and desk.events("autopay.enrolled") == []


def test_an_invoice_is_charged_once_at_six_on_its_due_date(desk: Desk) -> None:
    desk.enroll(desk.card())
    invoice = desk.invoice()
    desk.run(at(DUE, 5, 59))
    assert desk.attempts(invoice) == []
    desk.run(at(DUE, 6, 0))
    assert desk.attempts(invoice) == [(1, "succeeded", "")]
    for later in (at(DUE, 6, 1), at(DUE, 9), at(DUE + timedelta(days=3))):
        desk.run(later)
    assert desk.attempts(invoice) == [(1, "succeeded", "")]
    assert desk.status(invoice) == InvoiceStatus.PAID
    assert [p.amount for p in desk.paid(invoice)] == [6000]
    assert_books_balance(desk.flow)


def test_the_notice_goes_three_days_before_and_once(desk: Desk) -> None:
    desk.enroll(desk.card())
    invoice = desk.invoice()
    desk.run(at(DUE - timedelta(days=3), 5))
    assert desk.mail("will charge") == []
    desk.run(at(DUE - timedelta(days=3), 6))
    desk.run(at(DUE - timedelta(days=2), 6))
    notices = desk.mail("will charge")
    assert len(notices) == 1 and "AP-1" in notices[0] and "$60.00" in notices[0]
    assert [e["invoice"] for e in desk.events("invoice.upcoming")] == [invoice]


def test_soft_declines_are_tried_again_on_the_retry_days_then_given_up_once(desk: Desk) -> None:
    desk.enroll(desk.card("pm_card_chargeCustomerFail"))
    invoice = desk.invoice()
    desk.run(at(DUE))
    assert desk.attempts(invoice) == [(1, "soft_failed", "generic_decline")]
    assert len(desk.mail("did not go through")) == 1
    desk.run(at(DUE + timedelta(days=1), 5, 59))  # retries go at 06:00 too
    assert len(desk.attempts(invoice)) == 1
    for days in (1, 3, 5):
        desk.run(at(DUE + timedelta(days=days)))
        desk.run(at(DUE + timedelta(days=days), 7))
    assert [a[:2] for a in desk.attempts(invoice)] == [(n, "soft_failed") for n in (1, 2, 3, 4)]
    for days in range(6, 20):
        desk.run(at(DUE + timedelta(days=days)))
    assert len(desk.attempts(invoice)) == 4
    assert len(desk.mail("did not go through")) == 3
    given_up = desk.mail("Action needed")
    assert len(given_up) == 1 and "We will not try again" in given_up[0]
    assert [e["attempt"] for e in desk.events("autopay.failed")] == [4]
    assert desk.enrollment() is not None  # a soft decline does not end automatic payments
    assert desk.status(invoice) == InvoiceStatus.OPEN and desk.paid(invoice) == []
    assert_books_balance(desk.flow)


@pytest.mark.parametrize(
    ("card", "code"),
    [
        ("pm_card_chargeDeclinedLostCard", "lost_card"),
        ("pm_card_chargeDeclinedExpiredCard", "expired_card"),
    ],
)
def test_a_hard_decline_stops_and_ends_automatic_payments(desk: Desk, card: str, code: str) -> None:
    desk.enroll(desk.card(card))
    invoice = desk.invoice()
    desk.run(at(DUE))
    desk.run(at(DUE + timedelta(days=1)))
    assert desk.attempts(invoice) == [(1, "hard_failed", code)]
    assert desk.enrollment() is None
    emails = desk.mail("Action needed")
    assert len(emails) == 1 and "now off" in emails[0] and "#frontdesk=" in emails[0]
    failed = desk.events("autopay.failed")
    assert len(failed) == 1 and failed[0]["autopay_ended"] is True
    assert_books_balance(desk.flow)


def test_when_the_bank_wants_the_customer_they_get_the_link_and_no_retries(desk: Desk) -> None:
    desk.enroll(desk.card("pm_card_authenticationRequired"))
    invoice = desk.invoice()
    for days in range(0, 6):
        desk.run(at(DUE + timedelta(days=days)))
    assert desk.attempts(invoice) == [(1, "needs_action", "authentication_required")]
    assert len(desk.mail("Please confirm your payment")) == 1
    assert_books_balance(desk.flow)


def test_credit_pays_first_and_only_the_rest_is_charged(desk: Desk) -> None:
    desk.enroll(desk.card())
    covered = desk.invoice(2500, number="AP-1")
    partly = desk.invoice(6000, due=DUE + timedelta(days=1), number="AP-2")
    with desk.db.session(desk.id) as session:
        session.add(
            CreditNote(
                business_id=desk.id,
                customer_id=desk.customer_id,
                amount=3000,
                currency="USD",
                reason="Overpaid last year",
            )
        )
    desk.run(at(DUE + timedelta(days=1)))
    assert desk.attempts(covered) == [(1, "credited", "")]
    assert desk.attempts(partly) == [(1, "succeeded", "")]
    assert desk.status(covered) == desk.status(partly) == InvoiceStatus.PAID
    assert sum(p.amount for p in desk.paid(partly)) == 2500 + 6000 - 3000
    with desk.db.session(desk.id) as session:
        business = businesses.get(session, desk.id)
        customer = customers.get(session, business=business, customer_id=desk.customer_id)
        assert customers.balance(session, business=business, customer=customer).credit == 0
    assert_books_balance(desk.flow)


def test_invoices_overdue_when_the_customer_agreed_are_theirs_to_pay(desk: Desk) -> None:
    old = desk.invoice(due=date(2028, 2, 10), number="AP-OLD")
    desk.enroll(desk.card())
    desk.run(at(DUE))
    assert desk.attempts(old) == [] and desk.status(old) == InvoiceStatus.OPEN


def test_removing_the_card_ends_automatic_payments(desk: Desk, flow: Flow) -> None:
    method = desk.card()
    desk.enroll(method)
    invoice = desk.invoice()
    with desk.db.session(desk.id) as session:
        business = businesses.get(session, desk.id)
        customer = customers.get(session, business=business, customer_id=desk.customer_id)
        payments.remove_method(
            session,
            business=business,
            customer=customer,
            method_id=method,
            processor=flow.processor,
        )
    assert desk.enrollment() is None
    assert [e["reason"] for e in desk.events("autopay.revoked")] == ["the card was removed"]
    desk.run(at(DUE))
    assert desk.attempts(invoice) == [] and desk.paid(invoice) == []


def test_two_runners_at_once_charge_an_invoice_once(desk: Desk) -> None:
    desk.enroll(desk.card())
    invoice = desk.invoice()
    barrier, errors = threading.Barrier(2), []

    def runner() -> None:
        try:
            barrier.wait()
            desk.run(at(DUE))
        except Exception as error:  # pragma: no cover - shown by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert desk.attempts(invoice) == [(1, "succeeded", "")]
    assert [p.amount for p in desk.paid(invoice)] == [6000]
    assert_books_balance(desk.flow)


def test_a_run_cut_short_between_its_steps_is_resumed_with_the_same_charge(desk: Desk) -> None:
    """Step 1 committed, then the process died: the next run charges it, once."""
    desk.enroll(desk.card())
    invoice = desk.invoice()
    with desk.db.session(desk.id) as session:
        assert charging.begin(session, invoice, desk.flow.processor, desk.links, at(DUE)) == 1
    assert desk.attempts(invoice) == [(1, "charging", "")]
    desk.run(at(DUE, 6, 1))
    assert desk.attempts(invoice) == [(1, "succeeded", "")]
    assert [p.amount for p in desk.paid(invoice)] == [6000]
    assert_books_balance(desk.flow)


def test_a_charge_made_before_a_crash_is_found_not_made_again(desk: Desk) -> None:
    """The processor charged, then the process died before recording it: the next run asks with
    the same key and records the charge the processor made."""
    desk.enroll(desk.card())
    invoice = desk.invoice()
    with desk.db.session(desk.id) as session:
        charging.begin(session, invoice, desk.flow.processor, desk.links, at(DUE))

    class Crash(Exception):
        pass

    with pytest.raises(Crash), desk.db.session(desk.id) as session:
        charging.finish(session, invoice, 1, desk.flow.processor, desk.links, at(DUE))
        raise Crash  # the transaction that recorded the charge never commits
    assert desk.attempts(invoice) == [(1, "charging", "")]
    desk.run(at(DUE, 6, 1))
    assert desk.attempts(invoice) == [(1, "succeeded", "")]
    intents = list(desk.flow.processor.intents(desk.flow.business.processor_account or ""))
    mine = [i for i in intents if i.metadata.get("frontdesk_business") == desk.id]
    assert len([i for i in mine if i.status == "succeeded"]) == 1
    assert_books_balance(desk.flow)


def test_paid_by_the_customer_between_the_steps_is_not_charged(desk: Desk, flow: Flow) -> None:
    desk.enroll(desk.card())
    invoice = desk.invoice()
    with desk.db.session(desk.id) as session:
        charging.begin(session, invoice, flow.processor, desk.links, at(DUE))
    with desk.db.session(desk.id) as session:
        business = businesses.get(session, desk.id)
        customer = customers.get(session, business=business, customer_id=desk.customer_id)
        paid = session.get(Invoice, invoice)
        assert paid is not None
        payments.record_offline(
            session,
            business=business,
            customer=customer,
            invoice=paid,
            amount=6000,
            method=PaymentMethodKind.CASH,
            reference="paid at the door",
            actor=audit.Actor(Initiator.STAFF, "owner"),
        )
    desk.run(at(DUE, 6, 1))
    assert desk.attempts(invoice) == [(1, "skipped", "paid")]
    assert desk.status(invoice) == InvoiceStatus.PAID
    assert_books_balance(desk.flow)


def test_a_card_expiring_within_a_month_gets_one_notice(desk: Desk) -> None:
    desk.enroll(desk.card(exp=(3, 2028)))
    desk.run(at(date(2028, 2, 29), 5))
    assert desk.mail("expires soon") == []
    desk.run(at(date(2028, 3, 1)))  # the card runs to 31 March; 30 days before is 1 March
    desk.run(at(date(2028, 3, 2)))
    notices = desk.mail("expires soon")
    assert len(notices) == 1 and "end of March 2028" in notices[0]
    with desk.db.session(desk.id) as session:
        kinds = session.exec(select(AutopayNotice.kind)).all()
        assert "expiring:2028-03" in kinds


def test_retries_fall_at_six_local_across_the_change_of_clocks(desk: Desk) -> None:
    """New York moves to summer time on 12 March 2028: retries after it fall at 10:00 UTC."""
    desk.enroll(desk.card("pm_card_chargeCustomerFail"))
    due = date(2028, 3, 10)
    invoice = desk.invoice(due=due)
    hour = at(due) - timedelta(hours=1)
    while hour < at(due + timedelta(days=6)):
        desk.run(hour)
        hour += timedelta(hours=1)
    with desk.db.session(desk.id) as session:
        rows = session.exec(
            select(AutopayAttempt)
            .where(AutopayAttempt.invoice_id == invoice)
            .order_by(col(AutopayAttempt.attempt))
        ).all()
        due_at = [row.due_at.astimezone(UTC).hour for row in rows]
    assert due_at == [11, 11, 10, 10]  # 06:00 EST on the 10th and 11th, EDT from the 13th
    assert_books_balance(desk.flow)


def test_only_the_customer_turns_it_on_and_anyone_allowed_turns_it_off(desk: Desk) -> None:
    desk.enroll(desk.card())
    with desk.db.session(desk.id) as session:
        business = businesses.get(session, desk.id)
        customer = customers.get(session, business=business, customer_id=desk.customer_id)
        autopay.revoke(
            session,
            business=business,
            customer=customer,
            actor=audit.Actor(Initiator.STAFF, "owner"),
            reason="asked by phone",
            now=AGREED + timedelta(days=1),
        )
    assert desk.enrollment() is None
    assert len(desk.mail("are off")) == 1
    with desk.db.session(desk.id) as session:
        ended = session.exec(select(AutopayEnrollment)).one()
        assert ended.revoked_by == "staff" and ended.consent_text  # the record is kept


def test_reminders_before_a_charge_give_way_to_its_notice(desk: Desk) -> None:
    desk.enroll(desk.card("pm_card_chargeDeclinedLostCard"))
    invoice = desk.invoice()
    for days in (-3, 0, 3):
        desk.run(at(DUE + timedelta(days=days), 10))
    with desk.db.session(desk.id) as session:
        decided = {
            kind: reason
            for kind, reason in session.exec(
                select(InvoiceReminder.kind, InvoiceReminder.reason).where(
                    InvoiceReminder.invoice_id == invoice
                )
            ).all()
        }
    assert decided["before"] == decided["due"] == "automatic payment"
    assert decided["after:3"] == ""  # the charge failed: the invoice is overdue like any other
    assert desk.mail("Reminder:") == [] and len(desk.mail("Overdue:")) == 1
    assert len(desk.mail("will charge")) == 1
    assert_books_balance(desk.flow)
