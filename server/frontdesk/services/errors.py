"""Domain errors the services raise and app.py turns into responses."""

from __future__ import annotations


class NotFound(Exception):
    """No such record in this business (also what another business's record looks like)."""


class Invalid(Exception):
    """Bad input. `fields` maps a field name to a message a person can act on."""

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class Forbidden(Exception):
    """The caller is known but may not do this."""


class Unauthenticated(Exception):
    """No credentials, or ones that are not (or no longer) valid."""
