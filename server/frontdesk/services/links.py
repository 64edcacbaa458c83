"""Every link and token minted for a customer, from the server's signing keys and its public
address: one `Links`, built once in `create_app` (and by the CLI and the runner from the same
settings), handed to whatever mints. Reading tokens stays with `tokens` and the services that
take them (`portal`, `sign_in`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from frontdesk import tokens
from frontdesk.models import Business, Customer
from frontdesk.settings import Settings
from frontdesk.tokens import Purpose


@dataclass(frozen=True)
class Limits:
    """What a session may not do, carried by its token from arrival to every renewal."""

    # The business looking at the customer's portal from its dashboard: nothing can change.
    read_only: bool = False
    # A pay-only link: the pay step and nothing else of the account.
    pay_only: bool = False

    def claims(self) -> dict[str, int]:
        return {k: 1 for k, on in (("ro", self.read_only), ("po", self.pay_only)) if on}

    @classmethod
    def of(cls, claims: tokens.Claims) -> Limits:
        return cls(read_only=bool(claims.extra.get("ro")), pay_only=bool(claims.extra.get("po")))


@dataclass(frozen=True)
class Links:
    secret_keys: tuple[str, ...]
    base_url: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> Links:
        return cls(settings.secret_key, settings.base_url)

    def token(self, purpose: Purpose, customer: Customer, **extra: Any) -> str:
        """A token of this purpose naming the customer, their business and their link version."""
        return tokens.mint(
            self.secret_keys,
            purpose,
            business_id=customer.business_id,
            customer_id=customer.id,
            link_version=customer.link_version,
            **extra,
        )

    def session(self, customer: Customer, session_id: str, limits: Limits = Limits()) -> str:
        """A portal session's token; every renewal carries the same `session_id`, so signing out
        ends them all."""
        return self.token(Purpose.PORTAL_SESSION, customer, s=session_id, **limits.claims())

    def view_only(self, customer: Customer) -> str:
        """An embed token for the business's own look at the customer's portal (dashboard)."""
        return self.token(Purpose.EMBED, customer, **Limits(read_only=True).claims())

    def pay_page(self, customer: Customer, payment_id: str) -> str:
        return self.token(Purpose.PAY_PAGE, customer, p=payment_id)

    def download(self, customer: Customer, document: str) -> str:
        """A five-minute link to one document (`invoice:INV-1042`, `receipt:pay_...`)."""
        return self.token(Purpose.DOWNLOAD, customer, d=document)

    def portal_page(self, business: Business) -> str:
        """Where the business's customers open their portal: the page of its own website that
        embeds it, else its own verified address, else our hosted page."""
        if business.portal_page_url:
            return business.portal_page_url
        if business.portal_domain:
            # Served as we are (https in production, behind Caddy's certificates).
            return f"{self.base_url.split('://', 1)[0]}://{business.portal_domain}/"
        return f"{self.base_url}/p/{business.slug}"

    def action(self, business: Business, customer: Customer, payment_id: str) -> str:
        """The emailed link back to a payment waiting for the customer, on the business's own
        page (token in the fragment, never sent to its server), or on our hosted page."""
        token = self.token(Purpose.PAYMENT_ACTION, customer, p=payment_id)
        return f"{self.portal_page(business)}#frontdesk={token}"

    def payment(
        self, business: Business, customer: Customer, view: str = "pay", *, pay_only: bool = False
    ) -> str:
        """The customer's permanent link to the pay step (or another view, `invoice/INV-1042`);
        `pay_only` keeps its session to paying. Revoking their links ends every copy."""
        extra: dict[str, object] = {} if view == "pay" else {"d": view}
        extra.update(Limits(pay_only=pay_only).claims())
        token = self.token(Purpose.PAY_LINK, customer, **extra)
        return f"{self.portal_page(business)}#frontdesk={token}"
