"""Booking in Chromium on the sample website: the demo customer sees the visit the business booked
for them, books another (a service, a day, a free time, held while they confirm), moves it and
cancels it; the host page hears each, and the database agrees with the screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlmodel import col, select

from frontdesk.models import Appointment, AppointmentStatus
from tests.browser.conftest import Stage

pytestmark = pytest.mark.browser


def choose_another_day(form: Locator) -> None:
    """Click a day other than the one shown and wait for its times. Clicking the day already
    shown (the first with free times, which the date the suite runs on decides) would let the
    test choose a time in the form the click's answer is about to replace."""
    day = form.locator(".fd-day:not([aria-current])").first
    name = day.inner_text()
    day.click()
    shown = form.locator(".fd-slots legend", has_text=re.compile(rf"Time on {re.escape(name)} \("))
    expect(shown).to_have_count(1)
    # The old form leaves the page just after the new one arrives: choose in the new one.
    expect(form).to_have_count(1)
    chosen = form.locator(".fd-day", has_text=re.compile(rf"^{re.escape(name)}$"))
    expect(chosen).to_have_attribute("aria-current", "date")


def test_the_customer_books_moves_and_cancels_a_visit(page: Page, stage: Stage) -> None:
    page.goto(f"{stage.site.url}/account#appointments")
    portal = page.locator("frontdesk-portal")
    listed = portal.locator("#fd-appointments")
    expect(listed).to_contain_text("Lawn mowing")
    expect(listed).to_contain_text("Confirmed")
    page.evaluate(
        """() => { window.heard = [];
        for (const name of ['booked', 'rescheduled', 'canceled'])
          document.querySelector('frontdesk-portal').addEventListener(
            'frontdesk-appointment-' + name, (e) => window.heard.push(e.detail)); }"""
    )

    listed.get_by_role("link", name="Book a visit").click()
    form = portal.locator("#fd-appointment-book")
    mowing = form.locator("option", has_text="Lawn mowing").get_attribute("value")
    form.get_by_label("Service").select_option(label="Lawn mowing (60 min)")
    # The form is drawn again for the service chosen: its days are that service's.
    expect(form.locator(".fd-day").first).to_have_attribute("hx-get", re.compile(f"{mowing}"))
    choose_another_day(form)
    form.locator(".fd-slot").first.click()
    form.get_by_label("Anything we should know? (optional)").fill("Please ring the bell")
    form.get_by_role("button", name="Continue").click()
    expect(form).to_contain_text("We are holding this time for you for 5 minutes.")
    form.get_by_role("button", name="Book it").click()

    visit = portal.locator("#fd-appointment")
    expect(visit.locator(".fd-saved")).to_contain_text("Booked.")
    expect(visit).to_contain_text("Please ring the bell")
    expect(visit.get_by_role("link", name="Add to calendar (.ics)")).to_be_visible()
    when = visit.locator("dd").first.inner_text()

    visit.get_by_role("button", name="Move").click()
    choose_another_day(visit)
    visit.locator(".fd-slot").nth(1).click()
    visit.get_by_role("button", name="Move my visit").click()
    expect(visit.locator(".fd-saved")).to_contain_text("Moved.")
    moved_to = visit.locator("dd").first.inner_text()
    assert moved_to != when

    visit.locator("summary", has_text="Cancel this visit").click()
    visit.locator("input[name=reason]").fill("Away that week")
    visit.get_by_role("button", name="Cancel my visit").click()
    expect(visit.locator(".fd-saved")).to_contain_text("Canceled.")
    expect(visit.locator(".fd-badge")).to_have_text("Canceled")

    # The host page hears each as the answer arrives, which may be just after it is drawn.
    page.wait_for_function("window.heard.length >= 3")
    heard = page.evaluate("window.heard")
    assert [(e["type"], e["object"]["status"]) for e in heard] == [
        ("appointment-booked", "confirmed"),
        ("appointment-rescheduled", "confirmed"),
        ("appointment-canceled", "canceled"),
    ]
    with stage.db.session(stage.seeded.business.id) as session:
        mine = session.exec(
            select(Appointment)
            .where(Appointment.notes == "Please ring the bell")
            .order_by(col(Appointment.created_at))
        ).one()
    assert mine.id == heard[0]["object"]["id"]
    assert mine.status == AppointmentStatus.CANCELED and mine.cancel_reason == "Away that week"

    portal.get_by_role("link", name="Home").click()
    expect(portal.locator("#fd-home")).to_contain_text("Your next visit")
