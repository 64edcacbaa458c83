"""What every process does on a schedule beside the outbox (the runner calls these): applying
payments the processor knows and we missed, then checking the books; and looking again at the
custom domains due their daily check."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlmodel import col, select

from frontdesk.db import Database, DatabaseUnavailable
from frontdesk.models import Business
from frontdesk.processors import Processor, Revoked
from frontdesk.processors.paypal import PayPalProcessor
from frontdesk.resolver import Resolver
from frontdesk.services import businesses, connect, domains, processor_events
from frontdesk.services.payments import ledger
from frontdesk.settings import Settings

log = logging.getLogger("frontdesk.jobs")
# How far back the books are compared with the processor after each reconciliation;
# `frontdesk books check` compares everything.
BOOKS_WINDOW = timedelta(days=31)


def reconcile(
    db: Database,
    settings: Settings,
    processor: Processor,
    now: datetime,
    paypal: PayPalProcessor | None = None,
) -> int:
    """Apply succeeded payments the processor knows and we missed, for every business, then
    check each business's books (the last month against Stripe, and PayPal when it is set up)
    for the dashboard."""
    stripe = bool(settings.stripe_secret_key)
    accounts = []
    if stripe:
        accounts.append(col(Business.processor_account).is_not(None))
    if paypal is not None:
        accounts.append(col(Business.paypal_merchant_id).is_not(None))
    if not accounts:
        return 0
    with db.unscoped("reconciliation visits every business with an account") as session:
        connected = session.exec(select(Business).where(or_(*accounts))).all()
    applied = 0
    for business in connected:
        try:
            if stripe and business.processor_account:
                applied += processor_events.reconcile(db, business, processor)
            with db.session(business.id) as session:
                report = ledger.check(
                    session,
                    business=business,
                    processor=processor if stripe else None,
                    now=now,
                    since=now - BOOKS_WINDOW,
                    paypal=paypal,
                )
                ledger.record(session, business=business, report=report)
            if report.problems:
                log.error(
                    "the books of %s do not balance: %s",
                    business.id,
                    "; ".join(report.problems),
                )
        except DatabaseUnavailable:
            raise
        except Revoked:
            # The account let us go and its webhook never came: disconnect it now.
            with db.session(business.id) as session:
                connect.check(session, business=business, processor=processor)
        except Exception:
            log.exception("reconciling %s failed; the next round tries again", business.id)
    return applied


def recheck_domains(db: Database, settings: Settings, resolver: Resolver, now: datetime) -> int:
    """Look again at every custom domain last checked a day ago or more: a record gone or
    changed turns it off (and tells the owners). Returns how many were looked at."""
    looked = 0
    for business_id, _ in domains.due(db, now):
        try:
            with db.session(business_id) as session:
                looked += domains.recheck(
                    session,
                    business=businesses.get(session, business_id),
                    resolver=resolver,
                    target=settings.domain_target,
                    now=now,
                )
        except DatabaseUnavailable:
            raise
        except Exception:
            log.exception("re-checking the domain of %s failed; the next round tries", business_id)
    return looked
