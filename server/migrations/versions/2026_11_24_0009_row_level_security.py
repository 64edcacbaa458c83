"""row level security on every tenant table (PostgreSQL)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 21:10:00
"""

from collections.abc import Sequence

from frontdesk.migrations.row_security import protect, unprotect

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tenant tables as of this revision; later tables call protect() in their own migration.
TABLES = (
    'api_key',
    'audit_event',
    'credit_note',
    'customer',
    'estimate',
    'estimate_line',
    'idempotency_record',
    'invoice',
    'invoice_line',
    'outbox_item',
    'payment',
    'payment_allocation',
    'payment_method',
    'processor_event',
    'refund',
    'sign_in_request',
    'staff_user',
    'webhook_delivery',
    'webhook_endpoint',
)


def upgrade() -> None:
    for table in TABLES:
        protect(table)


def downgrade() -> None:
    for table in TABLES:
        unprotect(table)
