"""What reaches a customer outside the portal speaks their language: a customer who chose Spanish
gets the new invoice's email in Spanish through the real outbox and SMTP (subject, body, the
branded HTML, amounts and dates written the Spanish way for the business's locale), and their
invoice PDF in Spanish, accented letters drawn; an English customer of the same business gets the
English they always had; a right-to-left reader's PDF is laid out mirrored."""

from __future__ import annotations

import io
from datetime import date, timedelta
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path

import pytest
from pypdf import PdfReader

from frontdesk import languages
from frontdesk.db import Database
from frontdesk.jobs import OutboxRunner
from frontdesk.models import Business, Customer, Initiator
from frontdesk.services import audit, invoices, notices, pdfs
from frontdesk.services.businesses import NewBusiness
from frontdesk.services.lines import LineInput
from frontdesk.services.links import Links
from frontdesk.settings import Settings
from tests.factories import make_business, make_customer
from tests.test_jobs import free_port, start_smtp
from tests.test_language_choice import pseudo_arabic as pseudo_arabic  # the fixture
from tests.test_pdfs import drawn, text

DUE = date(2026, 12, 15)


@pytest.fixture
def shop(db: Database) -> tuple[NewBusiness, Customer, Customer]:
    """An Irish business billing in euros (its English writes €1,234.56), a customer who chose
    Spanish and one who chose nothing."""
    made = make_business(db, currency="EUR", locale="en_IE", language="en")
    with db.session(made.business.id) as session:
        sofia = make_customer(session, made.business, name="Sofía Ruiz", language="es")
        casey = make_customer(session, made.business, name="Casey Customer")
    return made, sofia, casey


def _send_invoice(db: Database, settings: Settings, made: NewBusiness, customer: Customer) -> str:
    business = made.business
    with db.session(business.id) as session:
        invoice = invoices.create(
            session,
            business=business,
            customer=customer,
            lines=[LineInput("Poda de setos", 123456)],
            issue_date=DUE - timedelta(days=14),
            due_date=DUE,
            send=False,
        )
        notices.send(
            session,
            business=business,
            document=invoice,
            links=Links.from_settings(settings),
            actor=audit.Actor(Initiator.STAFF, made.owner.id),
        )
        return invoice.number


def _delivered(db: Database, settings: Settings) -> list[Message]:
    port = free_port()
    controller, inbox = start_smtp(port)
    try:
        smtp = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}"})
        OutboxRunner(db, smtp).run_once()
    finally:
        controller.stop()
    return inbox.messages


def _subject(message: Message) -> str:
    """The subject as read (words past ASCII travel encoded)."""
    return str(make_header(decode_header(message["Subject"])))


def _part(message: Message, kind: str) -> str:
    [part] = [p for p in message.walk() if p.get_content_type() == kind]
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(part.get_content_charset() or "utf-8").replace("\r\n", "\n")


def test_a_spanish_customer_gets_the_new_invoice_email_in_spanish(
    db: Database, settings: Settings, shop: tuple[NewBusiness, Customer, Customer]
) -> None:
    made, sofia, _ = shop
    number = _send_invoice(db, settings, made, sofia)
    [message] = _delivered(db, settings)
    name = made.business.name
    assert message["To"] == sofia.email
    # The amount as a Spanish reader writes it (a no-break space before the sign), in the
    # business's currency.
    assert _subject(message) == f"Factura {number} de {name}: 1.234,56\u00a0€"
    body = _part(message, "text/plain")
    assert body.startswith("Hola, Sofía Ruiz:\n\n")
    assert (
        f"{name} le ha enviado la factura {number} por 1.234,56\u00a0€. "
        "Vence el 15 de diciembre de 2026. Consúltela y páguela aquí:"
    ) in body
    assert "El enlace abre su cuenta: no lo comparta." in body
    html = _part(message, "text/html")
    assert '<html lang="es" dir="ltr">' in html and "Abrir su cuenta" in html


def test_an_english_customer_of_the_same_business_still_gets_english(
    db: Database, settings: Settings, shop: tuple[NewBusiness, Customer, Customer]
) -> None:
    made, _, casey = shop
    number = _send_invoice(db, settings, made, casey)
    [message] = _delivered(db, settings)
    assert _subject(message) == f"Invoice {number} from {made.business.name}: €1,234.56"
    body = _part(message, "text/plain")
    assert body.startswith("Hello Casey Customer,\n\n")
    assert "It is due on December 15, 2026. View and pay it here:" in body
    html = _part(message, "text/html")
    assert '<html lang="en" dir="ltr">' in html and "Open your account" in html


def _invoice_pdf(db: Database, business: Business, customer: Customer) -> list[str]:
    runs = drawn(_made_pdf(db, business, customer))
    # DejaVu has every accented letter: none is drawn as the missing-glyph box.
    assert all(glyph.gid for run in runs for glyph in run)
    return [text(run) for run in runs]


def _made_pdf(db: Database, business: Business, customer: Customer) -> bytes:
    with db.session(business.id) as session:
        invoice = invoices.create(
            session,
            business=business,
            customer=customer,
            lines=[LineInput("Poda de setos", 123456)],
            issue_date=DUE - timedelta(days=14),
            due_date=DUE,
            send=True,
        )
        session.flush()
        return pdfs.invoice_pdf(
            business,
            customer,
            invoices.views(session, [invoice])[0],
            invoices.lines(session, invoice=invoice),
            invoices.applied(session, invoice=invoice),
        )


def test_a_spanish_customer_gets_their_invoice_pdf_in_spanish(
    db: Database, shop: tuple[NewBusiness, Customer, Customer]
) -> None:
    made, sofia, casey = shop
    spanish = _invoice_pdf(db, made.business, sofia)
    assert {"Factura", "FACTURAR A", "Emisión", "Vencimiento", "Descripción", "Total"} <= set(
        spanish
    )
    assert {"Importe pendiente", "1.234,56\u00a0€"} <= set(spanish)
    english = _invoice_pdf(db, made.business, casey)
    assert {"Invoice", "BILL TO", "Issued", "Due", "Amount due", "€1,234.56"} <= set(english)


def _starts(pdf: bytes) -> dict[str, float]:
    """Where on the first page (points from its left edge, 595 across) each piece of text starts."""
    found: dict[str, float] = {}

    def seen(shown: str, ctm: list[float], tm: list[float], _font: object, _size: object) -> None:
        found.setdefault(shown.strip(), tm[4] * ctm[0] + ctm[4])

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=seen)
    return found


def test_a_right_to_left_reader_gets_the_pdf_mirrored(
    db: Database, shop: tuple[NewBusiness, Customer, Customer], pseudo_arabic: Path
) -> None:
    """In Arabic the letterhead, the parties and each line start on the right and the figures
    stand on the left, as a reader of Arabic expects; in Spanish, the other way round."""
    made, sofia, _casey = shop
    languages.add_catalogues(pseudo_arabic)
    left, middle, right = 60, 595 / 2, 535
    spanish = _starts(_made_pdf(db, made.business, sofia))
    assert spanish[made.business.name] < left and spanish["FACTURAR A"] < left
    assert spanish["Poda de setos"] < left < middle < spanish["Factura"]
    with db.session(made.business.id) as session:
        session.get_one(Customer, sofia.id).language = "ar"
    sofia.language = "ar"
    arabic = _starts(_made_pdf(db, made.business, sofia))
    assert arabic["Factura"] < middle < arabic[made.business.name]
    assert arabic["INV-1002"] < left
    assert middle < arabic["Poda de setos"] < right and middle < arabic["Sofía Ruiz"]
