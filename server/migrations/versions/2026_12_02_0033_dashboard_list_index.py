"""dashboard list index: a business's invoices newest first, so the dashboard's invoice list
reads its page off an index instead of sorting every invoice of the business

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-02 00:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0033'
down_revision: str | None = '0032'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.create_index(
            'ix_invoice_business_created', ['business_id', 'created_at', 'id'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.drop_index('ix_invoice_business_created')
