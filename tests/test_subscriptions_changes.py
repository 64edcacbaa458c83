"""Changing a plan mid-period, with the clock moved: the proration arithmetic (exact, by days where
the business is, across month ends, a leap day and a change of clocks), the adjustment invoice or
account credit made once (a form sent twice, two saves at once), the scheduler's billing of the
next period racing a change at the period boundary, refusals that change nothing, and the books
holding after every step."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import select

from frontdesk.models import (
    AuditEvent,
    CreditNote,
    Initiator,
    Interval,
    InvoiceLine,
    OutboxItem,
    SubscriptionChange,
)
from frontdesk.services import audit, businesses, customers, subscriptions
from frontdesk.services.errors import Invalid
from frontdesk.services.lines import LineInput
from frontdesk.services.subscriptions.periods import period_span
from frontdesk.services.subscriptions.proration import prorate, share
from tests.interleave import together
from tests.security.state import state_of
from tests.test_subscriptions_billing import LINKS, ZONE, Shop, at
from tests.test_subscriptions_billing import shop as shop  # the fixture

SUBSCRIPTION_LOCK = "UPDATE subscription SET next_period"


# --- the arithmetic ------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    start=st.dates(min_value=date(2024, 1, 1), max_value=date(2035, 12, 31)),
    interval=st.sampled_from(list(Interval)),
    count=st.integers(min_value=1, max_value=12),
    n=st.integers(min_value=0, max_value=30),
    offset=st.integers(min_value=0, max_value=400),
    old=st.integers(min_value=0, max_value=99_999_999),
    new=st.integers(min_value=0, max_value=99_999_999),
)
def test_proration_is_exact_and_never_gives_or_takes_more_than_the_change(
    start: date, interval: Interval, count: int, n: int, offset: int, old: int, new: int
) -> None:
    first, last = period_span(start, interval, count, n)
    on = min(first + timedelta(days=offset), last)
    p = prorate(first, last, on, old, new)
    assert p.days == (last - first).days + 1 and 1 <= p.days_left <= p.days
    # Each part is its exact share of the amount, rounded half-up once.
    exact = Fraction(old * p.days_left, p.days)
    assert p.unused == int(exact + Fraction(1, 2)) and abs(p.unused - exact) <= Fraction(1, 2)
    assert 0 <= p.unused <= old and 0 <= p.remaining <= new
    # Never more than the whole change, always in its direction, and the same both ways.
    assert abs(p.adjustment) <= abs(new - old)
    assert p.adjustment * (new - old) >= 0
    assert prorate(first, last, on, new, old).adjustment == -p.adjustment
    # A change on the first day moves the whole period's amount; a later one never more.
    whole = prorate(first, last, first, old, new)
    assert (whole.unused, whole.remaining) == (old, new)
    assert abs(p.adjustment) <= abs(whole.adjustment)


def test_proration_across_a_month_end_a_leap_day_and_a_change_of_clocks() -> None:
    # Monthly from January 31st, 2028: the second period is February 29th to March 30th.
    first, last = period_span(date(2028, 1, 31), Interval.MONTH, 1, 1)
    assert (first, last) == (date(2028, 2, 29), date(2028, 3, 30))
    p = prorate(first, last, date(2028, 3, 15), 3100, 6200)
    assert (p.days, p.days_left, p.unused, p.remaining, p.adjustment) == (31, 16, 1600, 3200, 1600)
    # February 2028 has 29 days; changed on the leap day itself, one day is left.
    p = prorate(date(2028, 2, 1), date(2028, 2, 29), date(2028, 2, 29), 2900, 5800)
    assert (p.days, p.days_left, p.adjustment) == (29, 1, 100)
    # A week holding New York's spring forward (March 12th, 2028) is seven days all the same,
    # and the day of a change is the business's: 03:30 UTC on the 13th is still the 12th there.
    now = datetime(2028, 3, 13, 3, 30, tzinfo=UTC)
    p = prorate(date(2028, 3, 9), date(2028, 3, 15), now.astimezone(ZoneInfo(ZONE)).date(), 7000, 0)
    assert (p.days, p.days_left, p.unused, p.adjustment) == (7, 4, 4000, -4000)
    # Half a minor unit rounds up, as every figure of ours does.
    assert share(1, 1, 2) == 1 and share(3, 1, 2) == 2
    with pytest.raises(ValueError):
        prorate(date(2028, 3, 9), date(2028, 3, 15), date(2028, 3, 16), 1, 2)


# --- changes made to a plan ----------------------------------------------------------------------

MOWING = LineInput("Mowing and edging", 3100)


def edit(shop: Shop, plan: str, when: datetime, **fields: object) -> SubscriptionChange:
    """The owner's edit, saved as the dashboard saves it (today where the business is)."""
    with shop.db.session(shop.made.business.id) as session:
        business = businesses.get(session, shop.made.business.id)
        _, made = subscriptions.change(
            session,
            business=business,
            subscription=subscriptions.get(session, subscription_id=plan),
            edit=subscriptions.Edit(**fields),  # type: ignore[arg-type]
            actor=audit.Actor(Initiator.STAFF, shop.made.owner.id),
            links=LINKS,
            today=when.astimezone(ZoneInfo(ZONE)).date(),
            now=when,
        )
        session.expunge(made)
        return made


def monthly(shop: Shop) -> str:
    """$31.00 a month from January 31st, 2028 (no tax), its first period billed."""
    plan = shop.subscribe(date(2028, 1, 31), every="month", lines=[MOWING])
    shop.run(at(date(2028, 1, 31)))
    return plan


def changes(shop: Shop) -> list[SubscriptionChange]:
    with shop.db.session(shop.made.business.id) as session:
        return list(session.exec(select(SubscriptionChange)))


def test_an_increase_prorated_now_is_invoiced_once_and_the_next_period_billed_at_the_new_amount(
    shop: Shop,
) -> None:
    plan = monthly(shop)
    # Monthly from the 31st: the period is January 31st to February 28th (29 days); on the
    # 15th, 14 days are left: 14/29 of $31.00 unused (14.97), 14/29 of $62.00 to come (29.93).
    when = at(date(2028, 2, 15))
    double = [LineInput("Mowing and edging", 3100, Decimal(2)), LineInput("Leaves", 0)]
    made = edit(shop, plan, when, lines=double, proration="now", nonce="form-1")
    assert (made.days_left, made.days_in_period, made.adjustment) == (14, 29, 1496)
    again = edit(shop, plan, when, lines=double, proration="now", nonce="form-1")
    assert again.id == made.id
    [_, adjustment] = shop.invoices()
    assert adjustment.total == 1496 and adjustment.issue_date == date(2028, 2, 15)
    assert adjustment.status == "open" and adjustment.subscription_id == plan
    shop.books_hold(when)
    shop.run(at(date(2028, 2, 29)))
    assert [i.total for i in shop.invoices()] == [3100, 1496, 6200]
    subjects = shop.emails()
    assert sum("has changed" in s or s.startswith("Your plan") for s in subjects) == 1
    assert sum(s.startswith("Plan changed") for s in subjects) == 1  # the owner
    with shop.db.session(shop.made.business.id) as session:
        told = session.exec(select(OutboxItem).where(OutboxItem.kind == "email")).all()
        events = session.exec(select(OutboxItem).where(OutboxItem.kind == "event")).all()
        actions = [e.action for e in session.exec(select(AuditEvent))]
    customer_mail = [m.payload["text"] for m in told if m.payload["to"] == shop.customer.email]
    assert any(
        "Each period is now $62.00 instead of $31.00." in text
        and f"Invoice {adjustment.number} for $14.96 covers the rest of the current period "
        "(14 of 29 days)."
        in text
        for text in customer_mail
    ), customer_mail
    assert [e.payload["type"] for e in events].count("subscription.updated") == 1
    assert actions.count("subscription.changed") == 1
    assert len(changes(shop)) == 1


def test_a_decrease_prorated_now_is_account_credit(shop: Shop) -> None:
    plan = monthly(shop)
    when = at(date(2028, 2, 15))
    made = edit(shop, plan, when, lines=[LineInput("Mowing", 1000)], proration="now")
    # 14/29 of $31.00 unused (1497) less 14/29 of $10.00 (483).
    assert made.adjustment == -1014 and made.invoice_id is None
    with shop.db.session(shop.made.business.id) as session:
        [note] = session.exec(select(CreditNote)).all()
        balance = customers.balances(
            session,
            business=businesses.get(session, shop.made.business.id),
            customers=[shop.customer],
        )[shop.customer.id]
    assert (note.amount, note.invoice_id, note.id) == (1014, None, made.credit_note_id)
    assert balance.amount == 3100 - 1014  # the period's invoice, less the credit
    shop.books_hold(when)
    assert len(shop.invoices()) == 1


def test_from_the_next_period_nothing_is_billed_now_and_a_taxed_adjustment_keeps_its_tax(
    shop: Shop,
) -> None:
    plan = monthly(shop)
    taxed = [LineInput("Mowing and edging", 5000, tax_rate_bp=1000)]
    made = edit(shop, plan, at(date(2028, 2, 15)), lines=taxed, proration="next_period")
    assert (made.proration, made.adjustment, made.new_amount) == ("next_period", 0, 5500)
    assert len(shop.invoices()) == 1
    shop.run(at(date(2028, 2, 29)))  # February 29th to March 30th: $50.00 and $5.00 tax
    bigger = [LineInput("Mowing, edging and hedges", 10000, tax_rate_bp=1000)]
    made = edit(shop, plan, at(date(2028, 3, 15)), lines=bigger, proration="now")
    # 16 of 31 days left: $110.00 less $55.00 for those days, the tax shares kept apart.
    assert (made.days_left, made.days_in_period, made.adjustment) == (16, 31, 2838)
    with shop.db.session(shop.made.business.id) as session:
        [line] = session.exec(
            select(InvoiceLine).where(InvoiceLine.invoice_id == made.invoice_id)
        ).all()
    assert (line.amount, line.tax_amount) == (2580, 258)
    shop.books_hold(at(date(2028, 3, 15)))


def test_a_paused_plan_is_changed_without_proration_for_a_period_it_skipped(shop: Shop) -> None:
    plan = monthly(shop)
    shop.change(plan, "pause", at(date(2028, 2, 10)), skip="1")
    shop.run(at(date(2028, 2, 29)))  # skipped
    made = edit(shop, plan, at(date(2028, 3, 15)), lines=[LineInput("Mowing", 5000)])
    assert (made.proration, made.adjustment) == ("none", 0)
    shop.run(at(date(2028, 3, 31)))
    assert [i.total for i in shop.invoices()] == [3100, 5000]


def test_bad_edits_and_stopped_plans_are_refused_and_change_nothing(shop: Shop) -> None:
    plan = monthly(shop)
    when = at(date(2028, 2, 15))
    before = state_of(shop.db)
    for fields, field in (
        ({"lines": []}, "lines"),
        ({"lines": [LineInput("Mowing", -100)]}, "lines[0].unit_amount"),
        ({"lines": [LineInput(" ", 100)]}, "lines[0].description"),
        ({"name": "  "}, "name"),
        ({"days_until_due": 91}, "days_until_due"),
        ({"lines": [LineInput("Mowing", 9000)]}, "proration"),  # not chosen
        ({"lines": [LineInput("Mowing", 9000)], "proration": "later"}, "proration"),
    ):
        with pytest.raises(Invalid) as refused:
            edit(shop, plan, when, **fields)
        assert field in refused.value.fields, (fields, refused.value.fields)
    with pytest.raises(Invalid, match="Nothing to save"):
        edit(shop, plan, when, lines=[MOWING])
    assert state_of(shop.db) == before
    shop.change(plan, "cancel", when, mode="now")
    before = state_of(shop.db)
    with pytest.raises(Invalid, match="been cancelled: it cannot be changed"):
        edit(shop, plan, when, name="Pool care")
    assert state_of(shop.db) == before


def test_a_form_sent_twice_at_once_makes_one_change_and_one_adjustment(shop: Shop) -> None:
    plan = monthly(shop)
    when = at(date(2028, 2, 15))
    lines = [LineInput("Mowing and edging", 6200)]

    def save() -> str:
        return edit(shop, plan, when, lines=lines, proration="now", nonce="double-click").id

    first, second = together(shop.db.engine, save, save, marker=SUBSCRIPTION_LOCK)
    assert first == second and len(changes(shop)) == 1
    assert len(shop.invoices()) == 2
    shop.books_hold(when)


def test_a_change_seen_before_the_boundary_is_refused_once_the_next_period_is_billed(
    shop: Shop,
) -> None:
    """Seen on February 28th (the period's last day), saved after the scheduler billed February
    29th at the old amount: the figures the owner agreed to no longer hold, so nothing is done."""
    plan = monthly(shop)
    lines = [LineInput("Mowing and edging", 6200)]
    with shop.db.session(shop.made.business.id) as session:
        seen = subscriptions.preview(
            session,
            subscription=subscriptions.get(session, subscription_id=plan),
            edit=subscriptions.Edit(lines=lines),
            today=date(2028, 2, 28),
        )
    assert seen.proration is not None and seen.proration.days_left == 1
    agreed = {"seen_period": seen.period, "seen_adjustment": seen.proration.adjustment}
    shop.run(at(date(2028, 2, 29), 7))
    before = state_of(shop.db)
    for proration in ("now", "next_period"):
        with pytest.raises(Invalid, match="moved on"):
            edit(shop, plan, at(date(2028, 2, 29), 8), lines=lines, proration=proration, **agreed)
    assert state_of(shop.db) == before


@pytest.mark.parametrize("run", range(3))
def test_a_change_racing_the_scheduler_at_the_boundary_bills_the_new_period_once_and_rightly(
    shop: Shop, run: int
) -> None:
    """Both reach the subscription's lock together at 06:00 on February 29th; whichever goes
    first, the period is billed once, at the amount the owner saw agreed (the change was first)
    or at the old amount with the change refused (the scheduler was first)."""
    plan = monthly(shop)
    lines = [LineInput("Mowing and edging", 6200)]
    boundary = at(date(2028, 2, 29), 6) + timedelta(minutes=1)

    def change() -> str:
        try:
            edit(shop, plan, boundary, lines=lines, proration="next_period", seen_period=1)
        except Invalid as refused:
            return refused.message
        return "saved"

    def bill() -> int:
        return subscriptions.bill_due(shop.db, LINKS, boundary)

    said, billed = together(shop.db.engine, change, bill, marker=SUBSCRIPTION_LOCK)
    assert billed == 1
    totals = [i.total for i in shop.invoices()]
    if said == "saved":
        assert totals == [3100, 6200]
    else:
        assert "moved on" in said and totals == [3100, 3100] and changes(shop) == []
    assert len(shop.periods(plan)) == 2
    shop.books_hold(boundary)
