"""Schemathesis against the live server: no 5xx, every response matches the OpenAPI document,
no operation answers without a key, and refused input changes nothing."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from schemathesis import checks
from schemathesis.specs.openapi import checks as openapi_checks

from frontdesk.api import openapi
from frontdesk.app import create_app
from frontdesk.db import Database
from frontdesk.processors.sandbox import create_app as create_sandbox
from frontdesk.routes.api import OPERATIONS
from frontdesk.settings import Settings
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer, make_invoice
from tests.security.state import state_of

# What no schema can say: an id that is not this business's, a cursor we did not give out, an
# address on a private network. A schema-valid request may be refused for these reasons only.
BEYOND_THE_SCHEMA = {
    ("customer", "Name one of your customers."),
    ("starting_after", "Pass the `next_cursor` of the previous page."),
    ("url", "Use a public address: we do not post to private networks."),
    ("Idempotency-Key", "Use a new key for a new request."),
    # Said in the document's description: JSON Schema has no way to name unpaired surrogates.
    ("body", "Remove NUL characters and unpaired surrogates."),
    # A date JSON Schema cannot compare with today.
    ("expires_on", "This expiry date has passed: upload the current document."),
}
# What an uploaded file holds (its kind, whether it opens) no schema says: any refusal of these.
FILE_FIELDS = {"file"}


@schemathesis.check
def schema_valid_requests_are_accepted(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """What the document allows, the server takes (else the document promised too much)."""
    if (
        response.status_code != 422
        or case.meta is None
        or not case.meta.generation.mode.is_positive
    ):
        return None
    errors = {(e["field"], e["detail"]) for e in response.json().get("errors", [])}
    beyond = {e for e in errors if e in BEYOND_THE_SCHEMA or e[0] in FILE_FIELDS}
    assert errors and errors == beyond, f"schema-valid, refused: {errors}"
    return None


CHECKS = [
    schema_valid_requests_are_accepted,
    checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.ignored_auth,
]


class Target:
    def __init__(self, url: str, key: str, db: Database) -> None:
        self.url, self.key, self.db = url, key, db


@pytest.fixture
def target(db: Database, settings: Settings) -> Iterator[Target]:
    # Onboarding links reach Stripe: here the sandbox, which keeps no webhooks to send.
    stripe = LiveServer(
        create_sandbox(secret_key="sk_test_schema", publishable_key="pk_test_schema")
    )
    stripe.start()
    roomy = settings.model_copy(
        update={
            "api_rate_burst": 100_000,
            "stripe_secret_key": "sk_test_schema",
            "stripe_api_base": stripe.url,
        }
    )
    made = make_business(db)
    with db.session(made.business.id) as session:
        customer = make_customer(session, made.business, external_id="crm-1")
        make_invoice(session, made.business, customer, external_id="inv-1")
    server = LiveServer(create_app(roomy, db)).start()
    yield Target(server.url, made.secret_api_key, db)
    server.stop()
    stripe.stop()


# The document the server serves at /api/v1/openapi.json (a test below checks they are the same),
# read at import so that pytest can make one test per operation.
DOCUMENT = openapi.document(OPERATIONS, server="http://127.0.0.1/api/v1")
schema = schemathesis.openapi.from_dict(DOCUMENT)


def test_the_document_is_valid_openapi_3_1() -> None:
    validate(DOCUMENT)
    assert DOCUMENT["openapi"] == "3.1.0"
    # Every operation needs the key; nothing is documented as open.
    assert DOCUMENT["security"] == [{"secretKey": []}]
    for path in DOCUMENT["paths"].values():
        for operation in path.values():
            assert "401" in operation["responses"]


def test_the_served_document_is_the_one_under_test(target: Target) -> None:
    served = httpx.get(f"{target.url}/api/v1/openapi.json").json()
    assert served["paths"] == DOCUMENT["paths"]
    assert served["components"] == DOCUMENT["components"]


# PostgreSQL holds every column to its length and type where SQLite lets a value by: what the
# fuzzer finds on SQLite it finds there too, so with PostgreSQL present it runs there alone.
@pytest.mark.strictest_backend
@schema.parametrize()
@settings(
    # Six cases per operation (derandomized, so each run tries the same): with 56 operations the
    # suite stays near its fifteen minutes.
    max_examples=6,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_the_api_keeps_its_documented_promises(case: schemathesis.Case, target: Target) -> None:
    before = state_of(target.db)
    answer = case.call_and_validate(
        base_url=f"{target.url}/api/v1",
        headers={"Authorization": f"Bearer {target.key}"},
        checks=CHECKS,
    )
    if 400 <= answer.status_code < 500:
        # Refused input changes nothing.
        assert state_of(target.db) == before, (case.method, case.path, answer.status_code)
