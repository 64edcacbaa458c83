"""`frontdesk business connect` and `frontdesk business fee`: a business's Stripe account and the
platform's fee on its charges, from the operator's command line."""

from __future__ import annotations

import argparse
import time
from decimal import Decimal, InvalidOperation

from frontdesk import money
from frontdesk.cli.shared import CommandError, database
from frontdesk.models import Initiator
from frontdesk.processors.stripe import StripeProcessor
from frontdesk.services import audit, businesses, connect
from frontdesk.services.errors import Invalid
from frontdesk.services.payments import fees
from frontdesk.settings import Settings, load

OPERATOR = audit.Actor(Initiator.OPERATOR, "cli")


def _stripe_settings() -> Settings:
    settings = load()
    if settings.stripe_sandbox:
        settings = settings.with_sandbox()
    if not settings.stripe_secret_key:
        raise CommandError(
            "no Stripe key is set: FRONTDESK_STRIPE_SECRET_KEY (or FRONTDESK_STRIPE_SANDBOX=1 "
            "on a test server)"
        )
    return settings


def _report(status: connect.Status) -> None:
    print(status.summary)
    if status.connected:
        print(f"  account {status.account} ({status.kind or 'unknown type'})")
        print(f"  details submitted: {'yes' if status.details_submitted else 'no'}")
        print(f"  charges enabled:   {'yes' if status.charges_enabled else 'no'}")
        print(f"  payouts enabled:   {'yes' if status.payouts_enabled else 'no'}")
        for need in status.due_in_words:
            print(f"  Stripe still needs {need}")


def cmd_business_connect(args: argparse.Namespace) -> int:
    """Print the business's onboarding link (making its account first), then, with --wait, ask
    Stripe every few seconds until the owner has been through it. Exit 0 once charges are on."""
    settings = _stripe_settings()
    db = database(settings)
    with StripeProcessor.from_settings(settings) as processor:
        with db.session(args.business) as session:
            business = businesses.get(session, args.business)
            if args.status:
                found = connect.check(session, business=business, processor=processor)
                _report(found)
                return 0 if found.charges_enabled else 1
            try:
                url = connect.start(
                    session,
                    business=business,
                    kind=args.type,
                    processor=processor,
                    secret_keys=settings.secret_key,
                    back=f"{settings.base_url}/dashboard/connect",
                    actor=OPERATOR,
                )
            except Invalid as refused:
                raise CommandError(refused.message) from None
            name = business.name
        print(f"Send this to {name}'s owner (it works once, for a few minutes):\n  {url}")
        deadline = time.monotonic() + args.wait
        while True:
            with db.session(args.business) as session:
                business = businesses.get(session, args.business)
                found = connect.check(session, business=business, processor=processor)
            if found.details_submitted or time.monotonic() >= deadline:
                break
            time.sleep(2)
    _report(found)
    return 0 if found.charges_enabled else 1


def cmd_business_fee(args: argparse.Namespace) -> int:
    settings = load()
    db = database(settings)
    with db.session(args.business) as session:
        business = businesses.get(session, args.business)
        try:
            basis_points = 0 if args.none else int(Decimal(args.percent or "0") * 100)
            fixed = 0 if args.none else money.parse(args.fixed or "0", business.currency)
            fees.set_fee(
                session, business=business, basis_points=basis_points, fixed=fixed, actor=OPERATOR
            )
        except (InvalidOperation, money.MoneyError):
            raise CommandError("give --percent like 1.5 and --fixed like 0.30") from None
        except Invalid as refused:
            raise CommandError(f"{refused.message} {' '.join(refused.fields.values())}") from None
        fixed_text = money.format_amount(fixed, business.currency, business.locale)
        print(
            f"{business.name}: the platform takes {basis_points / 100:g}% + {fixed_text} of each "
            "charge from now on"
            if basis_points or fixed
            else f"{business.name}: no platform fee from now on"
        )
    return 0
