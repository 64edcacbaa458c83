"""The business's side, mounted at /dashboard: one module per area, sharing what every dashboard
handler needs from `frame`."""

from starlette.routing import BaseRoute

from frontdesk.routes.dashboard import (
    activity,
    autopay,
    connect,
    customers,
    developers,
    documents,
    domains,
    estimates,
    gallery,
    invoices,
    messages,
    payments,
    reminders,
    service_requests,
    settings,
    sign_in,
    staff,
    statements,
    subscription_changes,
    subscriptions,
    texts,
    theme,
    todos,
)

routes: list[BaseRoute] = [
    *sign_in.routes,
    *customers.routes,
    *messages.routes,
    *todos.routes,
    *texts.routes,
    *invoices.routes,
    *estimates.routes,
    *service_requests.routes,
    *documents.routes,
    *subscriptions.routes,
    *subscription_changes.routes,
    *autopay.routes,  # before payments': /payments/automatic is not a payment
    *payments.routes,
    *theme.routes,
    *gallery.routes,
    *settings.routes,
    *connect.routes,
    *domains.routes,
    *reminders.routes,
    *statements.routes,
    *staff.routes,
    *developers.routes,
    *activity.routes,
]
