"""Webhook endpoints and their deliveries through the API."""

from __future__ import annotations

from frontdesk.api import convert, schemas
from frontdesk.api.operations import Call
from frontdesk.services import (
    webhooks,
)


def list_webhook_endpoints(call: Call) -> schemas.Page[schemas.WebhookEndpoint]:
    data = [convert.webhook_endpoint(row) for row in webhooks.endpoints(call.session)]
    return schemas.Page[schemas.WebhookEndpoint](data=data, has_more=False, next_cursor=None)


def create_webhook_endpoint(call: Call) -> schemas.NewWebhookEndpoint:
    body: schemas.WebhookEndpointCreate = call.body
    row, secret = webhooks.create_endpoint(
        call.session,
        business=call.business,
        secret_keys=call.settings.secret_key,
        url=body.url,
        events=body.events,
        description=body.description,
        allow_private=call.settings.webhooks_may_reach_private_hosts,
        actor=call.actor,
    )
    shown = convert.webhook_endpoint(row).model_dump()
    return schemas.NewWebhookEndpoint(**shown, secret=secret)


def get_webhook_endpoint(call: Call) -> schemas.WebhookEndpoint:
    return convert.webhook_endpoint(webhooks.get_endpoint(call.session, call.params["endpoint"]))


def delete_webhook_endpoint(call: Call) -> schemas.Deleted:
    row = webhooks.delete_endpoint(call.session, call.params["endpoint"], call.actor)
    return schemas.Deleted(id=row.id, object="webhook_endpoint")


def list_webhook_deliveries(call: Call) -> schemas.Page[schemas.WebhookDelivery]:
    rows = webhooks.deliveries(call.session, endpoint_id=call.params["endpoint"])
    data = [convert.webhook_delivery(row) for row in rows]
    return schemas.Page[schemas.WebhookDelivery](data=data, has_more=False, next_cursor=None)


def redeliver_webhook(call: Call) -> schemas.WebhookDelivery:
    row = webhooks.redeliver(
        call.session, business=call.business, delivery_id=call.params["delivery"], actor=call.actor
    )
    return convert.webhook_delivery(row)
