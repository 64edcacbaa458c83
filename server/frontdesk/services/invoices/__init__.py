"""Invoices: writing them (drafts), reading them (status, pages, lookups) and what was paid
on them. Callers use this package's names (`invoices.create(...)`)."""

from frontdesk.services.invoices.drafts import (
    create,
    next_number,
    replace_draft,
    send,
    void,
)
from frontdesk.services.invoices.paid import (
    REFUND_COUNTS,
    Applied,
    applied,
    paid_amounts,
    settle,
)
from frontdesk.services.invoices.reading import (
    PAGE_SIZE,
    Billed,
    Charge,
    DisplayStatus,
    InvoiceView,
    for_customer,
    get,
    get_by_reference,
    get_for_customer,
    lines,
    list_page,
    open_for_customers,
    open_rows_for_customers,
    recent,
    recent_charges,
    views,
)

__all__ = [
    "PAGE_SIZE",
    "REFUND_COUNTS",
    "Applied",
    "Billed",
    "Charge",
    "DisplayStatus",
    "InvoiceView",
    "applied",
    "create",
    "for_customer",
    "get",
    "get_by_reference",
    "get_for_customer",
    "lines",
    "list_page",
    "next_number",
    "open_for_customers",
    "open_rows_for_customers",
    "paid_amounts",
    "recent",
    "recent_charges",
    "replace_draft",
    "send",
    "settle",
    "views",
    "void",
]
