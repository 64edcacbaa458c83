"""Payments: choosing what to pay, intents at the processor, applying their state once,
saved cards, the business's charges, refunds, history and the books check.

Callers use this package's names (`payments.start(...)`); each lives in the module of its seam.
"""

from frontdesk.services.payments.apply import Mismatch, announce, apply_intent
from frontdesk.services.payments.history import (
    PaymentView,
    get_for_customer,
    history,
    owned,
    views,
)
from frontdesk.services.payments.intents import (
    PayPage,
    account,
    complete_on_session,
    for_pay_page,
    refresh,
    start,
    waiting,
)
from frontdesk.services.payments.methods import (
    SAVE_CONSENT,
    consent_for,
    make_default,
    remove_method,
    save_method,
    saved_method,
    saved_methods,
)
from frontdesk.services.payments.off_session import (
    OffSessionCharge,
    ask_customer_to_authenticate,
    charge_for_business,
    charge_saved,
)
from frontdesk.services.payments.offline import OFFLINE_METHODS, record_offline, record_succeeded
from frontdesk.services.payments.refunds import EFFECTS, RefundPlan, plan, refund
from frontdesk.services.payments.selection import Selection, choose, payable, tip_for

__all__ = [
    "EFFECTS",
    "OFFLINE_METHODS",
    "SAVE_CONSENT",
    "Mismatch",
    "OffSessionCharge",
    "PayPage",
    "PaymentView",
    "RefundPlan",
    "Selection",
    "account",
    "announce",
    "apply_intent",
    "ask_customer_to_authenticate",
    "charge_for_business",
    "charge_saved",
    "choose",
    "complete_on_session",
    "consent_for",
    "for_pay_page",
    "get_for_customer",
    "history",
    "make_default",
    "owned",
    "payable",
    "plan",
    "record_offline",
    "record_succeeded",
    "refresh",
    "refund",
    "remove_method",
    "save_method",
    "saved_method",
    "saved_methods",
    "start",
    "tip_for",
    "views",
    "waiting",
]
