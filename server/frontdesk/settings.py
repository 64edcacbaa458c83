"""Every setting, read once from FRONTDESK_* environment variables and validated at start-up."""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
from pathlib import Path
from typing import Annotated, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Values people paste from examples; refusing them keeps a copied config from reaching production.
_PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "dev", "development", "insecure"}
MIN_SECRET_LENGTH = 32
GENERATE_KEY = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"


# The local Stripe sandbox's publishable key: public by nature, as Stripe's are. Its secret key
# and webhook signing secret are never constants (see `sandbox_secrets`).
SANDBOX_PUBLISHABLE_KEY = "pk_test_sandbox"
# PayPal's REST API, live first, then its own sandbox: the only bases production may use.
PAYPAL_API_BASES = ("https://api-m.paypal.com", "https://api-m.sandbox.paypal.com")


def sandbox_secrets(secret_keys: tuple[str, ...]) -> tuple[str, str]:
    """The sandbox's API secret key and webhook signing secret, derived from this server's own
    signing key: stable across restarts, different on every installation, known to no one
    else. A well-known secret would let anyone who reaches a staging server sign events."""
    if not secret_keys:
        return f"sk_test_{secrets.token_hex(16)}", f"whsec_{secrets.token_hex(16)}"

    def derive(purpose: str) -> str:
        return hmac.new(secret_keys[0].encode(), purpose.encode(), "sha256").hexdigest()[:32]

    return f"sk_test_{derive('stripe-sandbox-api')}", f"whsec_{derive('stripe-sandbox-webhooks')}"


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one line naming it."""


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "frontdesk"


class DatabaseSettings(BaseSettings):
    """What reaching the database takes, and no more: `migrate` and `db provision` sign nothing,
    so they ask for no signing key."""

    model_config = SettingsConfigDict(env_prefix="FRONTDESK_", extra="ignore", frozen=True)

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str = ""
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, url: str) -> str:
        if url and not url.startswith(("sqlite:///", "postgresql://", "postgresql+psycopg://")):
            raise ValueError("must start with sqlite:/// or postgresql://")
        return url

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            url = self.database_url
            # psycopg 3 is the driver we ship; a bare postgresql:// would ask for psycopg2.
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
            return url
        return f"sqlite:///{self.data_dir / 'frontdesk.db'}"


class Settings(DatabaseSettings):
    environment: Literal["production", "demo", "test"] = "production"
    # Newest first: tokens are signed with the first key and verified with any of them.
    secret_key: Annotated[tuple[str, ...], NoDecode] = ()
    base_url: str = "http://127.0.0.1:8000"
    smtp_url: str = ""
    mail_from: str = "Frontdesk <no-reply@frontdesk.localhost>"
    stripe_secret_key: str = ""
    stripe_publishable_key: str = ""
    stripe_webhook_secret: str = ""
    # Only the sandbox and staging point this elsewhere; production leaves it empty.
    stripe_api_base: str = ""
    # The platform's Connect client id (ca_...), for linking accounts businesses already have.
    stripe_connect_client_id: str = ""
    run_jobs: bool = True
    # Staging and tests only: serve the local Stripe sandbox at /_stripe and pay through it.
    stripe_sandbox: bool = False
    # Proxies (addresses or networks) whose X-Forwarded-For / Forwarded headers name the client;
    # from anyone else those headers are ignored.
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = ("127.0.0.1", "::1")
    # How often each process asks the processor for payments it may have missed; 0 turns it off.
    reconcile_seconds: int = Field(default=300, ge=0)
    # How long a portal session lasts without activity; every portal response renews it.
    portal_session_seconds: int = Field(default=3600, ge=5, le=86400)
    # May webhook endpoints be on loopback or private networks? Unset: only outside production
    # (tests and the demo post to receivers on loopback; production must not reach them: SSRF).
    private_webhook_hosts: bool | None = None
    # How long an outbox item stays with the process that claimed it. After a crash its items
    # are due again when this runs out, so it must outlast the slowest email or webhook.
    outbox_lease_seconds: int = Field(default=300, ge=1)
    # Worker threads per process for database and rendering work.
    threads: int = Field(default=4, ge=1, le=256)
    # Besides those, the threads that draw portal views: unset, one on SQLite (a view is Python
    # from end to end there, and threads taking turns at the GIL serve fewer views, the unlucky
    # ones much later: bench/throughput.py), as many as `threads` on PostgreSQL, whose answers
    # are waited for. Views that ask the payment processor, and forms, take the others.
    view_threads: int | None = Field(default=None, ge=1, le=256)

    @property
    def drawing_threads(self) -> int:
        if self.view_threads is not None:
            return self.view_threads
        return 1 if self.resolved_database_url.startswith("sqlite") else self.threads

    @property
    def connections(self) -> int:
        """The database connections a process keeps: one for each thread that may hold a session
        at once (`threads`, the view threads, and the job runner's and scheduler's), so that none
        waits on the pool for a connection another is done with."""
        return self.threads + self.drawing_threads + 2

    # Custom domains: where owners point their host (a CNAME), by default this server's own host;
    # and the DNS servers asked about their records ("host" or "host:port"; the system's if unset).
    custom_domain_target: str = ""
    dns_servers: Annotated[tuple[str, ...], NoDecode] = ()
    # Per secret API key: a burst of this many requests, refilled at the steady rate below.
    api_rate_burst: int = Field(default=100, ge=1)
    api_rate_per_second: float = Field(default=25.0, gt=0)
    # Messages: a message still unread this many minutes after it was sent is emailed to the
    # other side (once per unread burst); an open conversation asks for news this often.
    message_notice_minutes: int = Field(default=5, ge=1, le=10080)
    message_poll_seconds: int = Field(default=10, ge=1, le=300)
    # Text messages through a provider in Twilio's shape: its account, the number texts come
    # from (E.164, +15550100), and its address (empty: Twilio's own; the demo's local stand-in
    # otherwise). Without all three, nothing is texted (services/texts.py).
    sms_base_url: str = ""
    sms_account_sid: str = ""
    sms_auth_token: str = ""
    sms_from: str = ""
    # PayPal's REST app (client id and secret) and the webhook it posts to (its id, as PayPal
    # lists it); the base is PayPal's live API when empty, its sandbox's or our stand-in's
    # otherwise (processors/paypal.py).
    paypal_base_url: str = ""
    paypal_client_id: str = ""
    paypal_secret: str = ""
    paypal_webhook_id: str = ""
    # More catalogues beside those shipped (<dir>/<language>/LC_MESSAGES/messages.mo): a language
    # tried in a running portal before it ships (README, "Adding a language").
    catalogues: Path | None = None

    @field_validator("secret_key", "trusted_proxies", "dns_servers", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("secret_key")
    @classmethod
    def _strong_keys(cls, keys: tuple[str, ...]) -> tuple[str, ...]:
        for key in keys:
            if key.lower() in _PLACEHOLDER_SECRETS:
                raise ValueError(f"is a placeholder; generate one with: {GENERATE_KEY}")
            if len(key) < MIN_SECRET_LENGTH:
                raise ValueError(f"each key must be at least {MIN_SECRET_LENGTH} characters")
        return keys

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, entries: tuple[str, ...]) -> tuple[str, ...]:
        for entry in entries:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"{entry!r} is not an address or network like 10.0.0.0/8"
                ) from None
        return entries

    @field_validator("base_url")
    @classmethod
    def _absolute_base(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError("must be an absolute http(s):// URL")
        return url.rstrip("/")

    @field_validator("sms_from")
    @classmethod
    def _sms_number(cls, number: str) -> str:
        if number and not (number.startswith("+") and number[1:].isdigit() and len(number) <= 16):
            raise ValueError("must be a number in E.164 form, like +15550100")
        return number

    @field_validator("smtp_url")
    @classmethod
    def _smtp_scheme(cls, url: str) -> str:
        if url and not url.startswith(("smtp://", "smtps://")):
            raise ValueError("must start with smtp:// or smtps://")
        return url

    @model_validator(mode="after")
    def _production_needs_secrets(self) -> Settings:
        if self.environment == "production" and not self.secret_key:
            raise ValueError("FRONTDESK_SECRET_KEY is missing; production needs at least one key")
        base = self.paypal_base_url.rstrip("/")
        if base and base not in PAYPAL_API_BASES and self.environment == "production":
            raise ValueError(
                "FRONTDESK_PAYPAL_BASE_URL must be one of PayPal's own in production: "
                + " or ".join(PAYPAL_API_BASES)
            )
        if self.stripe_sandbox and self.environment == "production":
            raise ValueError(
                "FRONTDESK_STRIPE_SANDBOX takes no real money, so it is refused in production; "
                "set FRONTDESK_ENVIRONMENT=test for a staging server"
            )
        return self

    def with_sandbox(self) -> Settings:
        """These settings pointed at the sandbox this server mounts at /_stripe, with the
        configured Stripe secrets when set (both sides use them) and derived ones otherwise."""
        secret, webhook = sandbox_secrets(self.secret_key)
        return self.model_copy(
            update={
                "stripe_secret_key": self.stripe_secret_key or secret,
                "stripe_publishable_key": SANDBOX_PUBLISHABLE_KEY,
                "stripe_webhook_secret": self.stripe_webhook_secret or webhook,
                "stripe_api_base": f"{self.base_url}/_stripe",
                "stripe_connect_client_id": self.stripe_connect_client_id or "ca_sandbox",
            }
        )

    @property
    def platform_host(self) -> str:
        return (urlsplit(self.base_url).hostname or "").lower()

    @property
    def domain_target(self) -> str:
        """The name a business's own host must point at (CNAME) to reach us."""
        return (self.custom_domain_target or self.platform_host).lower().rstrip(".")

    @property
    def sandbox_state(self) -> Path:
        """Where a sandbox this server runs keeps its state across restarts."""
        return self.data_dir / "stripe-sandbox.json"

    @property
    def stripe_js_url(self) -> str:
        """Stripe.js, from Stripe, or the sandbox's stand-in when the API is the sandbox."""
        if self.stripe_api_base:
            return f"{self.stripe_api_base}/v3/stripe.js"
        return "https://js.stripe.com/v3/"

    @property
    def stripe_origins(self) -> tuple[str, str]:
        """Where Stripe.js and the Stripe API live, for Content-Security-Policy headers."""
        js = urlsplit(self.stripe_js_url)
        api = urlsplit(self.stripe_api_base or "https://api.stripe.com")
        return f"{js.scheme}://{js.netloc}", f"{api.scheme}://{api.netloc}"

    @property
    def webhooks_may_reach_private_hosts(self) -> bool:
        if self.private_webhook_hosts is not None:
            return self.private_webhook_hosts
        return self.environment != "production"

    @property
    def paypal_ready(self) -> bool:
        """Whether payments can go through PayPal: its app's client id and secret are set."""
        return bool(self.paypal_client_id and self.paypal_secret)

    @property
    def sms_ready(self) -> bool:
        """Whether texts can be sent: the provider's account, its token and our number are set."""
        return bool(self.sms_account_sid and self.sms_auth_token and self.sms_from)

    @property
    def is_production(self) -> bool:
        return self.environment == "production"


def load(**overrides: object) -> Settings:
    """Read settings from the environment (plus overrides), turning any problem into one line."""
    return _read(Settings, overrides)


def load_database(**overrides: object) -> DatabaseSettings:
    """Only the database's settings: for commands that sign nothing."""
    return _read(DatabaseSettings, overrides)


S = TypeVar("S", bound=DatabaseSettings)


def _read(kind: type[S], overrides: dict[str, object]) -> S:
    try:
        return kind(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"])
        name = f"FRONTDESK_{field.upper()}" if field else "settings"
        message = error["msg"].removeprefix("Value error, ")
        if message.startswith("FRONTDESK_"):
            raise SettingsError(message) from None
        raise SettingsError(f"{name}: {message}") from None
