"""Words said of different things (an invoice's "Paid", a payment's "Paid") are translated in their
context: each agrees with its thing in Spanish and French, reads as written in English, and keeps
its context from the code through extraction into the catalogues."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from frontdesk import languages
from frontdesk.models import Payment, PaymentStatus, ServiceRequestStatus, SubscriptionStatus
from frontdesk.rendering import templates
from frontdesk.services import service_requests, subscriptions
from frontdesk.services.payments import PaymentView
from tests.test_languages_catalogues import extracted

pytestmark = pytest.mark.one_backend


def invoice_badge(state: str) -> str:
    return templates.env.get_template("fragments/invoices/status.html").render(state=state).strip()


def payment_badge(status: PaymentStatus) -> str:
    view = PaymentView(payment=Payment(status=status), invoice_numbers=[], refunds=[])
    return templates.env.get_template("fragments/payments/state.html").render(view=view).strip()


@pytest.mark.parametrize(
    ("language", "invoice", "payment"),
    [("es", "Pagada", "Pagado"), ("fr", "Payée", "Payé"), (None, "Paid", "Paid")],
)
def test_an_invoice_and_a_payment_are_paid_in_words_that_agree_with_them(
    language: str | None, invoice: str, payment: str
) -> None:
    with languages.speaking(language):
        assert invoice_badge("paid") == invoice
        assert payment_badge(PaymentStatus.SUCCEEDED) == payment


@pytest.mark.parametrize(
    ("language", "asked", "plan", "payment"),
    [
        ("es", "Cancelada", "Cancelado", "Cancelado"),
        ("fr", "Annulée", "Annulée", "Annulé"),
        (None, "Cancelled", "Cancelled", "Cancelled"),
    ],
)
def test_a_marked_constant_is_translated_in_the_context_it_was_marked_with(
    language: str | None, asked: str, plan: str, payment: str
) -> None:
    """The services' tables (NC_) read through plain gettext, as the portal's `_(label)` does."""
    with languages.speaking(language):
        assert languages.gettext(service_requests.LABELS[ServiceRequestStatus.CANCELLED]) == asked
        assert languages.gettext(subscriptions.LABELS[SubscriptionStatus.CANCELED]) == plan
        assert payment_badge(PaymentStatus.CANCELED) == payment


def test_the_dashboard_reads_marked_words_as_plain_english() -> None:
    label = service_requests.LABELS[ServiceRequestStatus.DECLINED]
    assert label == "Declined" and label.lower() == "declined"
    assert f"This request is {label.lower()}." == "This request is declined."


def test_extraction_keeps_each_context_into_the_shipped_template() -> None:
    found = extracted()
    assert {("invoice", "Paid"), ("payment", "Paid"), ("request", "Cancelled")} <= found
    assert (None, "Paid") not in found, "a context-less 'Paid' would be one word for two things"
    # messages.pot is what scripts/catalogs extracted: its keywords must carry NC_'s context too.
    with (languages.SHIPPED / "messages.pot").open("rb") as pot:
        template = read_po(pot)
    lost = sorted(
        f"{message} ({context})"
        for context, message in found
        if context and template.get(message, context=context) is None
    )
    assert not lost, "./scripts/catalogs did not extract these with their context:\n" + "\n".join(
        lost
    )
