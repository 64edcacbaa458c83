"""The API's view of subscriptions (`/subscriptions`): a customer's plan, its rhythm and what
became of each period; what the business's system sends to make, pause and cancel one."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import ConfigDict, Field, StringConstraints, model_validator
from sqlmodel import Session, col, select

from frontdesk import models
from frontdesk.api.fields import Minor, Quantity
from frontdesk.api.schemas import Input, Line, ListQuery, Output
from frontdesk.services import lines as line_pricing
from frontdesk.services import subscriptions
from frontdesk.services.lines import LineInput
from frontdesk.services.subscriptions.rules import MAX_COUNT, MAX_NAME, MAX_SKIP, line_inputs

Status = Literal["active", "paused", "canceled", "ended"]


class SubscriptionListQuery(ListQuery):
    customer: str | None = Field(default=None, description="Our id or `external:<your id>`.")
    status: Status | None = None


class PlanLineIn(Input):
    """A line billed every period; priced as an invoice line (a tax rate, no fixed tax)."""

    description: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    quantity: Quantity = Decimal(1)
    unit_amount: Minor
    tax_rate_bp: Annotated[int, Field(ge=0, le=10_000, description="825 = 8.25 %.")] | None = None


class IntervalIn(Input):
    every: Literal["week", "month", "quarter", "year"]
    count: Annotated[int, Field(ge=1, le=MAX_COUNT)] = Field(
        default=1, description="Every `count` of them: 2 with `week` bills fortnightly."
    )


class SubscriptionCreate(Input):
    customer: str = Field(description="Our id, or `external:<your id>`.")
    name: Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME)] = Field(
        description="What the customer sees, on the portal and each invoice."
    )
    lines: Annotated[list[PlanLineIn], Field(min_length=1, max_length=200)]
    interval: IntervalIn
    start_on: date | None = Field(
        default=None,
        description="The first period's first day: today or later, where the business is; "
        "today when left out.",
    )
    end_on: date | None = Field(
        default=None, description="No period starts after this day; not before `start_on`."
    )
    max_periods: Annotated[int, Field(ge=1, le=10_000)] | None = Field(
        default=None, description="Stop after this many periods."
    )
    days_until_due: Annotated[int, Field(ge=0, le=90)] = Field(
        default=14, description="Each invoice falls due this many days after it is issued."
    )
    customer_can_cancel: bool = True
    customer_can_pause: bool = True

    def wanted(self) -> subscriptions.Wanted:
        """The plan as the service takes it from any side (the dashboard's form too)."""
        return subscriptions.Wanted(
            name=self.name,
            lines=[
                LineInput(
                    description=line.description,
                    unit_amount=line.unit_amount,
                    quantity=line.quantity,
                    tax_rate_bp=line.tax_rate_bp,
                )
                for line in self.lines
            ],
            every=self.interval.every,
            count=self.interval.count,
            start_on=self.start_on.isoformat() if self.start_on else "",
            end_on=self.end_on.isoformat() if self.end_on else "",
            max_periods=str(self.max_periods or ""),
            days_until_due=self.days_until_due,
            customer_can_cancel=self.customer_can_cancel,
            customer_can_pause=self.customer_can_pause,
        )


class Pause(Input):
    """Until a day, or for the next `skip` periods: one of the two."""

    model_config = ConfigDict(json_schema_extra={"not": {"required": ["until", "skip"]}})

    until: date | None = Field(
        default=None, description="No invoices for periods starting before this day (after today)."
    )
    skip: Annotated[int, Field(ge=1, le=MAX_SKIP)] | None = Field(
        default=None, description="Skip the next this many periods."
    )

    @model_validator(mode="after")
    def one_of_the_two(self) -> Self:
        if self.until is not None and self.skip is not None:
            raise ValueError("Give `until` or `skip`, not both.")
        return self


class Cancel(Input):
    mode: Literal["period_end", "now"] = Field(
        default="period_end",
        description="`period_end`: after the period already billed; `now`: nothing more is billed.",
    )
    reason: Annotated[str, StringConstraints(max_length=500)] = ""


class SubscriptionUpdate(Input):
    """New terms for a plan (what is left out stays as it is). Each period's invoice uses them
    from the next one; for the period already invoiced, see `proration`."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME)] | None = None
    lines: Annotated[list[PlanLineIn], Field(min_length=1, max_length=200)] | None = Field(
        default=None, description="Every line of the plan, replacing those it has."
    )
    days_until_due: Annotated[int, Field(ge=0, le=90)] | None = None
    proration: Literal["now", "next_period"] | None = Field(
        default=None,
        description="Needed when the amount changes inside a period already invoiced at the "
        "old one. `now`: an invoice for the difference over the days left (an increase) or "
        "account credit (a decrease), today; `next_period`: nothing for the current period.",
    )

    def edit(self) -> subscriptions.Edit:
        lines = None
        if self.lines is not None:
            lines = [
                LineInput(line.description, line.unit_amount, line.quantity, line.tax_rate_bp)
                for line in self.lines
            ]
        return subscriptions.Edit(
            name=self.name,
            lines=lines,
            days_until_due=self.days_until_due,
            proration=self.proration or "",
        )


class ProrationOut(Output):
    """The period already invoiced at the old amount, from the day of the change to its end."""

    period_starts_on: date
    period_ends_on: date
    changes_on: date = Field(description="Today where the business is: the first day prorated.")
    days_in_period: int
    days_left: int = Field(description="From `changes_on` to the period's end, both included.")
    unused: int = Field(description="The days left at the old amount (minor units).")
    remaining: int = Field(description="The same days at the new amount.")
    adjustment: int = Field(
        description="`remaining - unused`: invoiced now (above 0) or credited (below 0) with "
        "`proration: now`."
    )
    invoice: str = Field(description="The number of the invoice that billed the period.")


class ChangePreview(Output):
    object: Literal["subscription_change_preview"] = "subscription_change_preview"
    subscription: str
    currency: str
    old_amount: int = Field(description="Each period's invoice now, tax included.")
    new_amount: int = Field(description="Each period's invoice after the change.")
    next_invoice_on: date | None
    proration: ProrationOut | None = Field(
        description="Null when nothing is prorated: the amount is the same, or no period "
        "runs on an invoice (not started, skipped while paused, at its last day's end)."
    )

    @classmethod
    def of(cls, seen: subscriptions.Preview) -> ChangePreview:
        prorated = seen.proration
        return cls(
            subscription=seen.subscription.id,
            currency=seen.subscription.currency,
            old_amount=seen.old_amount,
            new_amount=seen.new_amount,
            next_invoice_on=seen.next_on,
            proration=None
            if prorated is None
            else ProrationOut(
                period_starts_on=prorated.first,
                period_ends_on=prorated.last,
                changes_on=prorated.on,
                days_in_period=prorated.days,
                days_left=prorated.days_left,
                unused=prorated.unused,
                remaining=prorated.remaining,
                adjustment=prorated.adjustment,
                invoice=seen.invoice_number,
            ),
        )


class Change(Output):
    """One saved change of the plan; the latest first."""

    id: str
    old_amount: int
    new_amount: int
    proration: Literal["now", "next_period", "none"]
    days_left: int
    days_in_period: int
    adjustment: int = Field(description="Invoiced (above 0) or credited (below 0) at once.")
    invoice: str | None = Field(description="The adjustment invoice, if any.")
    credit_note: str | None = Field(description="The account credit, if any.")
    created_at: datetime


class IntervalOut(Output):
    every: Literal["week", "month", "year"] = Field(description="A quarter is 3 months.")
    count: int


class Period(Output):
    """What became of one period; the latest first."""

    period: int = Field(description="0 is the first period.")
    starts_on: date
    ends_on: date
    outcome: Literal["invoiced", "skipped"]
    invoice: str | None = Field(description="The invoice it became, if any.")
    quiet: bool = Field(
        description="Billed long after it fell due (the server was away): no email was sent."
    )


class Subscription(Output):
    id: str
    object: Literal["subscription"] = "subscription"
    customer: str
    name: str
    status: Status
    currency: str
    lines: list[Line]
    interval: IntervalOut
    rhythm: str = Field(description='In words: "Monthly", "Every 2 weeks", "Quarterly".')
    amount: int = Field(description="Each period's invoice, tax included, minor units.")
    start_on: date
    end_on: date | None
    max_periods: int | None
    days_until_due: int
    time_zone: str = Field(description="Where periods are counted: the business's zone.")
    next_invoice_on: date | None = Field(description="Null when nothing more will be billed.")
    cancel_at_period_end: bool
    canceled_at: datetime | None
    cancel_reason: str
    paused_until: date | None
    skip_periods: int = Field(description="Periods still to skip while paused.")
    customer_can_cancel: bool
    customer_can_pause: bool
    periods: list[Period]
    changes: list[Change] = Field(description="Its edits, the latest first.")
    created_at: datetime
    updated_at: datetime


def _lines(row: models.Subscription) -> list[Line]:
    priced = []
    for line in line_inputs(row.lines):
        amount, tax = line_pricing.price(line)
        priced.append(
            Line(
                description=line.description,
                quantity=line.quantity,
                unit_amount=line.unit_amount,
                tax_rate_bp=line.tax_rate_bp,
                amount=amount,
                tax_amount=tax,
            )
        )
    return priced


def listed(session: Session, rows: Sequence[models.Subscription]) -> list[Subscription]:
    """Subscriptions with their periods, in one query for the periods of the whole page."""
    periods: dict[str, list[Period]] = defaultdict(list)
    statement = (
        select(models.SubscriptionPeriod)
        .where(col(models.SubscriptionPeriod.subscription_id).in_([row.id for row in rows]))
        .order_by(col(models.SubscriptionPeriod.period).desc())
    )
    for period in session.exec(statement):
        periods[period.subscription_id].append(
            Period(
                period=period.period,
                starts_on=period.starts_on,
                ends_on=period.ends_on,
                outcome=period.outcome,
                invoice=period.invoice_id,
                quiet=period.quiet,
            )
        )
    changes: dict[str, list[Change]] = defaultdict(list)
    edits = (
        select(models.SubscriptionChange)
        .where(col(models.SubscriptionChange.subscription_id).in_([row.id for row in rows]))
        .order_by(col(models.SubscriptionChange.created_at).desc())
    )
    for edit in session.exec(edits):
        changes[edit.subscription_id].append(
            Change(
                id=edit.id,
                old_amount=edit.old_amount,
                new_amount=edit.new_amount,
                proration=edit.proration,
                days_left=edit.days_left,
                days_in_period=edit.days_in_period,
                adjustment=edit.adjustment,
                invoice=edit.invoice_id,
                credit_note=edit.credit_note_id,
                created_at=edit.created_at,
            )
        )
    return [
        Subscription(
            id=row.id,
            customer=row.customer_id,
            name=row.name,
            status=str(row.status),
            currency=row.currency,
            lines=_lines(row),
            interval=IntervalOut(every=str(row.interval), count=row.interval_count),
            rhythm=subscriptions.rhythm(row),
            amount=subscriptions.period_total(row),
            start_on=row.start_on,
            end_on=row.end_on,
            max_periods=row.max_periods,
            days_until_due=row.days_until_due,
            time_zone=row.time_zone,
            next_invoice_on=subscriptions.next_invoice(row),
            cancel_at_period_end=row.cancel_at_period_end,
            canceled_at=row.canceled_at,
            cancel_reason=row.cancel_reason,
            paused_until=row.paused_until,
            skip_periods=row.skip_periods,
            customer_can_cancel=row.customer_can_cancel,
            customer_can_pause=row.customer_can_pause,
            periods=periods[row.id],
            changes=changes[row.id],
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
        for row in rows
    ]
