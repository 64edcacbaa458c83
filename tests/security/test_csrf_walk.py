"""Cross-site requests: every unsafe route of the app, walked from its route table.

- Routes a cookie authenticates (the dashboard) refuse a request without the CSRF token, or with
  a token that is not the cookie's, even with a valid staff session, and change nothing.
- Every other unsafe route takes its authority from a header or the body, never from a cookie: a
  cross-site form carrying every cookie we set gets nothing done.
- The processors' webhooks (Stripe, PayPal) are the exemptions: their signatures stand in for both.
"""

from __future__ import annotations

import httpx
from sqlmodel import select

from frontdesk.models import StaffUser
from frontdesk.services import staff
from tests.conftest import csrf_field
from tests.flow import Flow
from tests.security.routes import every_route, fill
from tests.security.state import state_of

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
EXEMPT = {("POST", "/webhooks/stripe"), ("POST", "/webhooks/paypal")}
# Anyone may ask for a sign-in email (the answer is the same for any address, and limited).
PUBLIC_FORMS = {("POST", "/portal/{key}/sign-in"), ("POST", "/portal/{key}/sign-in/code")}


def test_no_unsafe_route_acts_on_a_cookie_alone(flow: Flow) -> None:
    routes = [r for r in every_route(list(flow.app.app.routes)) if r[0] in UNSAFE]  # type: ignore[union-attr]
    desk = httpx.Client(base_url=flow.app.url)
    form = desk.get("/dashboard/sign-in").text
    csrf = csrf_field(form)
    with flow.db.session(flow.business.id) as session:
        owner = session.exec(select(StaffUser)).one()
        staff_cookie = staff.session_token(flow.settings.secret_key, owner)
    desk.cookies.set("fd_staff", staff_cookie)
    values = {"key": flow.business.publishable_key, "customer": flow.customer.id}
    before = state_of(flow.db)
    walked = {"cookie": 0, "header": 0}
    for method, path in routes:
        if (method, path) in EXEMPT | PUBLIC_FORMS:
            continue
        url = fill(path, values, default="x_1")
        # What a form on another site would send: the browser attaches our cookies, nothing else.
        cross_site = {
            "Origin": "https://attacker.example",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        body = "name=Changed&email=attacker%40example.com&amount=1&token="
        answer = desk.request(method, url, headers=cross_site, content=body)
        if path.startswith("/dashboard/"):
            assert answer.status_code == 403, (method, path, answer.status_code)
            assert "This form has expired" in answer.text
            # A token of the attacker's own (from their own visit) does not match our cookie.
            forged = desk.request(
                method, url, headers={**cross_site, "X-CSRF-Token": "a" * 43}, content=body
            )
            assert forged.status_code == 403, (method, path)
            walked["cookie"] += 1
        else:
            assert answer.status_code in (400, 401, 403, 404, 422), (
                method,
                path,
                answer.status_code,
            )
            walked["header"] += 1
    assert state_of(flow.db) == before
    assert walked["cookie"] >= 22 and walked["header"] >= 22, walked
    # The same cookie with its token does act: the refusals above were the missing token's doing.
    answer = desk.post(
        f"/dashboard/customers/{flow.customer.id}",
        data={"name": "Renamed By Staff", "email": "casey@example.com", "csrf_token": csrf},
    )
    assert answer.status_code in (200, 303), answer.status_code
    assert state_of(flow.db) != before
    desk.close()
