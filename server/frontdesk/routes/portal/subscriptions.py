"""The customer's plans in the portal: the list, one plan with its lines, and cancelling or pausing
it where the business allows, each first shown with its consequence to confirm."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.languages import gettext
from frontdesk.models import (
    Business,
    Customer,
    Initiator,
    InvoiceLine,
    Subscription,
    SubscriptionStatus,
)
from frontdesk.routes.portal import frame, refusals
from frontdesk.services import audit, businesses, host_events, subscriptions
from frontdesk.services import lines as line_pricing
from frontdesk.services.errors import Forbidden, Invalid
from frontdesk.services.subscriptions.rules import line_inputs

SECTION = "subscriptions"
LIST = "fragments/subscriptions/list.html"
DETAIL = "fragments/subscriptions/detail.html"
Status = SubscriptionStatus
# What the customer typed into the pause and cancel forms, kept when a step is shown again.
BLANK = {"until": "", "skip": "", "reason": ""}


def list_shown(items: list[Subscription]) -> dict[str, Any]:
    """The list drawn with `items` (the theme gallery draws it with samples)."""
    return {"plans": items, "current": SECTION, **_helpers()}


def _helpers() -> dict[str, Any]:
    return {
        "labels": subscriptions.LABELS,
        "rhythm": subscriptions.rhythm,
        "period_total": subscriptions.period_total,
        "when": subscriptions.when,
        "next_invoice": subscriptions.next_invoice,
    }


def list_context(session: Session, business: Business, customer: Customer) -> dict[str, Any]:
    return list_shown(subscriptions.for_customer(session, customer=customer))


def priced_lines(subscription: Subscription) -> list[InvoiceLine]:
    """The plan's lines priced as each period's invoice will be (rows drawn, never stored)."""

    def row() -> InvoiceLine:
        business_id = subscription.business_id
        return InvoiceLine(business_id=business_id, invoice_id="", description="", unit_amount=0)

    return line_pricing.build(line_inputs(subscription.lines), row)


def detail_shown(
    subscription: Subscription,
    *,
    confirming: subscriptions.Pausing | subscriptions.Cancelling | None = None,
    done: subscriptions.Pausing | subscriptions.Cancelling | None = None,
    problem: str = "",
    form: FormData | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One plan with its lines; the pause and cancel forms where the plan allows them (blank or
    as typed), or the step confirming one with its consequence."""
    going = subscription.status == Status.ACTIVE and not subscription.cancel_at_period_end
    typed = {name: str(form.get(name, "")) if form else "" for name in BLANK}
    return {
        "subscription": subscription,
        "lines": priced_lines(subscription),
        "may_cancel": going and subscription.customer_can_cancel,
        "may_pause": going and subscription.customer_can_pause,
        "max_skip": subscriptions.MAX_SKIP,
        "confirming": confirming,
        "done": done,
        "problem": problem,
        "typed": typed,
        "errors": errors or {},
        "current": SECTION,
        **_helpers(),
    }


def detail_context(subscription_id: str, **shown: Any) -> frame.Build:
    def build(session: Session, business: Business, customer: Customer) -> dict[str, Any]:
        found = subscriptions.get_for_customer(
            session, customer=customer, subscription_id=subscription_id
        )
        return detail_shown(found, **shown)

    return build


async def portal_subscriptions(request: Request) -> Response:
    return await frame.view(request, LIST, list_context, section=SECTION)


async def portal_subscription(request: Request) -> Response:
    subscription_id = request.path_params["subscription"]
    return await frame.view(request, DETAIL, detail_context(subscription_id), section=SECTION)


@contextmanager
def rehearsal(session: Session) -> Iterator[None]:
    """The change made by the service itself, with every check it makes, then undone: so the
    confirmation step says exactly what confirming will do, and refuses what it would refuse."""
    savepoint = session.begin_nested()
    try:
        yield
    finally:
        savepoint.rollback()


Change = Callable[[Session, Business, Customer, Subscription, FormData], Subscription]


def _cancel(request: Request) -> Change:
    def change(
        s: Session, business: Business, customer: Customer, found: Subscription, form: FormData
    ) -> Subscription:
        return subscriptions.cancel(
            s,
            business=business,
            subscription=found,
            mode="period_end",  # the customer ends what they have paid for, never sooner
            reason=str(form.get("reason", "")),
            actor=audit.Actor(Initiator.CUSTOMER, customer.id, frame.client_ip(request)),
            now=request.app.state.clock(),
            by_customer=True,
        )

    return change


def _pause(request: Request) -> Change:
    def change(
        s: Session, business: Business, customer: Customer, found: Subscription, form: FormData
    ) -> Subscription:
        return subscriptions.pause(
            s,
            business=business,
            subscription=found,
            until=str(form.get("until", "")),
            skip=str(form.get("skip", "")),
            actor=audit.Actor(Initiator.CUSTOMER, customer.id, frame.client_ip(request)),
            today=businesses.today(business),
            now=request.app.state.clock(),
            by_customer=True,
        )

    return change


@dataclass(frozen=True)
class Action:
    """Cancelling or pausing, as the portal does either: the change, its consequence to confirm,
    and the event the host page hears."""

    change: Callable[[Request], Change]
    consequence: Callable[[Subscription], subscriptions.Pausing | subscriptions.Cancelling]
    tell: Callable[[Session, Business, Customer, Subscription], host_events.Event]


CANCEL = Action(_cancel, subscriptions.cancelling, host_events.subscription_canceled)
PAUSE = Action(_pause, subscriptions.pausing, host_events.subscription_paused)


def _step(request: Request, action: Action, subscription_id: str, *, confirmed: bool) -> frame.Act:
    """Step one (not `confirmed`): the consequence to confirm, nothing changed. Step two: the
    change, and the plan saying it is done, in the same words."""

    def act(s: Session, business: Business, customer: Customer, form: FormData) -> dict[str, Any]:
        found = subscriptions.get_for_customer(
            s, customer=customer, subscription_id=subscription_id
        )
        change = action.change(request)
        try:
            if not confirmed:
                with rehearsal(s):
                    consequence = action.consequence(change(s, business, customer, found, form))
                shown = detail_context(subscription_id, confirming=consequence, form=form)
                return shown(s, business, customer)
            changed = change(s, business, customer, found, form)
        except Forbidden as refused:
            refusal = gettext("%(refusal)s Nothing was changed.") % {"refusal": refused}
            raise refusals.PortalError(403, gettext("Not possible here"), refusal) from None
        frame.tell(request, action.tell(s, business, customer, changed))
        return detail_shown(changed, done=action.consequence(changed))

    return act


def _again(subscription_id: str) -> frame.Rebuild:
    """Bad input: the plan with its forms as typed, and what to fix (422); nothing changed."""

    def rebuild(
        s: Session, business: Business, customer: Customer, form: FormData, invalid: Invalid
    ) -> dict[str, Any]:
        shown = detail_context(subscription_id, form=form, errors=invalid.fields)
        return {**shown(s, business, customer), "problem": invalid.message}

    return rebuild


async def _act(request: Request, action: Action, *, confirmed: bool) -> Response:
    subscription_id = request.path_params["subscription"]
    act = _step(request, action, subscription_id, confirmed=confirmed)
    return await frame.action(request, DETAIL, act, _again(subscription_id), section=SECTION)


async def portal_subscription_cancel_review(request: Request) -> Response:
    return await _act(request, CANCEL, confirmed=False)


async def portal_subscription_cancel(request: Request) -> Response:
    return await _act(request, CANCEL, confirmed=True)


async def portal_subscription_pause_review(request: Request) -> Response:
    return await _act(request, PAUSE, confirmed=False)


async def portal_subscription_pause(request: Request) -> Response:
    return await _act(request, PAUSE, confirmed=True)


ONE = "/subscriptions/{subscription}"
routes = [
    Route("/subscriptions", portal_subscriptions, name="portal_subscriptions"),
    Route(ONE, portal_subscription, name="portal_subscription"),
    Route(
        f"{ONE}/cancel/review",
        portal_subscription_cancel_review,
        methods=["POST"],
        name="portal_subscription_cancel_review",
    ),
    Route(
        f"{ONE}/cancel",
        portal_subscription_cancel,
        methods=["POST"],
        name="portal_subscription_cancel",
    ),
    Route(
        f"{ONE}/pause/review",
        portal_subscription_pause_review,
        methods=["POST"],
        name="portal_subscription_pause_review",
    ),
    Route(
        f"{ONE}/pause",
        portal_subscription_pause,
        methods=["POST"],
        name="portal_subscription_pause",
    ),
]
