"""The customer's side: the portal's views (one module per area) mounted once at /portal/{key}
behind the business's CORS rules, plus the loader, the hosted portal page and the secure pay
page; every portal handler shares what it needs from `frame`."""

from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount

from frontdesk.middleware.portal_cors import PortalCORSMiddleware
from frontdesk.routes.portal import (
    appointments,
    assets,
    autopay,
    documents,
    estimates,
    home,
    hosted,
    invoices,
    language,
    messages,
    pay,
    pay_page,
    payments,
    paypal,
    profile,
    public_booking,
    service_requests,
    sign_in,
    statements,
    subscriptions,
    todos,
)

routes: list[BaseRoute] = [
    *assets.outside,
    *hosted.routes,
    *pay_page.routes,
    *public_booking.hosted,
    Mount(
        "/portal/{key}",
        routes=[
            *home.routes,
            *sign_in.routes,
            *public_booking.routes,
            *invoices.routes,
            *estimates.routes,
            *pay.routes,
            *paypal.routes,
            *payments.routes,
            *autopay.routes,
            *statements.routes,
            *profile.routes,
            *language.routes,
            *service_requests.routes,
            *messages.routes,
            *todos.routes,
            *documents.routes,
            *subscriptions.routes,
            *appointments.routes,
            *assets.routes,
        ],
        middleware=[Middleware(PortalCORSMiddleware)],
    ),
]
