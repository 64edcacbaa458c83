"""The outbox runner: claims due side effects, performs them, and retries failures with backoff.

Items are claimed with a lease (`claimed_until`) in a short transaction and performed outside it,
so a slow SMTP server never holds a database lock, and an item whose runner died mid-way becomes
due again when its lease runs out. On PostgreSQL the claim uses FOR UPDATE SKIP LOCKED so any
number of processes can run the runner; the conditional UPDATE that takes the lease makes a double
claim impossible on SQLite as well.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, update
from sqlmodel import col, select

from frontdesk import mailing, scheduler, upkeep
from frontdesk.db import Database, DatabaseUnavailable
from frontdesk.models import (
    OutboxItem,
    OutboxStatus,
    utcnow,
)
from frontdesk.processors import Processor
from frontdesk.processors.paypal import PayPalProcessor
from frontdesk.processors.stripe import StripeProcessor
from frontdesk.resolver import DnsResolver, Resolver
from frontdesk.services import (
    attachments,
    businesses,
    documents,
    messages,
    texts,
    webhooks,
)
from frontdesk.services.links import Links
from frontdesk.services.messages import notices as message_notices
from frontdesk.services.outbox import backoff
from frontdesk.services.payments import paypal as paypal_payments
from frontdesk.settings import Settings
from frontdesk.texts.provider import TextProvider

log = logging.getLogger("frontdesk.jobs")
# The longest the runner waits between passes while the database is away.
MAX_BACKOFF = 60.0
# How often a process looks for custom domains due their daily re-check (seconds).
DOMAINS_EVERY = 3600.0
# Calendar work (scheduler.py) falls due at whole hours of a business's day: a minute late is on
# time.
SCHEDULED_EVERY = 60.0


@dataclass(frozen=True)
class JobContext:
    settings: Settings
    db: Database


Handler = Callable[[OutboxItem, JobContext], None]


def send_message_notice(item: OutboxItem, context: JobContext) -> None:
    """A message's notice falls due: the other side is emailed if it is still unread."""
    with context.db.session(item.business_id) as session:
        business = businesses.get(session, item.business_id)
        message_notices.notify(
            session,
            business=business,
            message_id=item.payload["message"],
            links=Links.from_settings(context.settings),
            now=utcnow(),
        )


def fan_out_event(item: OutboxItem, context: JobContext) -> None:
    """An event for the business's own system becomes one delivery per subscribed endpoint."""
    with context.db.session(item.business_id) as session:
        business = businesses.get(session, item.business_id)
        webhooks.fan_out(session, business=business, event=item.payload)


def deliver_webhook(item: OutboxItem, context: JobContext) -> None:
    delivery_id = item.payload["delivery"]
    keys = context.settings.secret_key
    with context.db.session(item.business_id) as session:
        request = webhooks.prepare(session, delivery_id=delivery_id, secret_keys=keys)
    if request is None:
        return
    status_code, error = webhooks.post(
        request, allow_private=context.settings.webhooks_may_reach_private_hosts
    )
    with context.db.session(item.business_id) as session:
        final = item.attempts >= item.max_attempts
        webhooks.record(
            session, delivery_id=delivery_id, status_code=status_code, error=error, final=final
        )
    if error:
        raise webhooks.DeliveryFailed(error)


def file_estimate(item: OutboxItem, context: JobContext) -> None:
    """An approved estimate becomes a signed PDF in the customer's documents."""
    links = Links.from_settings(context.settings)
    with context.db.session(item.business_id) as session:
        documents.file_estimate(
            session,
            business=businesses.get(session, item.business_id),
            estimate_id=item.payload["estimate"],
            store=attachments.store_for(context.settings),
            verify_url=f"{links.base_url}/documents/verify",
            now=utcnow(),
        )


def send_text(item: OutboxItem, context: JobContext) -> None:
    """A queued text goes to the SMS provider, unless its customer replied STOP since."""
    texts.deliver(
        context.db,
        business_id=item.business_id,
        text_id=item.payload["text"],
        provider=TextProvider.from_settings(context.settings),
        status_url=f"{context.settings.base_url}/webhooks/texts/status",
        final=item.attempts >= item.max_attempts,
    )


HANDLERS: dict[str, Handler] = {
    "email": mailing.send_email,
    "receipt": mailing.send_receipt,
    "event": fan_out_event,
    "webhook": deliver_webhook,
    texts.KIND: send_text,
    messages.NOTICE: send_message_notice,
    documents.FILE_ESTIMATE: file_estimate,
}


class OutboxRunner:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        handlers: dict[str, Handler] | None = None,
        *,
        poll_interval: float = 1.0,
        batch_size: int = 20,
        processor: Processor | None = None,
        resolver: Resolver | None = None,
        paypal: PayPalProcessor | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self._owns_processor = processor is None
        self.processor = processor or StripeProcessor.from_settings(settings)
        self._owns_paypal = paypal is None
        self.paypal = paypal or PayPalProcessor.from_settings(settings)
        self.resolver = resolver or DnsResolver(settings.dns_servers)
        self.handlers = HANDLERS if handlers is None else handlers
        self.poll_interval = poll_interval
        self.batch_size = batch_size
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def claim(self, now: datetime | None = None) -> list[OutboxItem]:
        now = now or utcnow()
        due = and_(
            col(OutboxItem.status) == OutboxStatus.PENDING,
            col(OutboxItem.next_attempt_at) <= now,
            or_(col(OutboxItem.claimed_until).is_(None), col(OutboxItem.claimed_until) < now),
        )
        claimed = []
        lease = timedelta(seconds=self.settings.outbox_lease_seconds)
        with self.db.unscoped("the runner serves every business") as session:
            candidates = session.exec(
                select(OutboxItem)
                .where(due)
                .order_by(col(OutboxItem.next_attempt_at))
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            ).all()
            for item in candidates:
                taken = session.execute(
                    update(OutboxItem)
                    .where(col(OutboxItem.id) == item.id)
                    .where(due)
                    .values(claimed_until=now + lease, attempts=OutboxItem.attempts + 1)
                    .execution_options(synchronize_session=False)
                )
                if taken.rowcount == 1:  # type: ignore[attr-defined]
                    session.refresh(item)
                    claimed.append(item)
        return claimed

    def perform(self, item: OutboxItem) -> None:
        handler = self.handlers.get(item.kind)
        error = ""
        try:
            if handler is None:
                raise LookupError(f"no handler for outbox items of kind {item.kind!r}")
            handler(item, JobContext(self.settings, self.db))
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"[:2000]
            log.warning("outbox item %s (%s) failed: %s", item.id, item.kind, error)
        with self.db.unscoped("the runner serves every business") as session:
            row = session.get(OutboxItem, item.id)
            assert row is not None
            row.claimed_until = None
            row.last_error = error
            if not error:
                row.status = OutboxStatus.DONE
                row.completed_at = utcnow()
            elif row.attempts >= row.max_attempts:
                row.status = OutboxStatus.DEAD
            else:
                row.next_attempt_at = utcnow() + backoff(row.attempts)

    def run_once(self, now: datetime | None = None) -> int:
        items = self.claim(now)
        for item in items:
            self.perform(item)
        return len(items)

    def reconcile(self, now: datetime | None = None) -> int:
        """PayPal checkouts approved but unheard of (services/payments/paypal.py), then the
        payments Stripe knows and we missed, and the books against both (see `upkeep`)."""
        now = now or utcnow()
        applied = 0
        if self.paypal is not None:
            applied += paypal_payments.reconcile(self.db, self.paypal, now)
        applied += upkeep.reconcile(self.db, self.settings, self.processor, now, self.paypal)
        return applied

    def recheck_domains(self, now: datetime | None = None) -> int:
        """Custom domains due their daily look (see `upkeep`)."""
        return upkeep.recheck_domains(self.db, self.settings, self.resolver, now or utcnow())

    def run_scheduled(self, now: datetime | None = None) -> int:
        """Work due by the calendar: subscription periods and the rest (see `scheduler`)."""
        links = Links.from_settings(self.settings)
        return scheduler.run_due(self.db, links, self.processor, now or utcnow())

    def _loop(self) -> None:
        # At once on start: a process coming back from a crash may have missed webhooks.
        next_reconcile = next_domains = next_scheduled = time.monotonic()
        failures = 0
        while not self._stop.is_set():
            try:
                worked = self.run_once()
                if self.settings.reconcile_seconds and time.monotonic() >= next_reconcile:
                    next_reconcile = time.monotonic() + self.settings.reconcile_seconds
                    self.reconcile()
                if time.monotonic() >= next_domains:
                    next_domains = time.monotonic() + DOMAINS_EVERY
                    self.recheck_domains()
                if time.monotonic() >= next_scheduled:
                    next_scheduled = time.monotonic() + SCHEDULED_EVERY
                    worked += self.run_scheduled()
                failures = 0
            except DatabaseUnavailable:
                # Said once by the database when it goes and when it is back; waiting longer
                # each time keeps a long outage from filling the log or hammering the server.
                failures, worked = failures + 1, 0
            except Exception:
                log.exception("outbox runner pass failed; trying again shortly")
                failures, worked = failures + 1, 0
            if not worked:
                self._stop.wait(min(self.poll_interval * 2**failures, MAX_BACKOFF))

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="frontdesk-outbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._owns_processor:
            self.processor.close()
        if self._owns_paypal and self.paypal is not None:
            self.paypal.close()
