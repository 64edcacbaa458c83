"""What every API handler shares: finding a record of the caller's business, and pages."""

from __future__ import annotations

from typing import TypeVar

from sqlmodel import select

from frontdesk import models
from frontdesk.api import schemas
from frontdesk.api.operations import Call, page
from frontdesk.services import (
    customers,
)
from frontdesk.services.lines import LineInput

# The path of one customer, under which their own operations live.
CUSTOMER = "/customers/{customer}"


def _customer(call: Call) -> models.Customer:
    return customers.get_by_reference(
        call.session, business=call.business, reference=call.params["customer"]
    )


def _line_inputs(lines: list[schemas.LineIn]) -> list[LineInput]:
    return [
        LineInput(
            description=line.description,
            unit_amount=line.unit_amount,
            quantity=line.quantity,
            tax_rate_bp=line.tax_rate_bp,
            tax_amount=line.tax_amount,
        )
        for line in lines
    ]


Owned = TypeVar("Owned", models.Invoice, models.Estimate, models.Payment)


def _customers_page(call: Call, model: type[Owned]) -> tuple[list[Owned], bool, str | None]:
    """A page of invoices, estimates or payments, of one customer when the query names one."""
    query: schemas.DocumentListQuery = call.query
    statement = select(model)
    if query.customer:
        customer = customers.get_by_reference(
            call.session, business=call.business, reference=query.customer
        )
        statement = statement.where(model.customer_id == customer.id)
    return page(call.session, statement, model, query)
