"""Monthly statements on the business's side: the settings card that turns the 1st-of-the-month
email on, and a customer's statements (a card on their page, and the PDF of the month chosen)."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.routes.dashboard.frame import Staff, page, pdf
from frontdesk.routes.dashboard.settings import saved, settings_change
from frontdesk.services import businesses, customers, pdfs, statements

CARD = "fragments/dashboard/statements/card.html"


async def dashboard_settings_statements(request: Request) -> Response:
    def change(who: Staff, form: FormData) -> dict[str, Any]:
        wanted = form.get("statements_emailed") == "yes"
        changed = statements.configure(who.session, who.business, wanted, who.actor)
        said = "statements go out on the 1st." if wanted else "statements are no longer emailed."
        return saved(changed, f"Saved: {said}")

    return await settings_change(request, change)


async def dashboard_customer_statements(request: Request) -> Response:
    """The Statements card of the customer's page (it loads itself)."""
    customer_id = request.path_params["customer"]

    def build(who: Staff) -> dict[str, Any]:
        business = who.business
        customer = customers.get(who.session, business=business, customer_id=customer_id)
        today = businesses.today(business, request.app.state.clock())
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
            today=businesses.today(business, request.app.state.clock()),
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
