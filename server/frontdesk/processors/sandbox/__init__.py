"""A local stand-in for the part of Stripe's API Frontdesk uses, for tests, the demo and staging.

It speaks Stripe's wire format (form-encoded requests, Stripe's JSON objects and error shapes),
keeps state, replays idempotent requests, scopes objects to the `Stripe-Account` header, follows
Stripe's test cards and sends signed webhook events. It is never used in production unless
`frontdesk serve --stripe-sandbox` asks for it.
"""

from frontdesk.processors.sandbox.app import create_app

__all__ = ["create_app"]
