"""The businesses' own Stripe accounts (Connect): creating them, Stripe's onboarding links, linking
an existing account through OAuth, and reading an account's state."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import stripe

from frontdesk.processors import Account, Refused, Revoked, Unavailable


def _account(raw: Mapping[str, Any]) -> Account:
    needs = raw.get("requirements") or {}
    deadline = needs.get("current_deadline")
    return Account(
        id=str(raw["id"]),
        type=str(raw.get("type") or ""),
        details_submitted=bool(raw.get("details_submitted")),
        charges_enabled=bool(raw.get("charges_enabled")),
        payouts_enabled=bool(raw.get("payouts_enabled")),
        currently_due=tuple(str(item) for item in needs.get("currently_due") or ()),
        past_due=tuple(str(item) for item in needs.get("past_due") or ()),
        disabled_reason=str(needs.get("disabled_reason") or ""),
        deadline=datetime.fromtimestamp(int(deadline), UTC) if deadline else None,
        email=str(raw.get("email") or ""),
    )


class ConnectCalls:
    """Mixed into StripeProcessor, whose client it uses."""

    client: stripe.StripeClient
    connect_client_id: str

    def create_account(self, *, kind: str, email: str, name: str, business: str, key: str) -> str:
        with _connect_errors():
            made = self.client.v1.accounts.create(
                params={
                    "type": kind,
                    "email": email,
                    "business_profile": {"name": name},
                    "capabilities": {
                        "card_payments": {"requested": True},
                        "transfers": {"requested": True},
                    },
                    "metadata": {"frontdesk_business": business},
                },
                options={"idempotency_key": key},
            )
        return str(made.id)

    def retrieve_account(self, account: str) -> Account:
        with _connect_errors():
            found = self.client.v1.accounts.retrieve(account)
        return _account(found.to_dict())

    def onboarding_link(
        self, account: str, *, return_url: str, refresh_url: str, update: bool = False
    ) -> str:
        with _connect_errors():
            link = self.client.v1.account_links.create(
                params={
                    "account": account,
                    "return_url": return_url,
                    "refresh_url": refresh_url,
                    "type": "account_update" if update else "account_onboarding",
                }
            )
        return str(link.url)

    def authorize_url(self, *, state: str, redirect_uri: str) -> str:
        if not self.connect_client_id:
            raise Unavailable("FRONTDESK_STRIPE_CONNECT_CLIENT_ID is not set")
        return self.client.oauth.authorize_url(
            params={
                "client_id": self.connect_client_id,
                "scope": "read_write",
                "state": state,
                "redirect_uri": redirect_uri,
            }
        )

    def account_for_code(self, code: str) -> str:
        with _connect_errors():
            token = self.client.oauth.token(
                params={"grant_type": "authorization_code", "code": code}
            )
        return str(token["stripe_user_id"])

    def deauthorize(self, account: str) -> None:
        with _connect_errors():
            self.client.oauth.deauthorize(
                params={"client_id": self.connect_client_id, "stripe_user_id": account}
            )


@contextmanager
def _connect_errors() -> Iterator[None]:
    """Stripe's answers about accounts in our words: access revoked, refused, or Stripe away."""
    try:
        yield
    except stripe.oauth_error.OAuthError as error:
        raise Refused(str(error.user_message or error), str(error.code or "")) from None
    except stripe.PermissionError as error:
        raise Revoked(str(error)) from None
    except stripe.InvalidRequestError as error:
        if error.code == "account_invalid":
            raise Revoked(str(error)) from None
        message = error.user_message or str(error)
        raise Refused(message, error.code or "", str(error.param or "")) from None
    except stripe.StripeError as error:
        raise Unavailable(f"{type(error).__name__}: {error}") from None
