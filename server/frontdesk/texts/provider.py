"""The SMS provider, in Twilio's REST shape: its Messages resource to send, and the signature
(X-Twilio-Signature) it puts on what it posts to us.

https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource
https://www.twilio.com/docs/usage/security#validating-requests
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

import httpx

from frontdesk.settings import Settings

TWILIO = "https://api.twilio.com"
API_VERSION = "2010-04-01"
# The replies that unsubscribe a number and subscribe it again (Twilio's default keywords).
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP"})


class TextRefused(Exception):
    """The provider refused this text for good (a bad number, an unsubscribed recipient): sending
    it again would be refused again. `code` is Twilio's error code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


class TextUnavailable(Exception):
    """The provider could not be reached or failed on its side: worth trying again later."""


@dataclass(frozen=True)
class Sent:
    sid: str
    status: str


def signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """Twilio's X-Twilio-Signature: HMAC-SHA1 with the auth token over the URL it posted to and
    each parameter's name and value, sorted by name, base64-encoded."""
    data = url + "".join(name + value for name, value in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def verify(auth_token: str, url: str, params: Iterable[tuple[str, str]], given: str) -> bool:
    return bool(given) and hmac.compare_digest(signature(auth_token, url, params), given)


@dataclass(frozen=True)
class TextProvider:
    account_sid: str
    auth_token: str
    from_number: str
    base_url: str = TWILIO
    timeout: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> TextProvider | None:
        """The configured provider, or None when texts are not set up."""
        if not settings.sms_ready:
            return None
        return cls(
            settings.sms_account_sid,
            settings.sms_auth_token,
            settings.sms_from,
            (settings.sms_base_url or TWILIO).rstrip("/"),
        )

    @property
    def messages_url(self) -> str:
        return f"{self.base_url}/{API_VERSION}/Accounts/{self.account_sid}/Messages.json"

    def send(self, to: str, body: str, status_callback: str = "") -> Sent:
        """Hand one text to the provider. TextRefused when it will never take it, TextUnavailable
        when it may later."""
        form = {"To": to, "From": self.from_number, "Body": body}
        if status_callback:
            form["StatusCallback"] = status_callback
        try:
            answer = httpx.post(
                self.messages_url,
                data=form,
                auth=(self.account_sid, self.auth_token),
                timeout=self.timeout,
            )
        except httpx.HTTPError as exc:
            raise TextUnavailable(f"{type(exc).__name__}: {exc}") from None
        if answer.status_code >= 500 or answer.status_code == 429:
            raise TextUnavailable(f"the provider answered {answer.status_code}")
        try:
            found = answer.json()
        except ValueError:
            raise TextUnavailable(f"the provider answered {answer.status_code}, not JSON") from None
        if answer.status_code >= 400:
            # 401 (a wrong token) is ours to fix, and texts wait until it is.
            if answer.status_code == 401:
                raise TextUnavailable(f"the provider refused our credentials: {found}")
            raise TextRefused(int(found.get("code") or 0), str(found.get("message", "")))
        return Sent(str(found["sid"]), str(found.get("status", "queued")))
