"""Plans (subscriptions) in the dashboard: the Plans card of a customer's page (their plans, and
making a new one), the list of every plan, and one plan's page with its periods and what can be
done next (pause, resume, cancel)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.models import Customer, Subscription, SubscriptionStatus
from frontdesk.routes.dashboard.drafts import BLANK_ROW, _lines, _typed_rows
from frontdesk.routes.dashboard.frame import Staff, action, field_errors, page, page_number
from frontdesk.services import customers, subscriptions
from frontdesk.services.errors import Invalid
from frontdesk.services.lines import LineInput

SECTION = "subscriptions"
CARD = "fragments/dashboard/subscriptions/card.html"
LIST = "fragments/dashboard/subscriptions/list.html"
DETAIL = "fragments/dashboard/subscriptions/detail.html"
# The new-plan form's fields besides its lines, kept as typed when it is refused.
FIELDS = (
    "name",
    "every",
    "count",
    "start_on",
    "end_on",
    "max_periods",
    "days_until_due",
    "customer_can_cancel",
    "customer_can_pause",
)
EVERY = {"week": "Weeks", "month": "Months", "quarter": "Quarters", "year": "Years"}
STOPPED = (SubscriptionStatus.CANCELED, SubscriptionStatus.ENDED)


def _today(request: Request, who: Staff) -> date:
    """Today in the business's zone, on the app's clock (what a start date is checked by)."""
    now: datetime = request.app.state.clock()
    return now.astimezone(ZoneInfo(who.business.time_zone)).date()


def status_label(subscription: Subscription) -> str:
    label = subscriptions.LABELS[subscription.status]
    if subscription.cancel_at_period_end and subscription.status not in STOPPED:
        return f"{label}, ends with this period"
    return label


def _shown() -> dict[str, Any]:
    """What every view of plans shows them with."""
    return {
        "status_label": status_label,
        "rhythm": subscriptions.rhythm,
        "period_total": subscriptions.period_total,
        "next_invoice": subscriptions.next_invoice,
    }


def _customer(who: Staff, customer_id: str) -> Customer:
    return customers.get(who.session, business=who.business, customer_id=customer_id)


def card_context(
    request: Request, who: Staff, customer: Customer, form: FormData | None = None, **extra: Any
) -> dict[str, Any]:
    if form is None:
        typed = {
            "every": "month",
            "count": "1",
            "start_on": _today(request, who).isoformat(),
            "days_until_due": "14",
            "customer_can_cancel": "yes",
            "customer_can_pause": "yes",
        }
        rows = [BLANK_ROW] * 2
    else:
        typed = {name: str(form.get(name, "")) for name in FIELDS}
        rows = [*_typed_rows(form), BLANK_ROW]
    context: dict[str, Any] = {
        "customer": customer,
        "customer_plans": subscriptions.for_customer(who.session, customer=customer),
        "every_choices": EVERY,
        "plan_form": typed,
        "plan_rows": rows,
        "plan_errors": {},
        "plan_notice": "",
        **_shown(),
    }
    return {**context, **extra}


async def dashboard_customer_subscriptions(request: Request) -> Response:
    customer_id = request.path_params["customer"]

    def build(who: Staff) -> dict[str, Any]:
        customer = _customer(who, customer_id)
        return card_context(request, who, customer, title=customer.name)

    return await page(request, CARD, build, title="Plans", section="customers")


def _whole(form: FormData, name: str, blank: int, bad: int) -> int:
    """A whole number as typed; `bad` (which the service refuses with its message) otherwise."""
    text = str(form.get(name, "")).strip()
    if not text:
        return blank
    return int(text) if text.isdigit() and len(text) < 10 else bad


def _wanted(form: FormData, lines: list[LineInput]) -> subscriptions.Wanted:
    return subscriptions.Wanted(
        name=str(form.get("name", "")),
        lines=lines,
        every=str(form.get("every", "")),
        count=_whole(form, "count", blank=0, bad=0),
        start_on=str(form.get("start_on", "")),
        end_on=str(form.get("end_on", "")),
        max_periods=str(form.get("max_periods", "")),
        days_until_due=_whole(form, "days_until_due", blank=14, bad=-1),
        customer_can_cancel=form.get("customer_can_cancel") == "yes",
        customer_can_pause=form.get("customer_can_pause") == "yes",
    )


def _create(request: Request, who: Staff, customer: Customer, form: FormData) -> Subscription:
    """The plan as typed: the lines read as the invoice editor reads them, every mistake (lines
    and the rest) reported together."""
    line_errors: dict[str, str] = {}
    try:
        lines = _lines(form, who.business.currency)
    except Invalid as bad:
        line_errors, lines = bad.fields, []
    try:
        made = subscriptions.create(
            who.session,
            business=who.business,
            customer=customer,
            wanted=_wanted(form, lines),
            actor=who.actor,
            today=_today(request, who),
            now=request.app.state.clock(),
        )
    except Invalid as invalid:
        fields = {**invalid.fields, **line_errors}
        if line_errors:  # its lines were typed, just not right: no "add a line"
            fields.pop("lines", None)
        raise Invalid(invalid.message, fields) from None
    if line_errors:
        raise Invalid("Some lines need fixing.", line_errors)
    return made


async def dashboard_subscription_create(request: Request) -> Response:
    customer_id = request.path_params["customer"]

    def act(who: Staff, form: FormData) -> dict[str, Any]:
        customer = _customer(who, customer_id)
        made = _create(request, who, customer, form)
        first = subscriptions.next_invoice(made)
        when = f"the first invoice is issued on {first.isoformat()}" if first else "no invoice"
        notice = f"Plan “{made.name}” made for {customer.name}: {when}."
        return card_context(request, who, customer, plan_notice=notice)

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        customer = _customer(who, customer_id)
        return card_context(request, who, customer, form, plan_errors=field_errors(invalid))

    return await action(request, CARD, act, rebuild, section="customers")


async def dashboard_subscriptions(request: Request) -> Response:
    status, number = request.query_params.get("status", ""), page_number(request)

    def build(who: Staff) -> dict[str, Any]:
        wanted = status if status in subscriptions.LABELS else ""
        rows, more = subscriptions.listed(who.session, status=wanted, page=number)
        return {
            "rows": rows,
            "status": wanted,
            "labels": subscriptions.LABELS,
            "page_number": number,
            "more": more,
            **_shown(),
        }

    return await page(request, LIST, build, title="Plans", section=SECTION)


def detail_context(who: Staff, subscription: Subscription, **extra: Any) -> dict[str, Any]:
    going = subscription.status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAUSED)
    ending = subscription.cancel_at_period_end
    context: dict[str, Any] = {
        "subscription": subscription,
        "customer": _customer(who, subscription.customer_id),
        "periods": subscriptions.periods(who.session, subscription=subscription),
        "current": subscriptions.current_period(subscription),
        "may_pause": subscription.status == SubscriptionStatus.ACTIVE and not ending,
        "may_resume": subscription.status == SubscriptionStatus.PAUSED,
        "may_cancel": going,
        # Paused plans too: their lines change for the periods billed after the pause.
        "may_edit": going,
        "changes": subscriptions.saved_changes(who.session, subscription=subscription),
        "change_words": lambda change: subscriptions.change_words(
            who.session, who.business, subscription, change
        ),
        # Once it ends with its period, only ending it sooner is left.
        "cancel_modes": (
            {"now": subscriptions.CANCEL_MODES["now"]} if ending else subscriptions.CANCEL_MODES
        ),
        "max_skip": subscriptions.MAX_SKIP,
        "title": subscription.name,
        "section": SECTION,
        "notice": "",
        "errors": {},
        "typed": {},
        **_shown(),
    }
    return {**context, **extra}


def _subscription(who: Staff, subscription_id: str) -> Subscription:
    return subscriptions.get(who.session, subscription_id=subscription_id)


async def dashboard_subscription(request: Request) -> Response:
    subscription_id = request.path_params["subscription"]

    def build(who: Staff) -> dict[str, Any]:
        return detail_context(who, _subscription(who, subscription_id))

    return await page(request, DETAIL, build, title="Plan", section=SECTION)


Act = Callable[[Staff, FormData, Subscription], tuple[Subscription, str]]


async def _act(request: Request, act: Act) -> Response:
    """An action on the plan's page: the page comes back with what happened, or why not."""
    subscription_id = request.path_params["subscription"]

    def done(who: Staff, form: FormData) -> dict[str, Any]:
        changed, notice = act(who, form, _subscription(who, subscription_id))
        return detail_context(who, changed, notice=notice)

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        found = _subscription(who, subscription_id)
        typed = {name: str(value) for name, value in form.items() if name != "csrf_token"}
        return detail_context(who, found, errors=field_errors(invalid), typed=typed)

    return await action(request, DETAIL, done, rebuild, section=SECTION)


async def dashboard_subscription_pause(request: Request) -> Response:
    def act(who: Staff, form: FormData, found: Subscription) -> tuple[Subscription, str]:
        changed = subscriptions.pause(
            who.session,
            business=who.business,
            subscription=found,
            until=str(form.get("until", "")),
            skip=str(form.get("skip", "")),
            actor=who.actor,
            today=_today(request, who),
            now=request.app.state.clock(),
        )
        return changed, subscriptions.pause_words(changed)

    return await _act(request, act)


async def dashboard_subscription_resume(request: Request) -> Response:
    def act(who: Staff, form: FormData, found: Subscription) -> tuple[Subscription, str]:
        changed = subscriptions.resume(
            who.session,
            business=who.business,
            subscription=found,
            actor=who.actor,
            now=request.app.state.clock(),
        )
        return changed, "Resumed: it is active again and billed as before."

    return await _act(request, act)


async def dashboard_subscription_cancel(request: Request) -> Response:
    def act(who: Staff, form: FormData, found: Subscription) -> tuple[Subscription, str]:
        changed = subscriptions.cancel(
            who.session,
            business=who.business,
            subscription=found,
            mode=str(form.get("mode", "")),
            reason=str(form.get("reason", "")),
            actor=who.actor,
            now=request.app.state.clock(),
        )
        return changed, subscriptions.cancel_words(changed)

    return await _act(request, act)


ONE = "/subscriptions/{subscription}"
routes = [
    Route("/subscriptions", dashboard_subscriptions, name="dashboard_subscriptions"),
    Route(ONE, dashboard_subscription, name="dashboard_subscription"),
    Route(
        ONE + "/pause",
        dashboard_subscription_pause,
        methods=["POST"],
        name="dashboard_subscription_pause",
    ),
    Route(
        ONE + "/resume",
        dashboard_subscription_resume,
        methods=["POST"],
        name="dashboard_subscription_resume",
    ),
    Route(
        ONE + "/cancel",
        dashboard_subscription_cancel,
        methods=["POST"],
        name="dashboard_subscription_cancel",
    ),
    Route(
        "/customers/{customer}/subscriptions",
        dashboard_customer_subscriptions,
        name="dashboard_customer_subscriptions",
    ),
    Route(
        "/customers/{customer}/subscriptions",
        dashboard_subscription_create,
        methods=["POST"],
        name="dashboard_subscription_create",
    ),
]
