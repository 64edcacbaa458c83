"""PostgreSQL row-level security: the database's own wall between businesses, behind the
application's query guard (db.py).

Every table with a `business_id` column shows and accepts only the rows of the business the
transaction named in `frontdesk.business_id`, unless the transaction declared itself unscoped
(`frontdesk.all_businesses = 'on'`: sign-in lookups, the job runner). FORCE makes the policy bind
the tables' owner too; only superusers and BYPASSRLS roles pass, so the application must not
connect as one (`frontdesk serve` warns when it does).

A migration that adds a tenant table calls `protect(table)`; tests/security/test_row_security.py
fails for a tenant table without the policy.
"""

from __future__ import annotations

from alembic import op

POLICY = "business_isolation"
RULE = (
    "business_id = current_setting('frontdesk.business_id', true) "
    "OR current_setting('frontdesk.all_businesses', true) = 'on'"
)


def protect(table: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
    op.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
    op.execute(f'CREATE POLICY {POLICY} ON "{table}" USING ({RULE}) WITH CHECK ({RULE})')


def unprotect(table: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f'DROP POLICY IF EXISTS {POLICY} ON "{table}"')
    op.execute(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY')
    op.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')
