"""The platform's fee on a business's charges: set by the operator per business (basis points
plus a fixed amount), taken by the processor as its application fee, and given back in proportion
when money is refunded."""

from __future__ import annotations

from sqlmodel import Session

from frontdesk import money
from frontdesk.models import Business
from frontdesk.services import audit
from frontdesk.services.errors import Invalid


def fee_for(business: Business, charged: int) -> int:
    """The platform's fee on a charge: never more than the charge itself."""
    if charged <= 0:
        return 0
    return min(charged, money.percent_of(charged, business.fee_basis_points) + business.fee_fixed)


def refunded(fee_amount: int, charged: int, refunded_before: int, refunding: int) -> int:
    """The fee given back with a refund: what makes the fee refunded so far proportional (rounded
    down) to the amount refunded so far, so a refund of everything gives back all of it."""
    if not fee_amount or not charged:
        return 0
    before = fee_amount * refunded_before // charged
    return fee_amount * (refunded_before + refunding) // charged - before


def set_fee(
    session: Session, *, business: Business, basis_points: int, fixed: int, actor: audit.Actor
) -> None:
    """The operator's fee for one business, from its next charge on."""
    if not 0 <= basis_points <= 5_000:
        raise Invalid("The fee needs fixing.", {"basis_points": "Between 0 and 5000 (50%)."})
    if not 0 <= fixed <= 100 * 10 ** money.exponent(business.currency):
        raise Invalid("The fee needs fixing.", {"fixed": "Between 0 and 100 in the currency."})
    business.fee_basis_points, business.fee_fixed = basis_points, fixed
    actor.record(
        session,
        business.id,
        "processor.fee_set",
        "business",
        business.id,
        basis_points=basis_points,
        fixed=fixed,
    )
