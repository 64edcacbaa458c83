"""A business's own address for its hosted portal: the name it may use, the two DNS records that
prove it owns the name and route it to us, checking them (now, and again every day), and turning
the address off when a record goes away. Only a verified address serves anything.

A check that cannot reach DNS concludes nothing: an outage of ours never turns a domain off.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update as update_rows
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from frontdesk.db import Database
from frontdesk.models import Business, CustomDomain, DomainStatus, Initiator
from frontdesk.resolver import DnsUnavailable, Resolver
from frontdesk.services import audit, events
from frontdesk.services.errors import Invalid, NotFound

RECHECK = timedelta(days=1)
SYSTEM = audit.Actor(Initiator.SYSTEM, "domains")
PROOF_LABEL = "_frontdesk"
LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
# Where the registrable name has two labels of its own (theirbusiness.co.uk): the common ones.
TWO_LABEL_SUFFIXES = {
    "co.uk", "org.uk", "me.uk", "ac.uk", "com.au", "net.au", "org.au", "co.nz", "org.nz",
    "co.za", "com.br", "com.mx", "co.jp", "co.in", "com.sg", "com.hk", "co.il", "com.tr",
}  # fmt: skip


def _refused(message: str) -> Invalid:
    return Invalid("The address needs fixing.", {"hostname": message})


def normalise(typed: str, *, platform: str) -> str:
    """The host as we keep it (lower case, IDNA), or a refusal saying why in words."""
    name = typed.strip().lower().rstrip(".")
    if not name:
        raise _refused("Enter the address, like account.yourbusiness.com.")
    if "://" in name or "/" in name or "@" in name or ":" in name:
        raise _refused(
            "Enter just the address, like account.yourbusiness.com (no https:// or path)."
        )
    if "*" in name:
        raise _refused("Wildcards are not allowed: enter one address.")
    try:
        ipaddress.ip_address(name)
    except ValueError:
        pass
    else:
        raise _refused("That is an IP address: enter a name, like account.yourbusiness.com.")
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError:
        raise _refused("That is not a valid address.") from None
    labels = name.split(".")
    if len(name) > 253 or not all(LABEL.fullmatch(label) for label in labels):
        raise _refused("That is not a valid address (letters, digits and dashes, up to 253).")
    own = 4 if ".".join(labels[-2:]) in TWO_LABEL_SUFFIXES else 3
    if len(labels) < own:
        raise _refused(
            "Use a subdomain, like account." + name + ": a bare domain cannot point at us."
        )
    if labels[0] == "www":
        raise _refused("www is usually your website itself: use another name, like account.")
    if name == platform or name.endswith("." + platform):
        raise _refused("That is our address, not yours.")
    return name


@dataclass(frozen=True)
class Record:
    """One DNS record the owner creates at their DNS provider."""

    kind: str
    name: str
    value: str
    why: str


def records(domain: CustomDomain, *, target: str) -> list[Record]:
    return [
        Record(
            "TXT",
            f"{PROOF_LABEL}.{domain.hostname}",
            f"frontdesk-verify={domain.token}",
            "proves the name is yours",
        ),
        Record("CNAME", domain.hostname, target, "sends its visitors to your portal"),
    ]


def current(session: Session) -> CustomDomain | None:
    return session.exec(select(CustomDomain)).first()


def add(
    session: Session, *, business: Business, hostname: str, platform: str, actor: audit.Actor
) -> CustomDomain:
    """The business's address (one per business: a new one replaces the old)."""
    name = normalise(hostname, platform=platform)
    mine = current(session)
    if mine is not None and mine.hostname == name:
        return mine
    if mine is not None:
        _forget(session, business, mine)
    domain = CustomDomain(business_id=business.id, hostname=name, token=secrets.token_urlsafe(24))
    session.add(domain)
    try:
        # Another business's address is out of this transaction's sight (row-level security):
        # the unique name speaks, and everything here rolls back with the refusal.
        session.flush()
    except IntegrityError:
        raise _refused("That address is already connected to another business.") from None
    actor.record(session, business.id, "domain.added", "custom_domain", domain.id, hostname=name)
    return domain


def remove(session: Session, *, business: Business, actor: audit.Actor) -> None:
    domain = current(session)
    if domain is None:
        raise NotFound("no address to remove")
    _forget(session, business, domain)
    actor.record(
        session, business.id, "domain.removed", "custom_domain", domain.id, hostname=domain.hostname
    )


def _forget(session: Session, business: Business, domain: CustomDomain) -> None:
    if business.portal_domain == domain.hostname:
        business.portal_domain = None
    session.delete(domain)
    session.flush()


def check(
    session: Session,
    *,
    business: Business,
    resolver: Resolver,
    target: str,
    now: datetime,
    actor: audit.Actor | None = None,
) -> CustomDomain:
    """Look at the records now and move the address on: verified when both are right, failing
    (off, owners told) when a verified one's went wrong. Takes the domain's lock and reads it
    again first: the daily re-check in another process and "check now" may meet."""
    domain = _locked(session, business)
    if domain is None:
        raise NotFound("no address to check")
    return _look(session, business, domain, resolver=resolver, target=target, now=now, actor=actor)


def recheck(
    session: Session, *, business: Business, resolver: Resolver, target: str, now: datetime
) -> bool:
    """The daily re-check of the business's address, unless another process has just done it.
    Did it look?"""
    domain = _locked(session, business)
    if domain is None or (domain.last_checked_at and domain.last_checked_at > now - RECHECK):
        return False
    _look(session, business, domain, resolver=resolver, target=target, now=now, actor=None)
    return True


def _look(
    session: Session,
    business: Business,
    domain: CustomDomain,
    *,
    resolver: Resolver,
    target: str,
    now: datetime,
    actor: audit.Actor | None,
) -> CustomDomain:
    try:
        problem = _problem(domain, resolver, target)
    except DnsUnavailable:
        domain.last_error = "We could not reach DNS just now; we will try again."
        return domain
    domain.last_checked_at, domain.last_error = now, problem
    if not problem and domain.status != DomainStatus.VERIFIED:
        domain.status, domain.verified_at = DomainStatus.VERIFIED, now
        business.portal_domain = domain.hostname
        (actor or SYSTEM).record(
            session,
            business.id,
            "domain.verified",
            "custom_domain",
            domain.id,
            hostname=domain.hostname,
        )
    elif problem and domain.status == DomainStatus.VERIFIED:
        domain.status = DomainStatus.FAILING
        business.portal_domain = None
        (actor or SYSTEM).record(
            session,
            business.id,
            "domain.failing",
            "custom_domain",
            domain.id,
            hostname=domain.hostname,
            problem=problem,
        )
        events.email_owners(
            session,
            business=business,
            subject=f"{domain.hostname} no longer shows your portal",
            text=(
                f"We checked {domain.hostname} and {problem[0].lower()}{problem[1:]} So that "
                "nobody else can use the name, it no longer serves your portal. Put the record "
                "back (Settings, Your portal's address) and choose Check now."
            ),
        )
    return domain


def _problem(domain: CustomDomain, resolver: Resolver, target: str) -> str:
    """What is wrong with the records, in words ("" when nothing is)."""
    proof = f"frontdesk-verify={domain.token}"
    if proof not in resolver.txt(f"{PROOF_LABEL}.{domain.hostname}"):
        return f"The TXT record at {PROOF_LABEL}.{domain.hostname} is missing or different."
    pointed = resolver.cname(domain.hostname)
    if pointed != target:
        where = f"points at {pointed}" if pointed else "is missing"
        return f"The CNAME record for {domain.hostname} {where}; it must point at {target}."
    return ""


def _locked(session: Session, business: Business) -> CustomDomain | None:
    session.execute(
        update_rows(CustomDomain)
        .where(col(CustomDomain.business_id) == business.id)
        .values(status=CustomDomain.status)
        .execution_options(synchronize_session=False)
    )
    return session.exec(select(CustomDomain).execution_options(populate_existing=True)).first()


def due(db: Database, now: datetime) -> list[tuple[str, str]]:
    """(business, domain) pairs whose last check is a day old or more, oldest first."""
    with db.unscoped("the daily re-check visits every business's address") as session:
        rows = session.exec(
            select(CustomDomain.business_id, CustomDomain.id)
            .where(
                col(CustomDomain.last_checked_at).is_(None)
                | (col(CustomDomain.last_checked_at) <= now - RECHECK)
            )
            .order_by(col(CustomDomain.last_checked_at))
        ).all()
    return [(business_id, domain_id) for business_id, domain_id in rows]


def for_host(db: Database, host: str) -> tuple[Business | None, bool]:
    """The business whose verified address `host` is; and whether `host` is anyone's address
    at all (added, not verified: it serves nothing yet)."""
    with db.unscoped("a request's host names the business, before anything else") as session:
        business = session.exec(select(Business).where(Business.portal_domain == host)).first()
        if business is not None:
            return business, True
        known = session.exec(select(CustomDomain.id).where(CustomDomain.hostname == host)).first()
        return None, known is not None
