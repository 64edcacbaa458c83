"""Choosing what a payment settles: open invoices oldest due first, a checked partial amount,
and a tip on top. Every figure is the server's; the browser only names what it wants."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from frontdesk import money
from frontdesk.languages import gettext
from frontdesk.models import Business, Customer, Invoice
from frontdesk.services import invoices
from frontdesk.services.errors import Invalid
from frontdesk.services.invoices import InvoiceView


@dataclass(frozen=True)
class Selection:
    """What a payment settles: invoices, oldest due first, and how much goes to each."""

    allocations: list[tuple[Invoice, int]]

    @property
    def amount(self) -> int:
        return sum(amount for _, amount in self.allocations)


def payable(session: Session, *, business: Business, customer: Customer) -> list[InvoiceView]:
    """The invoices the customer can pay now, oldest due first: open, something due, and no bank
    payment on its way (that one is not offered again)."""
    return [
        view
        for view in invoices.open_for_customers(
            session, business=business, customer_ids=[customer.id]
        )
        if view.amount_due > 0 and not view.processing
    ]


def choose(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    numbers: list[str] | None = None,
    partial: int | None = None,
    by_business: bool = False,
    among: list[InvoiceView] | None = None,
) -> Selection:
    """The amount is always the server's: the open invoices' due amounts (all of them, or those
    `numbers` names), or a checked partial. The business charging a saved card may take less
    than is due without the portal's rules. `among`: the payable invoices, if already read."""
    if numbers == []:
        raise Invalid(
            gettext("Choose an invoice to pay."),
            {"invoices": gettext("Tick at least one invoice.")},
        )
    views = [
        view
        for view in (
            among if among is not None else payable(session, business=business, customer=customer)
        )
        if numbers is None or view.invoice.number in numbers
    ]
    if numbers is not None and len(views) != len(set(numbers)):
        raise Invalid(
            gettext("Some of those invoices are already paid or do not exist."),
            {"invoices": gettext("Choose open invoices.")},
        )
    if not views:
        raise Invalid(gettext("There is nothing to pay right now."))
    total = sum(view.amount_due for view in views)
    if partial is None or partial == total:
        return Selection([(view.invoice, view.amount_due) for view in views])
    if not (business.allow_partial_payments or by_business):
        raise Invalid(
            gettext("Partial payments are not accepted."),
            {"amount": gettext("Pay the full amount.")},
        )
    minimum = 1 if by_business else max(business.partial_payment_minimum, 50)
    if not minimum <= partial <= total:
        low, high = (
            money.format_amount(minimum, business.currency, business.locale),
            money.format_amount(total, business.currency, business.locale),
        )
        raise Invalid(
            gettext("Choose another amount."),
            {"amount": gettext("Pay between %(low)s and %(high)s.") % {"low": low, "high": high}},
        )
    shares = money.fill(partial, [view.amount_due for view in views])
    return Selection([(v.invoice, share) for v, share in zip(views, shares, strict=True) if share])


def tip_for(business: Business, amount: int, basis_points: int) -> int:
    """The tip on top of `amount`, rounded so the total is an amount the processor accepts."""
    if basis_points == 0:
        return 0
    if not business.tips_enabled or basis_points not in business.tip_basis_points:
        raise Invalid(
            gettext("That tip is not on offer."), {"tip": gettext("Choose one of the tips shown.")}
        )
    total = money.chargeable(amount + money.percent_of(amount, basis_points), business.currency)
    return max(total - amount, 0)
