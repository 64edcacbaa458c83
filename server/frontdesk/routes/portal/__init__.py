"""The customer's side: the portal's views (one module per area), the hosted portal page and the
secure pay page, sharing what every portal handler needs from `frame`."""

from starlette.routing import BaseRoute

from frontdesk.routes.portal import (
    assets,
    estimates,
    home,
    hosted,
    invoices,
    pay,
    pay_page,
    payments,
    profile,
    sign_in,
)

routes: list[BaseRoute] = [
    *invoices.routes,
    *pay_page.routes,
    *pay.routes,
    *estimates.routes,
    *payments.routes,
    *profile.routes,
    *hosted.routes,
    *home.routes,
    *sign_in.routes,
    *assets.routes,
]
