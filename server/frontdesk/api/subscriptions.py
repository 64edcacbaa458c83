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
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
        for row in rows
    ]
