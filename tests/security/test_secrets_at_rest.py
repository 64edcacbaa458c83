"""Secrets at rest: no secret API key, webhook signing secret or password is stored as itself
anywhere in the database; each is kept as a hash or sealed, and still works."""

from __future__ import annotations

from frontdesk.db import Database
from frontdesk.services import businesses, webhooks
from frontdesk.settings import Settings
from tests.factories import PASSWORD, make_business
from tests.security.state import every_row


def test_no_secret_is_stored_as_itself(db: Database, settings: Settings) -> None:
    made = make_business(db)
    with db.session(made.business.id) as session:
        business = businesses.get(session, made.business.id)
        _, second_key = businesses.create_api_key(session, business=business, name="second")
        endpoint, signing_secret = webhooks.create_endpoint(
            session,
            business=business,
            secret_keys=settings.secret_key,
            url="http://127.0.0.1:9/frontdesk",
            events=[],
            allow_private=True,
        )
        endpoint_id = endpoint.id
    secrets = [made.secret_api_key, second_key, signing_secret, PASSWORD]
    dump = "\n".join(repr(row) for row in every_row(db))
    for secret in secrets:
        assert secret not in dump
    # Kept in a form that still works: the keys authenticate, the secret unseals.
    with db.unscoped("keys are looked up across businesses") as session:
        for key in (made.secret_api_key, second_key):
            assert businesses.by_api_key(session, key)[0].id == made.business.id
    with db.session(made.business.id) as session:
        endpoint = webhooks.get_endpoint(session, endpoint_id)
        assert webhooks.secret_of(endpoint, settings.secret_key) == signing_secret
