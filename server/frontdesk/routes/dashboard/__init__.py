"""The business's side, mounted at /dashboard: one module per area, sharing what every dashboard
handler needs from `frame`."""

from starlette.routing import BaseRoute

from frontdesk.routes.dashboard import (
    activity,
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
    subscriptions,
    theme,
    todos,
)

routes: list[BaseRoute] = [
    *sign_in.routes,
    *customers.routes,
    *messages.routes,
    *todos.routes,
    *invoices.routes,
    *estimates.routes,
    *service_requests.routes,
    *documents.routes,
    *subscriptions.routes,
    *payments.routes,
    *theme.routes,
    *gallery.routes,
    *settings.routes,
    *connect.routes,
    *domains.routes,
    *reminders.routes,
    *staff.routes,
    *developers.routes,
    *activity.routes,
]
