"""How often a client may try a card or a bank payment in the portal, and the counting of each
try: kept apart from the frame because only the paying routes spend them."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from frontdesk.models import Customer
from frontdesk.routes.portal.frame import client_ip
from frontdesk.routes.portal.refusals import too_many
from frontdesk.services.rate_limits import Limit, Limited

CARD_SAVES_CUSTOMER = Limit("card-saves-customer", burst=10, per_second=1 / 60)


PAYMENT_ATTEMPTS_IP = Limit("payment-attempts-ip", burst=100, per_second=1)


@dataclass(frozen=True)
class PaymentAttemptLimits:
    """Card and bank attempts: a hundred per client address, then one a second; saving a card,
    ten per customer, then one a minute. Card testers try stolen numbers by the hundred through
    any form that takes one, and each try costs the business a processor fee. Payments are also
    limited per customer by their unsuccessful attempts (services/payments/intents.py), so a
    customer paying twenty invoices in a row is never stopped."""

    by_customer: Limit = CARD_SAVES_CUSTOMER
    by_ip: Limit = PAYMENT_ATTEMPTS_IP


def count_payment_attempt(request: Request, customer: Customer, *, per_customer: bool) -> None:
    """Spend one attempt for this client (and customer), or refuse with 429."""
    limits: PaymentAttemptLimits = request.app.state.payment_attempt_limits
    spends = [(limits.by_ip, client_ip(request))]
    if per_customer:
        spends.insert(0, (limits.by_customer, f"{customer.business_id}:{customer.id}"))
    try:
        request.app.state.limiter.take(*spends)
    except Limited as limited:
        raise too_many(limited) from None
