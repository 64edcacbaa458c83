"""Stripe Connect in the sandbox: connected accounts and their onboarding links, OAuth codes for
linking an existing account, revoked access, and the platform's application fees."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from frontdesk.processors.sandbox.state import PLATFORM, State, StripeError, new_id

# The platform, as the account's owner and Stripe's events name it.
APPLICATION = {"id": "ca_sandbox", "object": "application", "name": "Frontdesk"}
# What Stripe asks of a new individual's account before it may take payments.
NEW_ACCOUNT_DUE = [
    "business_type",
    "external_account",
    "individual.first_name",
    "individual.last_name",
    "individual.dob.day",
    "tos_acceptance.date",
]
MORE_INFORMATION = ["individual.verification.document"]
# Stripe's onboarding links and OAuth codes both last five minutes.
LINK_SECONDS = CODE_SECONDS = 300


class OAuthError(StripeError):
    """Stripe's OAuth endpoints answer `{"error": code, "error_description": ...}`, which
    stripe-python turns into `stripe.oauth_error.<Code>Error`."""

    def __init__(self, code: str, description: str, status: int = 400) -> None:
        super().__init__(status, code, description)
        self.body = {"error": code, "error_description": description}


def access_revoked(account: str, key: str) -> StripeError:
    masked = f"{key[:8]}{'*' * max(len(key) - 12, 4)}{key[-4:]}" if key else "(none)"
    return StripeError(
        403,
        "invalid_request_error",
        f"The provided key '{masked}' does not have access to account '{account}' (or that "
        "account does not exist). Application access may have been revoked.",
        code="account_invalid",
    )


def is_web_address(value: Any) -> bool:
    parts = urlsplit(str(value or ""))
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _requirements(due: list[str], past_due: list[str]) -> dict[str, Any]:
    return {
        "currently_due": list(due),
        "eventually_due": list(due),
        "past_due": list(past_due),
        # As Stripe reports it for a new account too: nothing may be charged until it is done.
        "disabled_reason": "requirements.past_due" if due else None,
        "current_deadline": None,
        "errors": [],
    }


class Connect(State):
    """Accounts live under the platform; a revoked one stays, marked, so its owner's page and
    the 403s for its `Stripe-Account` header keep working after a restart."""

    # -- accounts --------------------------------------------------------------------------

    def create_account(self, params: dict[str, Any]) -> dict[str, Any]:
        kind = params.get("type")
        if kind not in ("express", "standard"):
            raise StripeError(
                400,
                "invalid_request_error",
                f"Invalid type: must be one of express or standard (got {kind!r}).",
                param="type",
            )
        name = (params.get("business_profile") or {}).get("name")
        wanted = params.get("capabilities") or {}
        return self.put(
            PLATFORM,
            {
                "id": new_id("acct"),
                "object": "account",
                "type": kind,
                "country": params.get("country") or "US",
                "email": params.get("email"),
                "business_profile": {"name": name},
                "details_submitted": False,
                "charges_enabled": False,
                "payouts_enabled": False,
                "requirements": _requirements(NEW_ACCOUNT_DUE, []),
                "capabilities": {
                    capability: "inactive"
                    for capability, asked in wanted.items()
                    if isinstance(asked, dict) and str(asked.get("requested")).lower() == "true"
                },
                "metadata": params.get("metadata") or {},
                "created": int(self.clock()),
                "settings": {"dashboard": {"display_name": name}},
            },
        )

    def account(self, account_id: str) -> dict[str, Any]:
        """The account, revoked or not (its owner still has it); unknown ids are Stripe's 404."""
        return self.get(PLATFORM, "account", account_id)

    def connected(self, account_id: str, key: str = "") -> dict[str, Any]:
        """The account, as long as the platform still has access to it."""
        account = self.account(account_id)
        if account.get("_revoked"):
            raise access_revoked(account_id, key)
        return account

    def revoked(self, account_id: str) -> bool:
        found = self._find(account_id)
        return bool(found and found.get("_revoked"))

    def _find(self, account_id: str) -> dict[str, Any] | None:
        found = self.objects.get((PLATFORM, account_id))
        return found if found and found["object"] == "account" else None

    def _set_enabled(self, account: dict[str, Any], enabled: bool, due: list[str]) -> None:
        account.update(
            details_submitted=True,
            charges_enabled=enabled,
            payouts_enabled=enabled,
            requirements=_requirements(due, due),
            capabilities={
                name: "active" if enabled else "inactive" for name in account["capabilities"]
            },
        )

    def submit_details(self, account_id: str, *, complete: bool) -> dict[str, Any]:
        """The owner finished onboarding: with everything Stripe asked for, or leaving some due."""
        account = self.connected(account_id)
        self._set_enabled(account, complete, [] if complete else MORE_INFORMATION)
        self.emit(account_id, "account.updated", account)
        return account

    def require_information(self, account_id: str) -> dict[str, Any]:
        """Stripe asks the owner for more (an identity document) and pauses charges meanwhile."""
        account = self.connected(account_id)
        self._set_enabled(account, False, MORE_INFORMATION)
        self.emit(account_id, "account.updated", account)
        return account

    def provide_information(self, account_id: str) -> dict[str, Any]:
        return self.submit_details(account_id, complete=True)

    def revoke(self, account_id: str) -> dict[str, Any]:
        """The owner disconnects the platform: its key no longer reaches this account."""
        account = self.connected(account_id)
        account["_revoked"] = True
        self.emit(account_id, "account.application.deauthorized", APPLICATION)
        return account

    def ready_accounts(self) -> list[dict[str, Any]]:
        """Standard accounts an owner could link through OAuth: set up and not disconnected."""
        return [
            obj
            for (owner, _), obj in self.objects.items()
            if owner == PLATFORM
            and obj["object"] == "account"
            and obj["type"] == "standard"
            and obj["charges_enabled"]
            and not obj.get("_revoked")
        ]

    def create_ready_account(
        self, name: str = "Sandbox test business", account_id: str = ""
    ) -> dict[str, Any]:
        """A set-up Standard account; with `account_id`, that one (kept if it exists: the demo
        names its business's account across restarts)."""
        if account_id and self._find(account_id) is not None:
            return self.account(account_id)
        account = self.create_account({"type": "standard", "business_profile": {"name": name}})
        if account_id:
            del self.objects[(PLATFORM, account["id"])]
            account["id"] = account_id
            self.put(PLATFORM, account)
        # Set up before it was ever connected, so no event goes to the platform.
        self._set_enabled(account, True, [])
        return account

    # -- onboarding links ------------------------------------------------------------------

    def create_account_link(self, params: dict[str, Any], *, base: str, key: str) -> dict[str, Any]:
        account_id = str(params.get("account") or "")
        if self._find(account_id) is None:
            raise StripeError(
                400,
                "invalid_request_error",
                f"No such account: '{account_id}'",
                code="resource_missing",
                param="account",
            )
        self.connected(account_id, key)
        for param in ("refresh_url", "return_url"):
            if not is_web_address(params.get(param)):
                raise StripeError(
                    400,
                    "invalid_request_error",
                    f"Invalid URL: {param} must be an absolute http or https URL.",
                    param=param,
                )
        if params.get("type") not in ("account_onboarding", "account_update"):
            raise StripeError(
                400,
                "invalid_request_error",
                "Invalid type: must be one of account_onboarding or account_update.",
                param="type",
            )
        now = int(self.clock())
        link = self.put(
            PLATFORM,
            {
                # The id is the link's only secret: whoever has it may onboard the account.
                "id": secrets.token_hex(16),
                "object": "_account_link",
                "created": now,
                "_account": account_id,
                "_refresh_url": params["refresh_url"],
                "_return_url": params["return_url"],
                "_expires_at": now + LINK_SECONDS,
                "_used": False,
            },
        )
        return {
            "object": "account_link",
            "created": now,
            "expires_at": link["_expires_at"],
            "url": f"{base}/connect/onboarding/{link['id']}",
        }

    def onboarding_link(self, link_id: str) -> dict[str, Any]:
        return self.get(PLATFORM, "_account_link", link_id)

    def link_usable(self, link: dict[str, Any]) -> bool:
        """As Stripe: once used or past its five minutes, a link only sends to `refresh_url`."""
        return (
            not link["_used"]
            and self.clock() <= link["_expires_at"]
            and not self.revoked(link["_account"])
        )

    def finish_onboarding(self, link_id: str, choice: str) -> str:
        """Where the owner goes next after `choice` (submit, incomplete or leave)."""
        link = self.onboarding_link(link_id)
        if not self.link_usable(link):
            return str(link["_refresh_url"])
        link["_used"] = True
        if choice in ("submit", "incomplete"):
            self.submit_details(link["_account"], complete=choice == "submit")
        return str(link["_return_url"])

    # -- OAuth, for owners who already have a Standard account -----------------------------

    def authorize(self, account_id: str, scope: str) -> str:
        """A code the platform exchanges for the account (`POST /oauth/token`)."""
        if account_id not in {obj["id"] for obj in self.ready_accounts()}:
            raise StripeError(400, "invalid_request_error", "That account cannot be connected.")
        now = int(self.clock())
        code = self.put(
            PLATFORM,
            {
                "id": f"ac_{secrets.token_hex(16)}",
                "object": "_oauth_code",
                "created": now,
                "_account": account_id,
                "_scope": scope,
                "_expires_at": now + CODE_SECONDS,
                "_used": False,
            },
        )
        return str(code["id"])

    def exchange_code(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("grant_type") != "authorization_code":
            raise OAuthError(
                "unsupported_grant_type",
                f"Unsupported grant type: {params.get('grant_type')}. The sandbox only exchanges "
                "authorization codes.",
            )
        code_id = str(params.get("code") or "")
        code = self.objects.get((PLATFORM, code_id))
        if code is None or code["object"] != "_oauth_code":
            raise OAuthError("invalid_grant", f"Authorization code does not exist: {code_id}")
        if code["_used"]:
            raise OAuthError(
                "invalid_grant",
                "This authorization code has already been used. All tokens issued with this "
                "code have been revoked.",
            )
        if self.clock() > code["_expires_at"] or self.revoked(code["_account"]):
            raise OAuthError("invalid_grant", f"Authorization code expired: {code_id}")
        code["_used"] = True
        return {
            "access_token": f"sk_test_{secrets.token_hex(24)}",
            "livemode": False,
            "refresh_token": f"rt_{secrets.token_hex(24)}",
            "token_type": "bearer",
            "stripe_publishable_key": f"pk_test_{secrets.token_hex(24)}",
            "stripe_user_id": code["_account"],
            "scope": code["_scope"],
        }

    def deauthorize(self, params: dict[str, Any]) -> dict[str, Any]:
        account_id = str(params.get("stripe_user_id") or "")
        if not params.get("client_id"):
            raise OAuthError("invalid_request", "No client_id provided.")
        if self._find(account_id) is None or self.revoked(account_id):
            raise OAuthError(
                "invalid_client",
                f"This application is not connected to stripe account {account_id}, or that "
                "account does not exist.",
            )
        self.revoke(account_id)
        return {"stripe_user_id": account_id}

    # -- application fees on direct charges ------------------------------------------------

    def fee_param(self, account: str, params: dict[str, Any], amount: int) -> int | None:
        raw = params.get("application_fee_amount")
        if raw in (None, ""):
            return None
        if account == PLATFORM:
            raise StripeError(
                400,
                "invalid_request_error",
                "Can only apply an application_fee_amount when the PaymentIntent is attempting a "
                "direct payment (using an OAuth key or Stripe-Account header) or destination "
                "payment (using `transfer_data[destination]`).",
                param="application_fee_amount",
            )
        try:
            fee = int(raw)
        except (TypeError, ValueError):
            fee = -1
        if not 0 <= fee <= amount:
            raise StripeError(
                400,
                "invalid_request_error",
                f"Invalid application_fee_amount: it must be an integer from 0 to the "
                f"PaymentIntent's amount ({amount}).",
                param="application_fee_amount",
            )
        return fee

    def collect_fee(self, account: str, intent: dict[str, Any]) -> None:
        """The platform's fee, taken when a direct charge with one succeeds."""
        if not intent.get("application_fee_amount"):
            return
        fee = self.put(
            PLATFORM,
            {
                "id": new_id("fee"),
                "object": "application_fee",
                "account": account,
                "amount": intent["application_fee_amount"],
                "amount_refunded": 0,
                "charge": intent["latest_charge"] or intent["id"],
                "currency": intent["currency"],
                "created": int(self.clock()),
                "refunded": False,
                "livemode": False,
            },
        )
        intent.update(_application_fee=fee["id"], _application_fee_refunded=0)

    def refund_fee(self, account: str, intent: dict[str, Any], amount: int) -> int:
        """The part of the fee a refund of `amount` (with `refund_application_fee`) returns: in
        proportion to what was refunded with the fee so far, so a full refund returns all of it."""
        fee_id = intent.get("_application_fee")
        if not fee_id:
            return 0
        fee = self.get(PLATFORM, "application_fee", fee_id)
        with_fee = amount + sum(
            obj["amount"]
            for (owner, _), obj in self.objects.items()
            if owner == account
            and obj["object"] == "refund"
            and obj["payment_intent"] == intent["id"]
            and obj.get("_application_fee_refunded") is not None
        )
        returned: int = fee["amount"] * with_fee // intent["amount_received"]
        returned -= intent["_application_fee_refunded"]
        intent["_application_fee_refunded"] += returned
        fee["amount_refunded"] += returned
        fee["refunded"] = fee["amount_refunded"] == fee["amount"]
        return returned
