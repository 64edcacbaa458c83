"""payment reminders by email: what became of each, and the business's schedule for them

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from frontdesk.migrations.row_security import protect, unprotect

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('invoice_reminder',
    sa.Column('business_id', sa.String(length=40), nullable=False),
    sa.Column('invoice_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.Column('sent', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('amount_due', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['business.id'], ),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], ),
    sa.PrimaryKeyConstraint('invoice_id', 'kind')
    )
    with op.batch_alter_table('invoice_reminder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_reminder_business_id'), ['business_id'], unique=False)
    protect('invoice_reminder')

    with op.batch_alter_table('business', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminders_before_days', sa.Integer(), nullable=True, server_default='3'))
        batch_op.add_column(sa.Column('reminders_on_due', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('reminders_after_days', sa.JSON(), nullable=False, server_default='[3, 7, 14]'))


def downgrade() -> None:
    with op.batch_alter_table('business', schema=None) as batch_op:
        batch_op.drop_column('reminders_after_days')
        batch_op.drop_column('reminders_on_due')
        batch_op.drop_column('reminders_before_days')

    with op.batch_alter_table('invoice_reminder', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_reminder_business_id'))

    unprotect('invoice_reminder')
    op.drop_table('invoice_reminder')
