"""A customer's own choice of language in their portal (languages.py holds the catalogues and how
a request's language is chosen; the business's default is one of its portal settings)."""

from __future__ import annotations

from sqlmodel import Session

from frontdesk import languages
from frontdesk.languages import gettext
from frontdesk.models import Business, Customer
from frontdesk.services import audit
from frontdesk.services.errors import Invalid

# The choice that is no choice: the portal follows the website and the browser.
FOLLOW = ""


def choices() -> list[tuple[str, str]]:
    """What the profile offers: following the website and browser, then each language we speak,
    named in itself."""
    return [
        (FOLLOW, gettext("Automatic (this website's or browser's language)")),
        *((code, languages.name_of(code)) for code in languages.available()),
    ]


def spoken(language: str) -> str:
    """A language the business sets for a customer (API): one we speak, or FOLLOW."""
    if language != FOLLOW and language not in languages.available():
        spoken = ", ".join(languages.available())
        raise Invalid(
            f"We have no catalogue for {language!r}.",
            {"language": f"Use one of {spoken}, or an empty string for none."},
        )
    return language


def choose(
    session: Session, *, business: Business, customer: Customer, language: str, ip: str
) -> bool:
    """Save the customer's language (FOLLOW to clear it); emails, texts and PDFs follow it too.
    Returns whether it changed."""
    if language != FOLLOW and language not in languages.available():
        message = gettext("Choose one of the languages listed.")
        raise Invalid(message, {"language": message})
    before = customer.language
    if before == language:
        return False
    customer.language = language
    session.add(customer)
    audit.record(
        session,
        business=business,
        actor_type="customer",
        actor_id=customer.id,
        action="customer.language_changed",
        target_type="customer",
        target_id=customer.id,
        detail={"language": [before, language]},
        ip=ip,
    )
    return True
