"""Staff passwords: argon2 at its defaults wherever the test suites' cheapest profile is not
asked for (this suite asks, tests/conftest.py), and a hash made with other parameters is made
again, with the running ones, by the next sign-in that knows the password."""

from __future__ import annotations

import os
import subprocess
import sys

from argon2 import PasswordHasher

from frontdesk.db import Database
from frontdesk.models import StaffUser
from frontdesk.services import staff
from tests.factories import PASSWORD, make_business


def test_argon2_at_its_defaults_unless_the_cheapest_profile_is_asked_for() -> None:
    env = {k: v for k, v in os.environ.items() if k != "FRONTDESK_CHEAP_PASSWORD_HASHING"}
    made = subprocess.run(
        [
            sys.executable,
            "-c",
            f"from frontdesk.services import staff; print(staff.hash_password({PASSWORD!r}))",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert made.startswith("$argon2id$v=19$m=65536,t=3,p=4$"), made
    # This suite's own, for contrast: the switch is what makes the difference.
    assert staff.hash_password(PASSWORD).startswith("$argon2id$v=19$m=8,t=1,p=1$")


def _hash_of(db: Database, user_id: str) -> str:
    with db.unscoped("the test reads the owner's hash") as session:
        user = session.get(StaffUser, user_id)
        assert user is not None
        return user.password_hash


def test_a_hash_made_with_other_parameters_is_made_again_at_sign_in(db: Database) -> None:
    made = make_business(db)
    elsewhere = PasswordHasher(time_cost=2, memory_cost=1024, parallelism=1).hash(PASSWORD)
    with db.unscoped("the owner's hash as another deployment made it") as session:
        user = session.get(StaffUser, made.owner.id)
        assert user is not None
        user.password_hash = elsewhere

    with db.unscoped("a wrong password changes nothing") as session:
        assert staff.authenticate(session, email=made.owner.email, password="not it at all") is None
    assert _hash_of(db, made.owner.id) == elsewhere

    with db.unscoped("sign-in") as session:
        assert staff.authenticate(session, email=made.owner.email, password=PASSWORD) is not None
    again = _hash_of(db, made.owner.id)
    assert again != elsewhere and again.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    with db.unscoped("sign-in") as session:
        assert staff.authenticate(session, email=made.owner.email, password=PASSWORD) is not None
    assert _hash_of(db, made.owner.id) == again  # made once, then kept
