"""The demo business and its sample data: one customer in each balance state, and then some."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF
from sqlmodel import Session, select
from starlette.datastructures import Headers, UploadFile

from frontdesk import demo_booking
from frontdesk.db import Database
from frontdesk.models import (
    AuthorKind,
    Business,
    CreditNote,
    Customer,
    Initiator,
    Message,
    PaymentMethod,
    PaymentMethodKind,
    ServiceRequest,
    ServiceRequestEvent,
    StaffUser,
    TodoAssignee,
    utcnow,
)
from frontdesk.services import (
    attachments,
    audit,
    businesses,
    customers,
    documents,
    estimates,
    invoices,
    payments,
    profile,
    subscriptions,
    todos,
)
from frontdesk.services.errors import NotFound
from frontdesk.services.lines import LineInput
from frontdesk.services.links import Links
from frontdesk.settings import Settings

SLUG = "greenleaf-garden-care"
DEMO_ACCOUNT = "acct_demo_greenleaf"
LOGO = Path(__file__).parent / "static" / "demo-logo.png"
OWNER_EMAIL = "owner@greenleaf.example"
OWNER_PASSWORD = "greenleaf-demo"
SIGNED_IN_CUSTOMER_EMAIL = "jordan.rivera@example.com"


@dataclass(frozen=True)
class Demo:
    business: Business
    owner_email: str
    owner_password: str
    signed_in_customer: Customer


def _pay(
    session: Session,
    business: Business,
    customer: Customer,
    invoice_id: str,
    amount: int,
    *,
    days_ago: int,
    tag: str,
) -> None:
    invoice = invoices.get(session, business=business, invoice_id=invoice_id)
    payment = payments.record_succeeded(
        session,
        business=business,
        customer=customer,
        allocations=[(invoice, amount)],
        method=PaymentMethodKind.CARD,
        idempotency_key=f"demo-seed:{tag}",
        initiated_by=Initiator.CUSTOMER,
    )
    when = utcnow() - timedelta(days=days_ago)
    payment.created_at = payment.succeeded_at = when
    if invoice.paid_at:
        invoice.paid_at = when


def _seed(session: Session, business: Business, today: date) -> None:
    def line(description: str, unit: int, quantity: str = "1", tax: int | None = 825) -> LineInput:
        return LineInput(description, unit, Decimal(quantity), tax_rate_bp=tax)

    def invoice(customer: Customer, lines: list[LineInput], issued: int, due: int) -> str:
        created = invoices.create(
            session,
            business=business,
            customer=customer,
            lines=lines,
            issue_date=today - timedelta(days=issued),
            due_date=today - timedelta(days=issued) + timedelta(days=due),
            send=True,
        )
        session.flush()
        return created.id

    jordan = customers.create(
        session,
        business=business,
        name="Jordan Rivera",
        email=SIGNED_IN_CUSTOMER_EMAIL,
        phone="+1 555 0142",
        address_line1="18 Maple Row",
        city="Springfield",
        region="IL",
        postal_code="62704",
        country="US",
        sms_consent=True,
        sms_consent_text=profile.SMS_CONSENT_TEXT.format(business="Greenleaf Garden Care"),
        sms_consent_at=utcnow() - timedelta(days=60),
        external_id="crm-1042",
    )
    sam = customers.create(
        session, business=business, name="Sam Chen", email="sam.chen@example.com"
    )
    alex = customers.create(
        session, business=business, name="Alex Morgan", email="alex.morgan@example.com"
    )
    customers.create(
        session,
        business=business,
        name="Priya Patel",
        email="priya.patel@example.com",
        portal_enabled=False,
    )
    session.flush()

    # Jordan owes: one invoice overdue, one partly paid, one paid long ago, an estimate to decide.
    paid_early = invoice(jordan, [line("Spring lawn aeration", 14500)], issued=75, due=14)
    _pay(session, business, jordan, paid_early, 15696, days_ago=64, tag="jordan-aeration")
    invoice(
        jordan,
        [line("Weekly mowing (4 visits)", 4500, "4"), line("Green waste disposal", 2500)],
        issued=40,
        due=14,
    )
    partly_paid = invoice(
        jordan,
        [line("Hedge trimming", 6000, "3.5"), line("Mulch, premium (yards)", 4200, "2")],
        issued=6,
        due=30,
    )
    _pay(session, business, jordan, partly_paid, 12000, days_ago=2, tag="jordan-hedge-part")
    autumn = estimates.create(
        session,
        business=business,
        customer=jordan,
        lines=[
            line("Autumn clean-up: leaves, beds and gutters", 38000),
            line("Tulip bulbs, planted (per 50)", 6500, "2"),
        ],
        issue_date=today - timedelta(days=3),
        expires_on=today + timedelta(days=27),
        notes="Includes haul-away. Work scheduled within two weeks of approval.",
        send=True,
    )
    session.add(
        PaymentMethod(
            business_id=business.id,
            customer_id=jordan.id,
            processor_id="pm_card_visa",  # Stripe's test card id, known to the sandbox too
            brand="visa",
            last4="4242",
            exp_month=8,
            exp_year=today.year + 2,
            is_default=True,
            consent_text="Save this card for future payments to Greenleaf Garden Care.",
            consented_at=utcnow() - timedelta(days=64),
        )
    )

    _seed_conversation(session, business, jordan, autumn.id, today)

    # Sam is in credit: everything paid, and a goodwill credit for a missed visit.
    sam_invoice = invoice(sam, [line("Monthly garden maintenance", 9500)], issued=30, due=14)
    _pay(session, business, sam, sam_invoice, 10284, days_ago=25, tag="sam-maintenance")
    session.add(
        CreditNote(
            business_id=business.id,
            customer_id=sam.id,
            amount=1250,
            currency=business.currency,
            reason="Credit for the visit missed on account of rain",
        )
    )

    # Alex is all set.
    alex_invoice = invoice(alex, [line("Tree pruning consultation", 7500, tax=None)], 20, 14)
    _pay(session, business, alex, alex_invoice, 7500, days_ago=18, tag="alex-consult")


def _seed_conversation(
    session: Session, business: Business, jordan: Customer, estimate_id: str, today: date
) -> None:
    """What Jordan and the office have said to each other: a request answered, a message, and a
    to-do on each side (the estimate's closes itself once Jordan approves it)."""
    owner = session.exec(select(StaffUser).where(StaffUser.email == OWNER_EMAIL)).one()
    office = audit.Actor(Initiator.STAFF, owner.id, "")
    for entry in (
        todos.TodoInput(
            "Approve the autumn clean-up estimate",
            related=f"estimate:{estimate_id}",
            closes="linked",
            due_on=str(today + timedelta(days=7)),
        ),
        todos.TodoInput("Leave the side gate unlocked on Thursdays"),
        todos.TodoInput("Order the tulip bulbs", assignee=TodoAssignee.BUSINESS),
    ):
        todos.create(session, business=business, customer=jordan, entry=entry, actor=office)
    asked = ServiceRequest(
        business_id=business.id,
        customer_id=jordan.id,
        number="REQ-1001",
        description="The old maple stump in the back yard needs grinding out before spring.",
        address_line1=jordan.address_line1,
        city=jordan.city,
        region=jordan.region,
        postal_code=jordan.postal_code,
        country=jordan.country,
        preferred_windows=[{"date": str(today + timedelta(days=9)), "part": "morning"}],
        created_at=utcnow() - timedelta(days=2),
    )
    session.add(asked)
    session.flush()
    session.add(
        ServiceRequestEvent(
            business_id=business.id,
            service_request_id=asked.id,
            author_kind="staff",
            author_id=owner.id,
            text="We can do that: Dana will come by to measure it this week.",
            created_at=utcnow() - timedelta(days=1),
        )
    )
    session.add(
        Message(
            business_id=business.id,
            customer_id=jordan.id,
            author_kind=AuthorKind.STAFF,
            author_staff_id=owner.id,
            body="Hi Jordan, a reminder that the crew comes Thursday morning. Reply here with "
            "anything we should know.",
            client_nonce="demo-welcome",
            created_at=utcnow() - timedelta(hours=3),
        )
    )


def _seed_documents(
    session: Session, business: Business, jordan: Customer, settings: Settings
) -> None:
    """A maintenance agreement for Jordan to sign, and a warranty kept for them to download."""
    owner = session.exec(select(StaffUser).where(StaffUser.email == OWNER_EMAIL)).one()
    for title, kind, body, sign in (
        ("Seasonal maintenance agreement 2027", "contract", AGREEMENT, True),
        ("Irrigation system warranty", "warranty", WARRANTY, False),
    ):
        pdf = FPDF()
        pdf.add_page()
        pdf.set_font("helvetica", "B", 16)
        pdf.multi_cell(0, 10, f"{business.name}\n{title}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("helvetica", size=11)
        pdf.multi_cell(0, 6, body.format(customer=jordan.name))
        data = bytes(pdf.output())
        upload = UploadFile(
            io.BytesIO(data),
            size=len(data),
            filename=f"{title}.pdf",
            headers=Headers({"content-type": "application/pdf"}),
        )
        documents.share(
            session,
            business=business,
            customer=jordan,
            shared=documents.Shared(title=title, kind=kind, requires_signature=sign),
            upload=upload,
            actor=documents.staff_actor(owner.id, ""),
            store=attachments.store_for(settings),
            links=Links.from_settings(settings),
            now=utcnow(),
            today=businesses.today(business),
        )


def _seed_plan(session: Session, business: Business, jordan: Customer, today: date) -> None:
    """Jordan's monthly lawn care, billed from the first of next month (nothing owed yet)."""
    owner = session.exec(select(StaffUser).where(StaffUser.email == OWNER_EMAIL)).one()
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    subscriptions.create(
        session,
        business=business,
        customer=jordan,
        wanted=subscriptions.Wanted(
            name="Lawn care, April to October",
            lines=[LineInput("Weekly mowing and edging", 18000, tax_rate_bp=825)],
            start_on=first.isoformat(),
        ),
        actor=audit.Actor(Initiator.STAFF, owner.id, ""),
        today=today,
        now=utcnow(),
    )


AGREEMENT = (
    "Between Greenleaf Garden Care and {customer}.\n\n"
    "1. Greenleaf mows, edges and blows the lawn weekly from April to October.\n"
    "2. Beds are weeded and mulched in spring and cleaned up in autumn.\n"
    "3. The fee is invoiced monthly and due within 14 days.\n"
    "4. Either side may end this agreement with 30 days' notice in writing.\n"
)
WARRANTY = (
    "The irrigation system installed for {customer} is warranted against defects in parts and "
    "workmanship for two years from installation. Greenleaf repairs or replaces faulty parts "
    "at no charge within that time."
)


def ensure(
    db: Database,
    *,
    sample_site_origin: str,
    today: date | None = None,
    settings: Settings | None = None,
) -> Demo:
    """Create the demo business on first run; on later runs reuse it and follow the port. With
    `settings` (where files are kept), the first run also shares documents with Jordan."""
    today = today or date.today()
    with db.unscoped("the demo creates its business and looks up its owner") as session:
        business = session.exec(select(Business).where(Business.slug == SLUG)).first()
        if business is None:
            business = businesses.create(
                session,
                name="Greenleaf Garden Care",
                slug=SLUG,
                owner_email=OWNER_EMAIL,
                owner_password=OWNER_PASSWORD,
                currency="USD",
                time_zone="America/Chicago",
                tips_enabled=True,
            ).business
        business.allowed_origins = [sample_site_origin]
        if business.processor_account is None and not business.processor_status:
            # A ready sandbox account (`cli.demo` makes it there), until the owner disconnects.
            business.processor_account, business.charges_enabled = DEMO_ACCOUNT, True
            business.processor_status = {
                "type": "standard",
                "details_submitted": True,
                "payouts_enabled": True,
            }
        business.logo_url = "data:image/png;base64," + base64.b64encode(LOGO.read_bytes()).decode()
        business.portal_page_url = f"{sample_site_origin}/account"
        owner = session.exec(select(StaffUser).where(StaffUser.email == OWNER_EMAIL)).one()
        owner_email = owner.email
    with db.session(business.id) as session:
        has_customers = session.exec(select(Customer.id)).first()
        if not has_customers:
            _seed(session, business, today)
        jordan = session.exec(
            select(Customer).where(Customer.email == SIGNED_IN_CUSTOMER_EMAIL)
        ).one()
        if not has_customers and settings is not None:
            _seed_documents(session, business, jordan, settings)
            _seed_plan(session, business, jordan, today)
        demo_booking.ensure(session, business.id, jordan)
    return Demo(business, owner_email, OWNER_PASSWORD, jordan)


def sample_site_key(db: Database, business: Business, path: Path) -> str:
    """The sample website's own secret API key, kept in the demo's data directory (keys are stored
    only as hashes): made on the first run, or again when the business revoked it."""
    kept = path.read_text().strip() if path.exists() else ""
    with db.unscoped("the demo checks its website's key") as session:
        try:
            owner, _ = businesses.by_api_key(session, kept)
            if owner.id == business.id:
                return kept
        except NotFound:
            pass
    with db.session(business.id) as session:
        _, key = businesses.create_api_key(session, business=business, name="Sample website")
    path.write_text(key)
    path.chmod(0o600)
    return key
