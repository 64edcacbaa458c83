"""Events for the page that embeds the portal: what the customer just did, in the shape the loader
dispatches from <frontdesk-portal> (version 1 of embed-snippets/events.schema.json).

They carry ids, amounts and states only. Host pages run third-party analytics, so an event never
holds a name, an email, an address, a phone number or anything of a card. Where the same action
has an outbound webhook (`payment.succeeded` for `payment-succeeded`), the event takes that
webhook event's id and time, so the business can tell the two are one."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlmodel import Session

from frontdesk.models import (
    Appointment,
    AutopayEnrollment,
    Business,
    Customer,
    Document,
    Estimate,
    EstimateStatus,
    Message,
    Payment,
    PaymentStatus,
    ServiceRequest,
    Subscription,
    Todo,
    new_id,
    utcnow,
)
from frontdesk.services import events, subscriptions

VERSION = 1
# The builders take the session (to find a webhook twin), the business and the customer first and
# positionally, as the portal's view builders do (frame.Build): a handler tells in one line.

Event = dict[str, Any]


def _event(
    business: Business,
    customer: Customer,
    type: str,
    thing: dict[str, Any],
    twin: dict[str, Any] | None = None,
    *,
    id: str = "",
) -> Event:
    return {
        "v": VERSION,
        "id": twin["id"] if twin else id or new_id("evt"),
        "type": type,
        "created": twin["created"] if twin else utcnow().isoformat(timespec="seconds"),
        "business": business.publishable_key,
        "customer": customer.id,
        "object": thing,
    }


def signed_in(business: Business, customer: Customer) -> Event:
    """A portal session began: a token from the host page, an emailed link or a code."""
    return _event(business, customer, "signed-in", {"kind": "customer", "id": customer.id})


# What a payment's state says happened, and the webhook twin of that, if any.
OUTCOMES = {
    PaymentStatus.SUCCEEDED: ("payment-succeeded", "payment.succeeded"),
    PaymentStatus.PROCESSING: ("payment-processing", ""),
    PaymentStatus.FAILED: ("payment-failed", "invoice.payment_failed"),
}


def payment_outcome(
    session: Session, business: Business, customer: Customer, payment: Payment
) -> Event | None:
    """How the customer's payment went, once there is something to say: paid, on its way (a bank
    debit), or failed (`status` pending when a declined card can be swapped for another)."""
    status = payment.status
    if status == PaymentStatus.PENDING and payment.failure_message:
        status = PaymentStatus.FAILED
    if status not in OUTCOMES:
        return None
    type, webhook = OUTCOMES[status]
    twin = events.latest(session, type=webhook, payment=payment.id) if webhook else None
    thing = {
        "kind": "payment",
        "id": payment.id,
        "amount": payment.charged,
        "currency": payment.currency,
        "status": str(payment.status),
    }
    # Every path that shows this outcome (the result, one-click, the pay page's window) names
    # the same event, so the loader dispatches it once; without a twin, the id is made so.
    fixed = "evt_" + hashlib.sha256(f"{type}:{payment.id}".encode()).hexdigest()[:32]
    return _event(business, customer, type, thing, twin, id=fixed)


def estimate_decided(
    session: Session, business: Business, customer: Customer, estimate: Estimate
) -> Event:
    verb = "accepted" if estimate.status == EstimateStatus.ACCEPTED else "rejected"
    thing = {
        "kind": "estimate",
        "id": estimate.id,
        "number": estimate.number,
        "amount": estimate.total,
        "currency": estimate.currency,
        "status": str(estimate.status),
    }
    twin = events.latest(session, type=f"estimate.{verb}", estimate=estimate.id)
    return _event(business, customer, f"estimate-{verb}", thing, twin)


def card_saved(session: Session, business: Business, customer: Customer) -> Event | None:
    """The card the customer just saved, as its webhook named it (the processor's webhook may
    have kept the card a moment before the customer's browser came back to say so)."""
    twin = events.latest(session, type="payment_method.saved", customer=customer.id)
    if twin is None:
        return None
    thing = {"kind": "payment_method", "id": twin["data"]["payment_method"]}
    return _event(business, customer, "payment-method-saved", thing, twin)


def card_changed(business: Business, customer: Customer, method_id: str, change: str) -> Event:
    """A saved card made the default (`change` "default") or removed ("remove")."""
    type = "payment-method-default-changed" if change == "default" else "payment-method-removed"
    return _event(business, customer, type, {"kind": "payment_method", "id": method_id})


def autopay_changed(
    session: Session, business: Business, customer: Customer, enrollment: AutopayEnrollment
) -> Event:
    """The customer turned automatic payments on (or moved them to another card) or off (twin
    autopay.enrolled or autopay.revoked); the words they agreed to stay with us."""
    on = enrollment.revoked_at is None
    kind = "autopay.enrolled" if on else "autopay.revoked"
    twin = events.latest(session, type=kind, enrollment=enrollment.id)
    thing = {
        "kind": "autopay",
        "id": enrollment.payment_method_id,
        "status": "on" if on else "off",
    }
    return _event(business, customer, "autopay-changed", thing, twin)


def _appointment(
    session: Session, business: Business, customer: Customer, appointment: Appointment, change: str
) -> Event:
    # The time and the status only: what the visit is for and where stay with us.
    twin = events.latest(session, type=f"appointment.{change}", appointment=appointment.id)
    thing = {"kind": "appointment", "id": appointment.id, "status": str(appointment.status)}
    return _event(business, customer, f"appointment-{change}", thing, twin)


def appointment_booked(
    session: Session, business: Business, customer: Customer, appointment: Appointment
) -> Event:
    """The customer booked a visit: `status` confirmed, or pending while the business decides
    (twin appointment.booked)."""
    return _appointment(session, business, customer, appointment, "booked")


def appointment_rescheduled(
    session: Session, business: Business, customer: Customer, appointment: Appointment
) -> Event:
    """The customer moved a visit (twin appointment.rescheduled)."""
    return _appointment(session, business, customer, appointment, "rescheduled")


def appointment_canceled(
    session: Session, business: Business, customer: Customer, appointment: Appointment
) -> Event:
    """The customer canceled a visit (twin appointment.canceled)."""
    return _appointment(session, business, customer, appointment, "canceled")


def customer_updated(session: Session, business: Business, customer: Customer) -> Event:
    """The customer changed their own details (which ones, and to what, stays with us)."""
    twin = events.latest(session, type="customer.updated", customer=customer.id)
    return _event(
        business, customer, "customer-updated", {"kind": "customer", "id": customer.id}, twin
    )


def todo_completed(session: Session, business: Business, customer: Customer, todo: Todo) -> Event:
    """The customer checked off one of their to-dos (twin todo.completed; what it says stays with
    us)."""
    twin = events.latest(session, type="todo.completed", todo=todo.id)
    return _event(
        business,
        customer,
        "todo-completed",
        {"kind": "todo", "id": todo.id, "status": "done"},
        twin,
    )


def message_sent(
    session: Session, business: Business, customer: Customer, message: Message
) -> Event:
    """The customer sent the business a message (what it says stays with us)."""
    twin = events.latest(session, type="message.created", message=message.id)
    return _event(business, customer, "message-sent", {"kind": "message", "id": message.id}, twin)


def document_signed(
    session: Session, business: Business, customer: Customer, document: Document
) -> Event:
    """The customer signed a document (its title and the name they typed stay with us)."""
    twin = events.latest(session, type="document.signed", document=document.id)
    thing = {"kind": "document", "id": document.id, "status": "signed"}
    return _event(business, customer, "document-signed", thing, twin)


def _plan(subscription: Subscription) -> dict[str, Any]:
    # What each period's invoice comes to, as the webhook says it; the plan's name stays with us.
    return {
        "kind": "subscription",
        "id": subscription.id,
        "amount": subscriptions.period_total(subscription),
        "currency": subscription.currency,
        "status": str(subscription.status),
    }


def subscription_canceled(
    session: Session, business: Business, customer: Customer, subscription: Subscription
) -> Event:
    """The customer cancelled their plan (twin subscription.canceled): `status` stays active while
    it runs to the end of the period already billed, canceled when nothing had been billed yet."""
    twin = events.latest(session, type="subscription.canceled", subscription=subscription.id)
    return _event(business, customer, "subscription-canceled", _plan(subscription), twin)


def subscription_paused(
    session: Session, business: Business, customer: Customer, subscription: Subscription
) -> Event:
    """The customer paused their plan (twin subscription.paused)."""
    twin = events.latest(session, type="subscription.paused", subscription=subscription.id)
    return _event(business, customer, "subscription-paused", _plan(subscription), twin)


def service_request_created(
    session: Session, business: Business, customer: Customer, request: ServiceRequest
) -> Event:
    """The customer asked the business for work (what they wrote stays with us)."""
    twin = events.latest(session, type="service_request.created", service_request=request.id)
    thing = {
        "kind": "service_request",
        "id": request.id,
        "number": request.number,
        "status": str(request.status),
    }
    return _event(business, customer, "service-request-created", thing, twin)
