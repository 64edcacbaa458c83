"""Changing a plan from its page: the editor (lines, name, days until due), the preview of what
the change does to the period already invoiced (updated as the form changes, and shown again with
any refusal), and the save, made once however often the form is sent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk import money
from frontdesk.models import Subscription, SubscriptionStatus
from frontdesk.routes.dashboard.drafts import BLANK_ROW, _lines, _typed_rows
from frontdesk.routes.dashboard.frame import Staff, action, field_errors, page
from frontdesk.routes.dashboard.subscriptions import SECTION, _today, _whole
from frontdesk.services import customers, subscriptions
from frontdesk.services.errors import Invalid
from frontdesk.services.subscriptions.rules import line_inputs

EDITOR = "fragments/dashboard/subscriptions/editor.html"
PREVIEW = "fragments/dashboard/subscriptions/change_preview.html"
STOPPED = (SubscriptionStatus.CANCELED, SubscriptionStatus.ENDED)


def _found(who: Staff, request: Request) -> Subscription:
    return subscriptions.get(who.session, subscription_id=request.path_params["subscription"])


def _number(form: FormData, name: str) -> int | None:
    text = str(form.get(name, "")).strip()
    digits = text.removeprefix("-")
    return int(text) if digits.isdigit() and len(digits) < 12 else None


def _edit(form: FormData, currency: str) -> tuple[subscriptions.Edit, dict[str, str]]:
    """The edit as typed, and the mistakes in its lines (reported with the service's)."""
    line_errors: dict[str, str] = {}
    try:
        lines = _lines(form, currency)
    except Invalid as bad:
        line_errors, lines = bad.fields, []
    edit = subscriptions.Edit(
        name=str(form.get("name", "")),
        lines=lines,
        days_until_due=_whole(form, "days_until_due", blank=-1, bad=-1),
        proration=str(form.get("proration", "")),
        nonce=str(form.get("nonce", "")),
        seen_period=_number(form, "seen_period"),
        seen_adjustment=_number(form, "seen_adjustment"),
    )
    return edit, line_errors


def _previewed(
    who: Staff, found: Subscription, form: FormData, today: date
) -> tuple[subscriptions.Edit, subscriptions.Preview]:
    """The typed edit and what it does; every mistake (lines and the rest) reported together."""
    edit, line_errors = _edit(form, who.business.currency)
    try:
        seen = subscriptions.preview(who.session, subscription=found, edit=edit, today=today)
    except Invalid as invalid:
        fields = {**invalid.fields, **line_errors}
        if line_errors:  # its lines were typed, just not right: no "add a line"
            fields.pop("lines", None)
        raise Invalid(invalid.message, fields) from None
    if line_errors:
        raise Invalid("Some lines need fixing.", line_errors)
    return edit, seen


def _rows(found: Subscription) -> list[dict[str, str]]:
    """The plan's lines as the editor shows them, and room for one more."""
    rows = [
        {
            "description": line.description,
            "quantity": f"{line.quantity.normalize():f}",
            "unit_price": f"{money.to_decimal(line.unit_amount, found.currency)}",
            "tax_rate": f"{Decimal(line.tax_rate_bp) / 100:f}" if line.tax_rate_bp else "",
        }
        for line in line_inputs(found.lines)
    ]
    return [*rows, BLANK_ROW]


def preview_context(
    who: Staff, found: Subscription, form: FormData | None, today: date
) -> dict[str, Any]:
    """The preview of the typed edit (of none, before anything is typed), or why there is none."""
    context: dict[str, Any] = {
        "subscription": found,
        "customer": customers.get(
            who.session, business=who.business, customer_id=found.customer_id
        ),
        "seen": None,
        "preview_errors": {},
        "chosen": str(form.get("proration", "")) if form else "",
        "prorations": subscriptions.PRORATIONS,
    }
    try:
        if form is None:
            edit = subscriptions.Edit()
            context["seen"] = subscriptions.preview(
                who.session, subscription=found, edit=edit, today=today
            )
        else:
            context["seen"] = _previewed(who, found, form, today)[1]
    except Invalid as invalid:
        context["preview_errors"] = field_errors(invalid)
    return context


def editor_context(
    who: Staff,
    found: Subscription,
    today: date,
    form: FormData | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    if form is None:
        typed = {"name": found.name, "days_until_due": str(found.days_until_due)}
        typed["nonce"], rows = subscriptions.edit_nonce(), _rows(found)
    else:
        typed = {name: str(form.get(name, "")) for name in ("name", "days_until_due", "nonce")}
        rows = [*_typed_rows(form), BLANK_ROW]
    return {
        **preview_context(who, found, form, today),
        "stopped": found.status in STOPPED,
        "typed": typed,
        "plan_rows": rows,
        "errors": errors or {},
        "title": f"Change {found.name}",
        "section": SECTION,
    }


async def dashboard_subscription_edit(request: Request) -> Response:
    def build(who: Staff) -> dict[str, Any]:
        return editor_context(who, _found(who, request), _today(request, who))

    return await page(request, EDITOR, build, title="Change a plan", section=SECTION)


async def dashboard_subscription_change_preview(request: Request) -> Response:
    """The preview alone, for the editor to swap in as its form changes."""

    def act(who: Staff, form: FormData) -> dict[str, Any]:
        return preview_context(who, _found(who, request), form, _today(request, who))

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        return act(who, form)

    return await action(request, PREVIEW, act, rebuild, section=SECTION)


async def dashboard_subscription_change(request: Request) -> Response:
    """Save the edit; the plan's page then shows it among its changes."""

    def act(who: Staff, form: FormData) -> dict[str, Any]:
        found, today = _found(who, request), _today(request, who)
        edit = _previewed(who, found, form, today)[0]
        subscriptions.change(
            who.session,
            business=who.business,
            subscription=found,
            edit=edit,
            actor=who.actor,
            links=request.app.state.links,
            today=today,
            now=request.app.state.clock(),
        )
        return {"redirect": request.url_for("dashboard_subscription", subscription=found.id)}

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        found = _found(who, request)
        return editor_context(who, found, _today(request, who), form, field_errors(invalid))

    return await action(request, EDITOR, act, rebuild, section=SECTION)


ONE = "/subscriptions/{subscription}"
routes = [
    Route(ONE + "/edit", dashboard_subscription_edit, name="dashboard_subscription_edit"),
    Route(
        ONE + "/change-preview",
        dashboard_subscription_change_preview,
        methods=["POST"],
        name="dashboard_subscription_change_preview",
    ),
    Route(
        ONE + "/change",
        dashboard_subscription_change,
        methods=["POST"],
        name="dashboard_subscription_change",
    ),
]
