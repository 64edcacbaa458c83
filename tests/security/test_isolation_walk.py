"""Every route of the app, called with business A's credentials (API key, staff session, portal
session) and business B's ids, answers nothing of B's. The walk takes the app's own route table,
so a route added later is walked too."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
from sqlmodel import select

from frontdesk import tokens
from frontdesk.app import create_app
from frontdesk.db import Database
from frontdesk.models import (
    Appointment,
    AppointmentStatus,
    Customer,
    Initiator,
    InvoiceLine,
    PaymentMethod,
    ServiceRequest,
    StaffUser,
    Subscription,
    Text,
    Todo,
)
from frontdesk.services import audit, booking, businesses
from frontdesk.services.businesses import NewBusiness
from frontdesk.services.links import Links
from frontdesk.settings import Settings
from tests.conftest import LiveServer, csrf_field
from tests.factories import (
    PASSWORD,
    make_business,
    make_customer,
    make_document_to_sign,
    make_invoice,
    make_payment,
)
from tests.security.routes import every_route, fill

# Words only business B's records hold: none may reach A.
SECRETS = (
    "Bravo Secret Customer",
    "bravo-secret@example.com",
    "Bravo secret line",
    "Bravo secret errand",
    "Bravo secret request",
    "Bravo secret contract",
    "Bravo secret plan",
    "Bravo secret text",
    "Bravo secret visit",
)


def seed(db: Database, made: NewBusiness, secret: bool) -> dict[str, str]:
    with db.session(made.business.id) as session:
        business = businesses.get(session, made.business.id)
        customer = make_customer(
            session,
            business,
            name="Bravo Secret Customer" if secret else "Alpha Customer",
            email="bravo-secret@example.com" if secret else "alpha@example.com",
        )
        invoice = make_invoice(session, business, customer, number="INV-7")
        if secret:
            for line in session.exec(select(InvoiceLine)):
                line.description = "Bravo secret line"
        payment = make_payment(session, business, customer, invoice, 500)
        method = PaymentMethod(
            business_id=business.id,
            customer_id=customer.id,
            processor_id=f"pm_{made.business.id}",
            last4="4242",
            consent_text="yes",
        )
        session.add(method)
        todo = Todo(
            business_id=business.id,
            customer_id=customer.id,
            title="Bravo secret errand" if secret else "Alpha errand",
            created_by_kind="customer",
            created_by_id=customer.id,
        )
        session.add(todo)
        request = ServiceRequest(
            business_id=business.id,
            customer_id=customer.id,
            number="REQ-7",
            description="Bravo secret request" if secret else "Alpha request",
        )
        session.add(request)
        document = make_document_to_sign(
            session,
            business,
            customer,
            title="Bravo secret contract" if secret else "Alpha contract",
        )
        plan = Subscription(
            business_id=business.id,
            customer_id=customer.id,
            name="Bravo secret plan" if secret else "Alpha plan",
            currency="USD",
            lines=[{"description": "Mowing", "unit_amount": 4500, "quantity": "1"}],
            start_on=date(2030, 1, 1),
            time_zone="UTC",
            next_period_start=date(2030, 1, 1),
            next_due_at=datetime(2030, 1, 1, 6, tzinfo=UTC),
        )
        session.add(plan)
        text = Text(
            business_id=business.id,
            customer_id=customer.id,
            purpose="pay_link",
            to_number="+15550100142",
            body="Bravo secret text" if secret else "Alpha text",
        )
        session.add(text)
        service = booking.create_service(
            session,
            business=business,
            name="Bravo secret visit" if secret else "Alpha visit",
            duration_min=60,
            actor=audit.Actor(Initiator.STAFF, made.owner.id),
        )
        holiday = booking.add_override(
            session,
            business=business,
            day=date(2030, 1, 8),
            actor=audit.Actor(Initiator.STAFF, made.owner.id),
        )
        visit = Appointment(
            business_id=business.id,
            customer_id=customer.id,
            service_id=service.id,
            crew_id=booking.default_crew(session, business).id,
            starts_at=datetime(2030, 1, 7, 15, tzinfo=UTC),
            ends_at=datetime(2030, 1, 7, 16, tzinfo=UTC),
            blocked_from=datetime(2030, 1, 7, 15, tzinfo=UTC),
            blocked_until=datetime(2030, 1, 7, 16, tzinfo=UTC),
            status=AppointmentStatus.CONFIRMED,
            notes="Bravo secret visit" if secret else "Alpha visit",
        )
        session.add(visit)
        session.flush()
        return {
            "booking_service": service.id,
            "date_override": holiday.id,
            "appointment": visit.id,
            "subscription": plan.id,
            "document": document.id,
            "service_request": request.id,
            "todo": todo.id,
            "customer": customer.id,
            "invoice": invoice.id,
            "number": invoice.number,
            "payment": payment.id,
            "method": method.id,
        }


def test_business_a_gets_nothing_of_business_b_on_any_route(
    db: Database, settings: Settings
) -> None:
    a, b = make_business(db), make_business(db)
    seed(db, a, secret=False)
    theirs = seed(db, b, secret=True)
    with db.session(b.business.id) as session:
        b_customer = session.get(Customer, theirs["customer"])
        assert b_customer is not None
        download = Links(settings.secret_key).download(b_customer, f"invoice:{theirs['number']}")
        b_link = Links(settings.secret_key).token(tokens.Purpose.EMBED, b_customer)
    values = {
        **theirs,
        "estimate": "external:none",
        "setup": "seti_x",
        "endpoint": "we_x",
        "delivery": "whd_x",
        "place": f"invoice/{theirs['number']}",
        "token": download,
        "change": "remove",
        "slug": b.business.slug,
        "member": b.owner.id,
        "invitation": "sinv_x",
    }
    # With a webhook secret the Stripe route checks signatures (without one it answers 503);
    # so does PayPal's once PayPal is set up (its API is never reached: no signature is good).
    paypal = {
        "paypal_client_id": "walk",
        "paypal_secret": "walk",
        "paypal_webhook_id": "WH-WALK",
        "paypal_base_url": "http://127.0.0.1:9",
    }
    walked_settings = settings.model_copy(update={"stripe_webhook_secret": "whsec_walk", **paypal})
    app = create_app(walked_settings, db)
    server = LiveServer(app).start()
    try:
        with db.session(a.business.id) as session:
            a_customer = session.exec(select(Customer)).first()
            owner = session.exec(select(StaffUser)).first()
        embed = Links(settings.secret_key).token(tokens.Purpose.EMBED, a_customer)
        key = a.business.publishable_key
        session_token = httpx.post(
            f"{server.url}/portal/{key}/session", data={"token": embed}
        ).headers["Frontdesk-Session"]
        desk = httpx.Client(base_url=server.url)
        form = desk.get("/dashboard/sign-in").text
        csrf = csrf_field(form)
        desk.post(
            "/dashboard/sign-in",
            data={"email": owner.email, "password": PASSWORD, "csrf_token": csrf},
        )
        walked = 0
        for method, path in every_route(list(app.routes)):
            concrete = fill(path, {**values, "key": key})
            headers = {"X-CSRF-Token": csrf}
            if path.startswith("/api/"):
                headers["Authorization"] = f"Bearer {a.secret_api_key}"
            elif path.startswith("/portal/"):
                headers["Authorization"] = f"Bearer {session_token}"
            data = {
                "token": b_link,
                "amount": "1",
                "invoice": theirs["number"],
                "email": "someone@example.com",
            }
            answer = desk.request(
                method, concrete, headers=headers, data=data if method == "POST" else None
            )
            assert answer.status_code < 500, (method, path, answer.status_code)
            for secret in SECRETS:
                assert secret not in answer.text, (method, path, secret)
            walked += 1
        # The words are there to be found: B's own session sees them.
        b_session = httpx.post(
            f"{server.url}/portal/{b.business.publishable_key}/session", data={"token": b_link}
        )
        assert SECRETS[0] in b_session.text
        desk.close()
    finally:
        server.stop()
    assert walked == len(every_route(list(app.routes))) >= 100
