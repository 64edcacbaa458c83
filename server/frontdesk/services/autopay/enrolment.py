"""Turning automatic payments on and off. Only the customer turns them on, agreeing to words that
say who charges which card, when, for how much and how to stop; the words are kept as shown, with
their hash, time, address and browser. The customer, the business or the system turns them off."""

from __future__ import annotations

import hashlib
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from frontdesk import languages
from frontdesk.languages import N_, gettext, ngettext
from frontdesk.models import (
    AutopayEnrollment,
    Business,
    Customer,
    Initiator,
    Invoice,
    PaymentMethod,
)
from frontdesk.services import audit, customers, events, outbox
from frontdesk.services.errors import Forbidden, Invalid, NotFound
from frontdesk.services.payments import methods

# The words agreed to, by when invoices are charged (schedule.CHARGE_ON), then the notice and the
# rest: whole sentences, so each language words them its own way.
CONSENT = {
    "due": N_(
        "I authorise %(business)s to charge my %(card)s automatically for each invoice on my "
        "account on its due date, for the amount still due on it."
    ),
    "issue": N_(
        "I authorise %(business)s to charge my %(card)s automatically for each invoice on my "
        "account when it is issued, for the amount still due on it."
    ),
}
CONSENT_REST = N_(
    "Invoices already overdue today are not included. If a charge fails I will be emailed and "
    "may be charged again on a later day. I can turn automatic payments off in this portal at "
    "any time."
)


def card_name(method: PaymentMethod) -> str:
    """ "Visa ending 4242", in the language being spoken."""
    brand = method.brand.capitalize()
    if brand:
        return gettext("%(brand)s ending %(last4)s") % {"brand": brand, "last4": method.last4}
    return gettext("card ending %(last4)s") % {"last4": method.last4}


def consent_text(business: Business, method: PaymentMethod) -> str:
    """The exact words the customer agrees to for this card, under the business's settings now,
    in the language they read them in."""
    said = {"business": business.name, "card": card_name(method)}
    words = [gettext(CONSENT.get(business.autopay_charge_on, CONSENT["due"])) % said]
    if business.autopay_charge_on == "due" and business.autopay_notice_days > 0:
        days = business.autopay_notice_days
        words.append(
            ngettext(
                "I will be emailed %(num)d day before each charge.",
                "I will be emailed %(num)d days before each charge.",
                days,
            )
            % {"num": days}
        )
    words.append(gettext(CONSENT_REST))
    return " ".join(words)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def current(session: Session, *, customer_id: str) -> AutopayEnrollment | None:
    return session.exec(
        select(AutopayEnrollment).where(
            AutopayEnrollment.customer_id == customer_id,
            col(AutopayEnrollment.revoked_at).is_(None),
        )
    ).first()


def enrollments(session: Session, *, customer_ids: list[str]) -> dict[str, AutopayEnrollment]:
    """The active enrolment of each of these customers that has one, in one query."""
    return {
        row.customer_id: row
        for row in session.exec(
            select(AutopayEnrollment).where(
                col(AutopayEnrollment.customer_id).in_(customer_ids),
                col(AutopayEnrollment.revoked_at).is_(None),
            )
        ).all()
    }


def charges_on_due(session: Session, *, business: Business, invoice: Invoice) -> bool:
    """Whether automatic payments will charge this invoice on its due date."""
    if not business.autopay_enabled or business.autopay_charge_on != "due":
        return False
    enrollment = current(session, customer_id=invoice.customer_id)
    return enrollment is not None and invoice.due_date >= enrollment.starts_on


def eligible_cards(
    session: Session, *, business: Business, customer: Customer
) -> list[PaymentMethod]:
    """Saved cards the customer agreed may be charged without them, and not yet expired."""
    return [
        method
        for method in methods.saved_methods(session, business=business, customer=customer)
        if method.consent_text
    ]


def enroll(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    method_id: str,
    agreed: bool,
    shown: str,
    ip: str,
    user_agent: str,
    now: datetime,
) -> AutopayEnrollment:
    """The customer turns automatic payments on (or moves them to another card). `shown` is the
    hash of the words their form showed: words changed since (the business changed its settings)
    are shown again rather than recorded as agreed."""
    if not business.autopay_enabled:
        raise Forbidden(
            gettext("%(business)s does not offer automatic payments.") % {"business": business.name}
        )
    cards = {m.id: m for m in eligible_cards(session, business=business, customer=customer)}
    method = cards.get(method_id)
    if method is None:
        message = gettext("Choose one of your saved cards.")
        raise Invalid(message, {"method": message})
    text = consent_text(business, method)
    if not agreed:
        raise Invalid(
            gettext("Tick the box to agree."),
            {"consent": gettext("Tick the box to turn on automatic payments.")},
        )
    if shown != digest(text):
        raise Invalid(
            gettext("The terms have changed since this form was opened. Please read them again.")
        )
    customers.lock(session, customer.id)
    existing = current(session, customer_id=customer.id)
    if existing is not None:
        if existing.payment_method_id == method.id:
            return existing  # a second click on the same form
        end(session, business, existing, Initiator.CUSTOMER, "moved to another card", now)
    enrollment = AutopayEnrollment(
        business_id=business.id,
        customer_id=customer.id,
        payment_method_id=method.id,
        consent_text=text,
        consent_sha256=digest(text),
        consented_at=now,
        starts_on=now.astimezone(ZoneInfo(business.time_zone)).date(),
        consent_ip=ip[:64],
        consent_user_agent=user_agent[:500],
    )
    session.add(enrollment)
    session.flush()
    audit.Actor(Initiator.CUSTOMER, customer.id, ip).record(
        session, business.id, "autopay.enrolled", "customer", customer.id, card=method.id
    )
    events.emit(
        session,
        business=business,
        type="autopay.enrolled",
        data={"customer": customer.id, "payment_method": method.id, "enrollment": enrollment.id},
    )
    with languages.speaking(languages.of_customer(customer.language, business.language)):
        said = {
            "name": customer.name,
            "business": business.name,
            "text": text,
            "when": f"{now:%B %-d, %Y at %H:%M}"
            if languages.current() == languages.SOURCE
            else outbox.written_moment(now.astimezone(ZoneInfo("UTC")), business.locale),
        }
        outbox.email(
            session,
            business=business,
            to=customer.email,
            subject=gettext("Automatic payments to %(business)s are on") % said,
            text=gettext(
                "Hello %(name)s,\n\nYou turned on automatic payments. What you agreed to:\n\n"
                "%(text)s\n\nAgreed on %(when)s UTC.\n"
            )
            % said,
            reply_to=business.contact_email or "",
        )
    return enrollment


def revoke(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    actor: audit.Actor,
    reason: str,
    now: datetime,
) -> AutopayEnrollment:
    """Turn automatic payments off. The customer does it in the portal; staff and the API may do
    it for them (never the reverse); the customer is told when it was not them."""
    customers.lock(session, customer.id)
    enrollment = current(session, customer_id=customer.id)
    if enrollment is None:
        raise NotFound("automatic payments are not on")
    end(session, business, enrollment, actor.kind, reason, now)
    actor.record(session, business.id, "autopay.revoked", "customer", customer.id, reason=reason)
    if actor.kind != Initiator.CUSTOMER:
        with languages.speaking(languages.of_customer(customer.language, business.language)):
            said = {"name": customer.name, "business": business.name}
            outbox.email(
                session,
                business=business,
                to=customer.email,
                subject=gettext("Automatic payments to %(business)s are off") % said,
                text=gettext(
                    "Hello %(name)s,\n\n%(business)s turned off automatic payments on your "
                    "account. Invoices will no longer be charged to your card; you can pay them "
                    "from your account as before.\n"
                )
                % said,
                reply_to=business.contact_email or "",
            )
    return enrollment


def end(
    session: Session,
    business: Business,
    enrollment: AutopayEnrollment,
    by: Initiator,
    reason: str,
    now: datetime,
) -> None:
    if enrollment.revoked_at is not None:
        return  # ended already (the card was removed while a charge was on its way)
    enrollment.revoked_at, enrollment.revoked_by = now, str(by)
    enrollment.revoke_reason = reason[:300]
    session.flush()  # the one-active index: the next enrolment may follow in this transaction
    events.emit(
        session,
        business=business,
        type="autopay.revoked",
        data={"customer": enrollment.customer_id, "enrollment": enrollment.id, "reason": reason},
    )


def end_for_card(
    session: Session, *, business: Business, method: PaymentMethod, now: datetime
) -> None:
    """The card was removed or declined for good: automatic payments with it stop."""
    enrollment = current(session, customer_id=method.customer_id)
    if enrollment is not None and enrollment.payment_method_id == method.id:
        end(
            session,
            business,
            enrollment,
            Initiator.SYSTEM,
            "the card was removed",
            now,
        )
