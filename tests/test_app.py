"""The app over real HTTP: health, error pages without tracebacks, headers, dashboard sign-in."""

from __future__ import annotations

import logging
import re
import time

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response

from frontdesk.app import create_app
from frontdesk.db import Database
from frontdesk.settings import Settings
from tests.conftest import LiveServer, csrf_field
from tests.factories import PASSWORD, make_business, make_customer


def sign_in(client: httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
    form = client.get("/dashboard/sign-in")
    return client.post(
        "/dashboard/sign-in",
        data={"email": email, "password": password, "csrf_token": csrf_field(form.text)},
    )


def test_health_checks_the_database(live_server: LiveServer) -> None:
    response = httpx.get(f"{live_server.url}/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_health_reports_an_unreachable_database(settings: Settings) -> None:
    server = LiveServer(
        create_app(settings, Database("postgresql+psycopg://nobody@127.0.0.1:1/x"))
    ).start()
    try:
        response = httpx.get(f"{server.url}/healthz")
    finally:
        server.stop()
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_security_headers_are_on_every_response(live_server: LiveServer) -> None:
    headers = httpx.get(f"{live_server.url}/healthz").headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["Cache-Control"] == "no-store"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert re.fullmatch(r"[0-9a-f]{16}", headers["X-Request-ID"])


def test_unknown_pages_are_a_friendly_404(live_server: LiveServer) -> None:
    page = httpx.get(f"{live_server.url}/no/such/page")
    assert page.status_code == 404
    assert "There is nothing here" in page.text and "<html" in page.text
    fragment = httpx.get(f"{live_server.url}/no/such/page", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<section id="error"')
    assert fragment.headers["Vary"] == "HX-Request, HX-Request-Type"
    api = httpx.get(f"{live_server.url}/api/v1/nothing")
    assert api.headers["Content-Type"] == "application/problem+json"
    assert api.json()["status"] == 404


def test_a_crash_shows_no_traceback(
    settings: Settings, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings, db)

    async def explode(request: Request) -> Response:
        raise RuntimeError("secret internals: password=hunter2")

    app.add_route("/explode", explode)
    server = LiveServer(app).start()
    try:
        response = httpx.get(f"{server.url}/explode")
    finally:
        server.stop()
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    assert "Traceback" not in response.text and "hunter2" not in response.text
    assert any("RuntimeError" in (r.exc_text or "") or r.exc_info for r in caplog.records)


def test_staff_sign_in_shows_only_their_own_customers(
    live_server: LiveServer, db: Database
) -> None:
    mine, theirs = make_business(db), make_business(db)
    with db.session(mine.business.id) as session:
        make_customer(session, mine.business, name="My Customer")
    with db.session(theirs.business.id) as session:
        make_customer(session, theirs.business, name="Their Customer")
    with httpx.Client(base_url=live_server.url, follow_redirects=True) as client:
        home = sign_in(client, mine.owner.email)
        assert home.status_code == 200
        assert "My Customer" in home.text
        assert "Their Customer" not in home.text


def test_sign_in_refuses_wrong_passwords_and_missing_csrf(
    live_server: LiveServer, db: Database
) -> None:
    owner = make_business(db).owner
    with httpx.Client(base_url=live_server.url) as client:
        wrong = sign_in(client, owner.email, "not the password")
        assert wrong.status_code == 401
        assert "do not match" in wrong.text
        no_csrf = client.post(
            "/dashboard/sign-in", data={"email": owner.email, "password": PASSWORD}
        )
        assert no_csrf.status_code == 403
        assert "fd_staff" not in client.cookies
    with httpx.Client(base_url=live_server.url) as client:
        assert client.get("/dashboard/", follow_redirects=False).status_code == 303


def test_sign_out_ends_the_session(live_server: LiveServer, db: Database) -> None:
    owner = make_business(db).owner
    with httpx.Client(base_url=live_server.url, follow_redirects=True) as client:
        home = sign_in(client, owner.email)
        client.post("/dashboard/sign-out", data={"csrf_token": csrf_field(home.text)})
        assert client.get("/dashboard/", follow_redirects=False).status_code == 303


def request_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "frontdesk.requests"]


def test_request_logs_are_json_and_leave_out_query_strings(
    live_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    import json

    from frontdesk.log import JsonFormatter

    with caplog.at_level("INFO", logger="frontdesk.requests"):
        httpx.get(f"{live_server.url}/healthz?token=very-secret-token")
        # The line is written once the response has gone out, so it may trail the client a little.
        deadline = time.monotonic() + 5
        while not request_lines(caplog) and time.monotonic() < deadline:
            time.sleep(0.01)
    [record] = request_lines(caplog)
    line = json.loads(JsonFormatter().format(record))
    assert (line["method"], line["path"], line["status"]) == ("GET", "/healthz", 200)
    assert "very-secret-token" not in json.dumps(line)


def test_the_server_runs_the_outbox_in_process(settings: Settings, db: Database) -> None:
    from tests.test_jobs import free_port, queue_mail, start_smtp

    port = free_port()
    controller, inbox = start_smtp(port)
    business = make_business(db).business
    queue_mail(db, business.id, subject="Welcome to your portal")
    running = settings.model_copy(update={"run_jobs": True, "smtp_url": f"smtp://127.0.0.1:{port}"})
    server = LiveServer(create_app(running, db)).start()
    try:
        deadline = time.monotonic() + 10
        while not inbox.messages and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        server.stop()
        controller.stop()
    assert [m["Subject"] for m in inbox.messages] == ["Welcome to your portal"]
