"""Subscriptions through the API: make a plan for a customer, read and list plans with their
periods, change one (with a preview of its proration), pause, resume and cancel one."""

from __future__ import annotations

from sqlmodel import select

from frontdesk import models
from frontdesk.api import schemas
from frontdesk.api import subscriptions as shapes
from frontdesk.api.operations import Call, Operation, page
from frontdesk.models import utcnow
from frontdesk.routes.api.invoices import _document_customer
from frontdesk.services import businesses, customers, subscriptions


def list_subscriptions(call: Call) -> schemas.Page[shapes.Subscription]:
    query: shapes.SubscriptionListQuery = call.query
    statement = select(models.Subscription)
    if query.customer:
        customer = customers.get_by_reference(
            call.session, business=call.business, reference=query.customer
        )
        statement = statement.where(models.Subscription.customer_id == customer.id)
    if query.status:
        statement = statement.where(models.Subscription.status == query.status)
    rows, more, cursor = page(call.session, statement, models.Subscription, query)
    data = shapes.listed(call.session, rows)
    return schemas.Page[shapes.Subscription](data=data, has_more=more, next_cursor=cursor)


def _subscription(call: Call) -> models.Subscription:
    return subscriptions.get(call.session, subscription_id=call.params["subscription"])


def _shown(call: Call, row: models.Subscription) -> shapes.Subscription:
    call.session.flush()
    return shapes.listed(call.session, [row])[0]


def get_subscription(call: Call) -> shapes.Subscription:
    return _shown(call, _subscription(call))


def create_subscription(call: Call) -> shapes.Subscription:
    body: shapes.SubscriptionCreate = call.body
    customer = _document_customer(call, body.customer)
    row = subscriptions.create(
        call.session,
        business=call.business,
        customer=customer,
        wanted=body.wanted(),
        actor=call.actor,
        today=businesses.today(call.business),
        now=utcnow(),
    )
    return _shown(call, row)


def update_subscription(call: Call) -> shapes.Subscription:
    body: shapes.SubscriptionUpdate = call.body
    row, _ = subscriptions.change(
        call.session,
        business=call.business,
        subscription=_subscription(call),
        edit=body.edit(),
        actor=call.actor,
        links=call.links,
        today=businesses.today(call.business),
        now=utcnow(),
    )
    return _shown(call, row)


def preview_subscription_change(call: Call) -> shapes.ChangePreview:
    body: shapes.SubscriptionUpdate = call.body
    seen = subscriptions.preview(
        call.session,
        subscription=_subscription(call),
        edit=body.edit(),
        today=businesses.today(call.business),
    )
    return shapes.ChangePreview.of(seen)


def pause_subscription(call: Call) -> shapes.Subscription:
    body: shapes.Pause = call.body
    row = subscriptions.pause(
        call.session,
        business=call.business,
        subscription=_subscription(call),
        until=body.until.isoformat() if body.until else "",
        skip=str(body.skip or ""),
        actor=call.actor,
        today=businesses.today(call.business),
        now=utcnow(),
    )
    return _shown(call, row)


def resume_subscription(call: Call) -> shapes.Subscription:
    row = subscriptions.resume(
        call.session,
        business=call.business,
        subscription=_subscription(call),
        actor=call.actor,
        now=utcnow(),
    )
    return _shown(call, row)


def cancel_subscription(call: Call) -> shapes.Subscription:
    body: shapes.Cancel = call.body
    row = subscriptions.cancel(
        call.session,
        business=call.business,
        subscription=_subscription(call),
        mode=body.mode,
        reason=body.reason,
        actor=call.actor,
        now=utcnow(),
    )
    return _shown(call, row)


SUBSCRIPTION = "/subscriptions/{subscription}"
TAG = "Subscriptions"

operations = [
    Operation(
        "GET",
        "/subscriptions",
        "list_subscriptions",
        "List subscriptions",
        TAG,
        list_subscriptions,
        schemas.Page[shapes.Subscription],
        query=shapes.SubscriptionListQuery,
        description="Customers' plans (cancelled and ended ones too), each with its periods.",
    ),
    Operation(
        "POST",
        "/subscriptions",
        "create_subscription",
        "Make a plan for a customer",
        TAG,
        create_subscription,
        shapes.Subscription,
        201,
        body=shapes.SubscriptionCreate,
        description="Each period becomes one invoice on its first day, sent to the customer "
        "with the usual notice; `subscription.created` is sent to your webhooks.",
    ),
    Operation(
        "GET",
        SUBSCRIPTION,
        "get_subscription",
        "Get a subscription",
        TAG,
        get_subscription,
        shapes.Subscription,
    ),
    Operation(
        "PATCH",
        SUBSCRIPTION,
        "update_subscription",
        "Change a plan's lines, name or terms",
        TAG,
        update_subscription,
        shapes.Subscription,
        body=shapes.SubscriptionUpdate,
        description="Paused plans too; not ended or cancelled ones. When the amount changes "
        "inside a period already invoiced, say what `proration` to apply: `now` sends an "
        "invoice for the difference over the days left (or credits the account for a "
        "decrease), `next_period` leaves the current period as invoiced. The change is listed "
        "in `changes`; `subscription.updated` is sent and both sides are emailed.",
    ),
    Operation(
        "POST",
        SUBSCRIPTION + "/change-preview",
        "preview_subscription_change",
        "Preview a change of plan and its proration",
        TAG,
        preview_subscription_change,
        shapes.ChangePreview,
        body=shapes.SubscriptionUpdate,
        description="The same body as `PATCH`, answered with the figures it would use; "
        "nothing changes.",
    ),
    Operation(
        "POST",
        SUBSCRIPTION + "/pause",
        "pause_subscription",
        "Pause a subscription",
        TAG,
        pause_subscription,
        shapes.Subscription,
        body=shapes.Pause,
        description="No invoices until a day, or for the next N periods; billing resumes by "
        "itself on the usual dates. Only an active plan can be paused.",
    ),
    Operation(
        "POST",
        SUBSCRIPTION + "/resume",
        "resume_subscription",
        "Resume a paused subscription",
        TAG,
        resume_subscription,
        shapes.Subscription,
    ),
    Operation(
        "POST",
        SUBSCRIPTION + "/cancel",
        "cancel_subscription",
        "Cancel a subscription",
        TAG,
        cancel_subscription,
        shapes.Subscription,
        body=shapes.Cancel,
        description="At the end of the period already billed, or now. Invoices already issued "
        "stay as they are. Both sides are emailed.",
    ),
]
