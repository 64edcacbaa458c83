"""Monthly statements by email with the clock moved, never the wall clock: at 06:00 on the 1st
where the business is (across the autumn change of clocks), last month's statement with its PDF
to each customer with activity or a balance, once per (customer, month); none to a customer
without portal access or with nothing to report; two runners at once send once; a month found
more than three days late is recorded, not sent; nothing while the business has them off."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from sqlmodel import col, select

from frontdesk import scheduler
from frontdesk.db import Database
from frontdesk.jobs import OutboxRunner
from frontdesk.models import OutboxItem, StatementMail
from frontdesk.services import businesses, statement_mail, statements
from frontdesk.settings import Settings
from tests.factories import make_customer
from tests.test_jobs import free_port, start_smtp
from tests.test_statements import LINKS, STAFF, Account, at, open_account, pdf_text

OCTOBER, NOVEMBER = date(2026, 10, 1), date(2026, 11, 1)
# New York falls back at 02:00 on Sunday 1 November 2026: 06:00 that morning is 11:00 UTC.
FIRST_OF_NOVEMBER = datetime(2026, 11, 1, 11, 0, tzinfo=UTC)


class Shop:
    """A business with statements emailed and four customers: Casey (billed and part paid in
    October), Sam (owing since September, quiet in October), Robin (nothing at all) and Dana
    (owing, but portal access off)."""

    def __init__(self, db: Database, *, emailed: bool = True) -> None:
        self.account = open_account(db)
        self.db, self.id = db, self.account.business_id
        if emailed:
            self.switch(True)
        casey = self.account
        invoice = casey.invoice(date(2026, 10, 6), 12000, number="INV-1")
        casey.pay(invoice, 5000, at(date(2026, 10, 20)))
        self.sam = self.other("Sam", date(2026, 9, 14), 4000)
        self.robin = self.other("Robin", None, 0)
        self.dana = self.other("Dana", date(2026, 10, 2), 3000, portal_enabled=False)

    def switch(self, on: bool) -> None:
        with self.db.session(self.id) as session:
            statements.configure(session, businesses.get(session, self.id), on, STAFF)

    def other(self, name: str, day: date | None, amount: int, **fields: object) -> Account:
        with self.db.session(self.id) as session:
            customer = make_customer(session, self.account.made.business, name=name, **fields)
        other = Account(self.db, self.account.made, customer)
        if day:
            other.invoice(day, amount)
        return other

    def run(self, now: datetime) -> int:
        return statement_mail.send_due(self.db, LINKS, now)

    def decided(self) -> dict[tuple[str, str], tuple[bool, str]]:
        names = {self.account.customer.id: "Casey"} | {
            a.customer.id: a.customer.name for a in (self.sam, self.robin, self.dana)
        }
        with self.db.session(self.id) as session:
            return {
                (names[row.customer_id], row.month): (row.sent, row.reason)
                for row in session.exec(select(StatementMail))
            }

    def month(self, month: str) -> dict[str, tuple[bool, str]]:
        return {name: done for (name, key), done in self.decided().items() if key == month}

    def emails(self) -> list[OutboxItem]:
        with self.db.session(self.id) as session:
            rows = session.exec(select(OutboxItem).order_by(col(OutboxItem.created_at)))
            return [i for i in rows if i.kind == "email" and "statement" in i.payload["subject"]]


def test_on_the_first_at_six_last_month_goes_to_each_customer_with_something_to_say(
    db: Database, settings: Settings
) -> None:
    assert ("monthly statements", statement_mail.send_due) in scheduler.KINDS
    shop = Shop(db)
    # Turned on in October: September's statements fell due long ago, and are only recorded.
    assert shop.run(at(date(2026, 10, 31), 23, 59)) == 4
    assert set(shop.decided().values()) == {(False, "late")}
    assert shop.run(datetime(2026, 11, 1, 10, 59, tzinfo=UTC)) == 0  # 05:59 after the clocks
    assert shop.run(FIRST_OF_NOVEMBER) == 4
    assert shop.month("2026-10") == {
        "Casey": (True, ""),
        "Sam": (True, ""),  # nothing happened in October, but Sam owes
        "Robin": (False, "nothing to report"),
        "Dana": (False, "no portal access"),
    }
    for later in (at(NOVEMBER, 6, 1), at(date(2026, 11, 20)), at(date(2026, 11, 30), 23)):
        assert shop.run(later) == 0
    sent = {item.payload["to"]: item.payload for item in shop.emails()}
    assert len(shop.emails()) == 2
    assert set(sent) == {shop.account.customer.email, shop.sam.customer.email}
    casey = sent[shop.account.customer.email]
    assert casey["subject"] == "Your October 2026 statement from Greenleaf Gardens"
    assert "opened at $0.00 and closed with $70.00 owed" in casey["text"]
    assert "http://frontdesk.test/p/" in casey["text"] and "#frontdesk=" in casey["text"]
    assert casey["attachment"] == f"statement:{shop.account.customer.id}:2026-10"
    assert "opened at $40.00 and closed with $40.00 owed" in sent[shop.sam.customer.email]["text"]
    # A month later: November's, at 06:00 on 1 December (winter time, 11:00 UTC again).
    assert shop.run(datetime(2026, 12, 1, 10, 59, tzinfo=UTC)) == 0
    assert shop.run(datetime(2026, 12, 1, 11, 0, tzinfo=UTC)) == 4
    assert shop.month("2026-11")["Casey"] == (True, "")
    assert len(shop.emails()) == 4
    # The runner makes the PDF when the mail goes, from what the database holds then.
    port = free_port()
    controller, inbox = start_smtp(port)
    try:
        smtp = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}"})
        runner = OutboxRunner(db, smtp)
        while runner.run_once():
            pass
    finally:
        controller.stop()
    mails = [m for m in inbox.messages if m["To"] == shop.account.customer.email]
    october = next(m for m in mails if "October" in m["Subject"])
    [part] = [p for p in october.walk() if p.get_content_type() == "application/pdf"]
    assert part.get_filename() == "statement-2026-10.pdf"
    pdf = part.get_payload(decode=True)
    assert isinstance(pdf, bytes)
    said = " ".join(pdf_text(pdf).split())
    assert "October 2026" in said and "Casey Rivera" in said
    assert "Closing balance $70.00" in said


def test_two_runners_at_once_send_each_statement_once(db: Database) -> None:
    shop = Shop(db)
    barrier, counts = threading.Barrier(2), [0, 0]

    def run(index: int) -> None:
        barrier.wait()
        counts[index] = statement_mail.send_due(db, LINKS, FIRST_OF_NOVEMBER)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == 4
    assert len(shop.month("2026-10")) == 4
    assert len(shop.emails()) == 2
    assert shop.run(FIRST_OF_NOVEMBER) == 0


@pytest.mark.parametrize(
    ("found", "sent"),
    [
        (at(date(2026, 11, 4), 5, 59), True),  # three days on, less a minute: still timely
        (at(date(2026, 11, 4), 6, 1), False),  # the server was away longer: recorded only
    ],
)
def test_a_month_found_more_than_three_days_late_is_recorded_not_sent(
    db: Database, found: datetime, sent: bool
) -> None:
    shop = Shop(db)
    assert shop.run(found) == 4
    assert (
        shop.month("2026-10")["Casey"]
        == shop.month("2026-10")["Sam"]
        == (
            sent,
            "" if sent else "late",
        )
    )
    assert len(shop.emails()) == (2 if sent else 0)
    # The next month is on time again.
    assert shop.run(datetime(2026, 12, 1, 11, 0, tzinfo=UTC)) == 4
    assert shop.month("2026-11")["Casey"] == (True, "")


def test_nothing_goes_while_the_business_has_them_off(db: Database) -> None:
    shop = Shop(db, emailed=False)
    assert shop.run(FIRST_OF_NOVEMBER) == 0
    assert shop.decided() == {} and shop.emails() == []
    shop.switch(True)
    assert shop.run(FIRST_OF_NOVEMBER) == 4
    shop.switch(False)
    assert shop.run(datetime(2026, 12, 1, 11, 0, tzinfo=UTC)) == 0
    assert len(shop.emails()) == 2
