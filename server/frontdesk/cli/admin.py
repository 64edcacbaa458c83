"""The administrative commands: migrate, db provision, business create, customer token and books
check."""

from __future__ import annotations

import argparse
import json
import os
import secrets

from sqlmodel import col, select

from frontdesk import migrations, provision, tokens  # type: ignore[attr-defined]
from frontdesk.cli.demo import demo_data_dir, demo_settings
from frontdesk.cli.shared import CommandError, database
from frontdesk.models import Business, utcnow
from frontdesk.processors import ProcessorError
from frontdesk.processors.paypal import PayPalProcessor
from frontdesk.processors.stripe import StripeProcessor
from frontdesk.services import businesses, customers
from frontdesk.services.links import Links
from frontdesk.services.payments import ledger
from frontdesk.settings import (
    load,
    load_database,
)


def cmd_migrate(args: argparse.Namespace) -> int:
    db = database(load_database(), current=False)
    migrations.upgrade(db.url)
    print(f"database {db.safe_url} is up to date")
    return 0


def cmd_db_provision(args: argparse.Namespace) -> int:
    """Print (or, with --apply, run) the roles and grants PostgreSQL needs."""
    try:
        lines = provision.statements(
            database=args.database,
            owner=args.owner,
            app=args.app,
            owner_password=os.environ.get("FRONTDESK_DB_OWNER_PASSWORD"),
            app_password=os.environ.get("FRONTDESK_DB_APP_PASSWORD"),
        )
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    if not args.apply:
        print(provision.script(lines), end="")
        return 0
    try:
        provision.apply(args.apply, lines)
    except Exception as exc:
        raise CommandError(f"provisioning failed: {str(exc).strip().splitlines()[0]}") from None
    print(
        f"{args.owner} (runs `frontdesk migrate`) and {args.app} (runs everything else) are ready"
    )
    return 0


def cmd_business_create(args: argparse.Namespace) -> int:
    settings = load()
    db = database(settings)
    password = args.owner_password or secrets.token_urlsafe(12)
    with db.unscoped("creating a business") as session:
        created = businesses.create(
            session,
            name=args.name,
            owner_email=args.owner_email,
            owner_password=password,
            currency=args.currency,
            allowed_origins=args.allowed_origin,
        )
    business = created.business
    print(
        json.dumps(
            {
                "business_id": business.id,
                "name": business.name,
                "slug": business.slug,
                "currency": business.currency,
                "publishable_key": business.publishable_key,
                "secret_api_key": created.secret_api_key,
                "allowed_origins": business.allowed_origins,
                "dashboard": {
                    "url": f"{settings.base_url}/dashboard/",
                    "email": created.owner.email,
                    "password": password,
                },
            },
            indent=2,
        )
    )
    return 0


def cmd_customer_token(args: argparse.Namespace) -> int:
    settings = load()
    db = database(settings)
    with db.session(args.business) as session:
        business = businesses.get(session, args.business)
        customer = customers.get(session, business=business, customer_id=args.customer)
        if not customer.portal_enabled:
            raise CommandError(f"customer {customer.id} has portal access turned off")
    print(Links.from_settings(settings).token(tokens.Purpose.EMBED, customer))
    return 0


def cmd_books_check(args: argparse.Namespace) -> int:
    """Check the books of one business or all of them; exit 1 naming each broken record."""
    if args.demo:
        data_dir = demo_data_dir(args.data_dir, args.port)
        if not (data_dir / "secret_key").exists():
            raise CommandError(f"there is no demo in {data_dir}: run `frontdesk demo` first")
        settings = demo_settings(data_dir, args.port)
    else:
        settings = load()
    db = database(settings)
    processor = StripeProcessor.from_settings(settings) if settings.stripe_secret_key else None
    # PayPal's captures are compared too when its FRONTDESK_PAYPAL_* settings are there.
    paypal = PayPalProcessor.from_settings(settings)
    with db.unscoped("the books check visits every business it is asked about") as session:
        query = select(Business).order_by(col(Business.name))
        if args.business:
            query = query.where(Business.id == args.business)
        chosen = list(session.exec(query).all())
    if not chosen:
        raise CommandError(f"no business {args.business}" if args.business else "no businesses")
    broken = 0
    now = utcnow()
    for business in chosen:
        try:
            with db.session(business.id) as session:
                report = ledger.check(
                    session, business=business, processor=processor, now=now, paypal=paypal
                )
                ledger.record(session, business=business, report=report)
        except ProcessorError as error:
            raise CommandError(f"could not ask the payment processor: {error}") from None
        counts = ", ".join(f"{n} {what}" for what, n in sorted(report.counts.items()))
        if report.ok:
            print(f"{business.name} ({business.id}): the books balance ({counts})")
        else:
            broken += 1
            print(f"{business.name} ({business.id}): {len(report.problems)} problems ({counts})")
            for problem in report.problems:
                print(f"  {problem}")
        if report.in_flight:
            print(
                f"  {len(report.in_flight)} charges still arriving: {', '.join(report.in_flight)}"
            )
        if processor is None:
            print("  not compared with Stripe: no Stripe key is set")
    if paypal is not None:
        paypal.close()
    return 1 if broken else 0
