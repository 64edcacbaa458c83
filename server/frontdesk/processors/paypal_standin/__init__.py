"""A local stand-in for the part of PayPal's REST API Frontdesk uses, for tests and the demo.

It speaks PayPal's wire format (OAuth client credentials, Orders v2, Payments v2 captures and
refunds, PayPal's JSON and error shapes), keeps state in a file across restarts, answers a
repeated PayPal-Request-Id with what the first request made, serves a stand-in for PayPal's
JavaScript SDK whose buttons open an approval window, and sends webhook events signed with
SHA256withRSA and a certificate it serves, as PayPal does. Not named "sandbox": PayPal's own
test environment is called that (api-m.sandbox.paypal.com).
"""

from frontdesk.processors.paypal_standin.app import create_app
from frontdesk.processors.paypal_standin.store import Store

__all__ = ["Store", "create_app"]
