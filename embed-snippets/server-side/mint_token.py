"""Mint a portal token for a customer who is signed in on your site (Python, standard library).

Call it while rendering your account page and put the token in the snippet:
    <frontdesk-portal business="pk_..." token="{token}"></frontdesk-portal>
"""

import json
import os
import urllib.parse
import urllib.request

HOST = os.environ["FRONTDESK_HOST"]  # https://portal.example.com
SECRET_KEY = os.environ["FRONTDESK_SECRET_KEY"]  # sk_..., never sent to browsers


def portal_token(your_customer_id: str) -> str:
    """A token valid for ten minutes; the portal trades it for its own session at once."""
    customer = urllib.parse.quote(f"external:{your_customer_id}", safe="")
    request = urllib.request.Request(
        f"{HOST}/api/v1/customers/{customer}/portal-sessions",
        method="POST",
        headers={"Authorization": f"Bearer {SECRET_KEY}"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)["token"]
