"""Text messages to customers: who may be texted (they agreed, and have a number we can read),
queueing each text in the outbox and sending it, the business's "text the pay link" button, the
dashboard's list, and what comes back: replies (STOP, START) and the provider's status reports.

A text is queued only to a customer who agreed to texts, and checked again when the runner sends
it: a STOP that lands in between withdraws it. Replies name only a phone number, which customers
of several businesses may share (all our texts come from one number), so a STOP turns texts off
for every customer with that number."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update as update_rows
from sqlmodel import Session, col, select

from frontdesk import languages, money
from frontdesk.db import Database
from frontdesk.languages import N_, gettext
from frontdesk.models import Business, Customer, Initiator, Invoice, Text, TextStatus, utcnow
from frontdesk.services import audit, customers, outbox
from frontdesk.services.errors import Invalid
from frontdesk.services.links import Links
from frontdesk.texts.provider import START_WORDS, STOP_WORDS, TextProvider, TextRefused

KIND = "text"  # the outbox's kind (jobs.HANDLERS)
E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
# Countries whose numbers people write without +1.
NANP = {"", "US", "CA"}
OPT_OUT = N_("Reply STOP to opt out.")
FINAL = {TextStatus.DELIVERED, TextStatus.FAILED}
PROVIDER_STATUS = {
    "delivered": TextStatus.DELIVERED,
    "undelivered": TextStatus.FAILED,
    "failed": TextStatus.FAILED,
}


def number(phone: str, country: str = "") -> str:
    """The phone number in E.164 form (+15550142), or "" when it cannot be read as one."""
    digits = re.sub(r"[ ().-]", "", phone)
    if not digits.startswith("+") and country in NANP:
        if len(digits) == 10:
            digits = "+1" + digits
        elif len(digits) == 11 and digits.startswith("1"):
            digits = "+" + digits
    return digits if E164.match(digits) else ""


def refusal(customer: Customer) -> str:
    """Why this customer may not be texted, or "" when they may."""
    if not customer.sms_consent:
        return "no text consent"
    if not number(customer.phone, customer.country):
        return "no mobile number"
    return ""


def queue(
    session: Session, *, business: Business, customer: Customer, body: str, purpose: str
) -> Text:
    """A text to send, recorded and in the outbox, in the caller's transaction. The caller has
    checked `refusal`; the runner checks it again."""
    text = Text(
        business_id=business.id,
        customer_id=customer.id,
        purpose=purpose,
        to_number=number(customer.phone, customer.country),
        body=body,
    )
    session.add(text)
    outbox.enqueue(session, business=business, kind=KIND, payload={"text": text.id})
    return text


def reminder(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    invoice: Invoice,
    kind: str,
    amount_due: int,
    link: str,
) -> Text:
    """A payment reminder ("before", "due", "after:7") by text, with the pay link."""
    with languages.speaking(languages.of_customer(customer.language, business.language)):
        said = {
            "business": business.name,
            "number": invoice.number,
            "amount": money.format_amount(amount_due, invoice.currency, business.locale),
            "due": outbox.written_month_day(invoice.due_date, business.locale),
            "link": link,
        }
        if kind == "before":
            news = gettext(
                "%(business)s: invoice %(number)s (%(amount)s still due) is due on %(due)s."
            )
        elif kind == "due":
            news = gettext("%(business)s: invoice %(number)s (%(amount)s still due) is due today.")
        else:
            news = gettext(
                "%(business)s: invoice %(number)s (%(amount)s still due) was due on %(due)s and "
                "is overdue."
            )
        body = " ".join((news % said, gettext("Pay here: %(link)s") % said, gettext(OPT_OUT)))
    return queue(
        session, business=business, customer=customer, body=body, purpose=f"reminder:{kind}"
    )


def text_pay_link(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    links: Links,
    actor: audit.Actor,
    ready: bool,
) -> Text:
    """The business texts the customer their pay-only link; Invalid, with what to do, when it
    cannot (`ready`: texts are set up on this server)."""
    if not ready:
        raise Invalid("Text messages are not set up on this server, so nothing was sent.")
    if not customer.portal_enabled:
        raise Invalid("Turn portal access on first: the link opens their portal.")
    why = refusal(customer)
    if why == "no text consent":
        raise Invalid(
            f"{customer.name} has not agreed to text messages (or replied STOP), so nothing was "
            "sent. They can agree in their portal's profile."
        )
    if why:
        raise Invalid(
            f"{customer.name} has no mobile number we can text. Add one to their details."
        )
    owed = customers.balance(session, business=business, customer=customer).amount
    link = links.payment(business, customer, pay_only=True)
    with languages.speaking(languages.of_customer(customer.language, business.language)):
        said = {
            "business": business.name,
            "amount": money.format_amount(owed, business.currency, business.locale),
            "link": link,
        }
        news = (gettext("%(business)s: %(amount)s is due.") if owed > 0 else "%(business)s:") % said
        body = " ".join((news, gettext("Pay here: %(link)s") % said, gettext(OPT_OUT)))
    text = queue(session, business=business, customer=customer, body=body, purpose="pay_link")
    actor.record(
        session, business.id, "customer.texted_pay_link", "customer", customer.id, text=text.id
    )
    return text


def recent(session: Session, *, customer_id: str = "", limit: int = 50) -> list[Text]:
    """The latest texts, both ways, newest first; one customer's when named."""
    statement = select(Text)
    if customer_id:
        statement = statement.where(Text.customer_id == customer_id)
    newest = col(Text.created_at).desc(), col(Text.id).desc()
    return list(session.exec(statement.order_by(*newest).limit(limit)).all())


def names(session: Session, shown: list[Text]) -> dict[str, str]:
    ids = {text.customer_id for text in shown if text.customer_id}
    found = session.exec(select(Customer.id, Customer.name).where(col(Customer.id).in_(ids)))
    return dict(found.all())


# -- sending (the outbox runner) ---------------------------------------------------------------


def deliver(
    db: Database,
    *,
    business_id: str,
    text_id: str,
    provider: TextProvider | None,
    status_url: str,
    final: bool,
) -> None:
    """Send one queued text, unless its customer withdrew consent since. A refusal by the provider
    is final and recorded; being unreachable raises, for the outbox to try again later."""
    if provider is None:
        raise RuntimeError("FRONTDESK_SMS_ACCOUNT_SID, _AUTH_TOKEN and _FROM are not all set")
    with db.session(business_id) as session:
        text = session.get(Text, text_id)
        if text is None or text.status != TextStatus.QUEUED:
            return  # sent by an earlier attempt, or withdrawn
        customer = session.get(Customer, text.customer_id) if text.customer_id else None
        why = refusal(customer) if customer else "customer gone"
        if why:
            text.status, text.error = TextStatus.WITHDRAWN, why
            return
        to, body = text.to_number, text.body
    try:
        sent = provider.send(to, body, status_url)
    except TextRefused as refused:
        _sent(db, business_id, text_id, "", f"refused: {refused}")
        return
    except Exception as exc:
        if final:
            _sent(db, business_id, text_id, "", f"{type(exc).__name__}: {exc}")
        raise
    _sent(db, business_id, text_id, sent.sid, "")


def _sent(db: Database, business_id: str, text_id: str, sid: str, error: str) -> None:
    with db.session(business_id) as session:
        text = session.get(Text, text_id)
        assert text is not None
        text.status = TextStatus.FAILED if error else TextStatus.SENT
        text.error, text.provider_sid = error[:500], sid or None
        text.sent_at = None if error else utcnow()


def report(db: Database, *, sid: str, status: str, error_code: str = "") -> bool:
    """The provider's report on a text it took (StatusCallback); False when no text of ours has
    that id (yet: the report may come before we recorded it, and is posted again)."""
    with db.unscoped("a status report names only the provider's id of the text") as session:
        found = session.exec(
            select(Text.business_id, Text.id).where(Text.provider_sid == sid, ~col(Text.inbound))
        ).first()
    if found is None:
        return False
    with db.session(found[0]) as session:
        text = session.get(Text, found[1])
        assert text is not None
        # Reports may come out of order: what is final stays.
        if text.status not in FINAL:
            text.status = PROVIDER_STATUS.get(status, TextStatus.SENT)
            if text.status == TextStatus.FAILED:
                text.error = f"the carrier reported {status} (error {error_code or 'unknown'})"
    return True


# -- replies -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    sender: str
    to: str
    body: str
    sid: str


def receive(db: Database, reply: Reply, now: datetime) -> int:
    """A text from a phone: recorded for each customer with that number; STOP turns their texts
    off, START back on for those this number turned off. How many customers it concerned."""
    word = reply.body.strip().upper()
    kind = "stop" if word in STOP_WORDS else "start" if word in START_WORDS else "other"
    with db.unscoped("a reply names only a phone number, which businesses' customers share") as s:
        if kind == "start":
            # Only those a STOP from this number turned off: nobody else agreed by it.
            rows = s.exec(
                select(Text.business_id, Text.customer_id).where(
                    col(Text.inbound), Text.purpose == "stop", Text.from_number == reply.sender
                )
            ).all()
            concerned = {(b, c) for b, c in rows if c}
        else:
            # A phone's last two digits stay together however it is written: a narrow scan.
            found = s.exec(
                select(Customer).where(col(Customer.phone).contains(reply.sender[-2:]))
            ).all()
            concerned = {
                (c.business_id, c.id) for c in found if number(c.phone, c.country) == reply.sender
            }
    for business_id, customer_id in sorted(concerned):
        with db.session(business_id) as session:
            _apply(session, business_id, customer_id, kind, word, reply, now)
    return len(concerned)


def _apply(
    session: Session,
    business_id: str,
    customer_id: str,
    kind: str,
    word: str,
    reply: Reply,
    now: datetime,
) -> None:
    duplicate = select(Text.id).where(
        Text.provider_sid == reply.sid, Text.customer_id == customer_id
    )
    if session.exec(duplicate).first():
        return  # the provider posted it again
    customer = session.get(Customer, customer_id)
    assert customer is not None
    # A STOP from someone whose texts were off already is kept apart: START turns texts back
    # on only for those a STOP turned off.
    stopped = kind == "stop" and customer.sms_consent
    session.add(
        Text(
            business_id=business_id,
            customer_id=customer_id,
            inbound=True,
            purpose="stop:was_off" if kind == "stop" and not stopped else kind,
            to_number=reply.to[:20],
            from_number=reply.sender,
            body=reply.body[:1600],
            status=TextStatus.RECEIVED,
            provider_sid=reply.sid[:64],
            sent_at=now,
        )
    )
    actor = audit.Actor(Initiator.CUSTOMER, customer_id)
    if stopped:
        customer.sms_consent, customer.sms_consent_text, customer.sms_consent_at = False, "", None
        # Nothing already queued goes either (the runner would also find consent gone).
        session.execute(
            update_rows(Text)
            .where(col(Text.customer_id) == customer_id, col(Text.status) == TextStatus.QUEUED)
            .values(status=TextStatus.WITHDRAWN, error=f"replied {word}")
            .execution_options(synchronize_session=False)
        )
        actor.record(
            session, business_id, "customer.texts_stopped", "customer", customer_id, reply=word
        )
    elif kind == "start" and not customer.sms_consent:
        customer.sms_consent, customer.sms_consent_at = True, now
        customer.sms_consent_text = f'Replied "{word}" from {reply.sender} to receive texts again.'
        actor.record(
            session, business_id, "customer.texts_started", "customer", customer_id, reply=word
        )
