"""Monthly statements on the business's side: the settings card that turns the 1st-of-the-month
email on, and a customer's statements (a card on their page, and the PDF of the month chosen)."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.routes.dashboard.frame import Staff, action, field_errors, page, pdf, typed
from frontdesk.routes.dashboard.settings import SETTINGS_PAGE, settings_context
from frontdesk.services import businesses, customers, pdfs, statements
from frontdesk.services.errors import Invalid

CARD = "fragments/dashboard/statements/card.html"


async def dashboard_settings_statements(request: Request) -> Response:
    def act(who: Staff, form: FormData) -> dict[str, Any]:
        wanted = form.get("statements_emailed") == "yes"
        changed = statements.configure(who.session, who.business, wanted, who.actor)
        notice = "Nothing changed."
        if changed:
            notice = "Saved: " + (
                "statements go out on the 1st." if wanted else "statements are no longer emailed."
            )
        return settings_context(who, request, notice=notice)

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        return settings_context(who, request, errors=field_errors(invalid), form=typed(form))

    return await action(request, SETTINGS_PAGE, act, rebuild, section="settings", owners_only=True)


async def dashboard_customer_statements(request: Request) -> Response:
    """The Statements card of the customer's page (it loads itself)."""
    customer_id = request.path_params["customer"]

    def build(who: Staff) -> dict[str, Any]:
        business = who.business
        customer = customers.get(who.session, business=business, customer_id=customer_id)
        today = businesses.today(business)
        return {
            "customer": customer,
            "statements": statements.history(
                who.session, business=business, customer=customer, today=today
            ),
            "month_label": lambda month: statements.month_label(month, business.locale),
        }

    return await page(request, CARD, build, title="Statements", section="customers")


async def dashboard_customer_statement_pdf(request: Request) -> Response:
    """The PDF of the month chosen (?month=2026-11), as the customer gets it."""
    customer_id, month = request.path_params["customer"], request.query_params.get("month", "")

    def build(who: Staff) -> tuple[bytes, str]:
        business = who.business
        customer = customers.get(who.session, business=business, customer_id=customer_id)
        statement = statements.for_month(
            who.session,
            business=business,
            customer=customer,
            month=month,
            today=businesses.today(business),
        )
        return pdfs.statement_pdf(business, customer, statement), f"statement-{statement.key}"

    return await pdf(request, build)


routes = [
    Route(
        "/settings/statements",
        dashboard_settings_statements,
        methods=["POST"],
        name="dashboard_settings_statements",
    ),
    Route(
        "/customers/{customer}/statements",
        dashboard_customer_statements,
        name="dashboard_customer_statements",
    ),
    Route(
        "/customers/{customer}/statement",
        dashboard_customer_statement_pdf,
        name="dashboard_customer_statement_pdf",
    ),
]
