"""plan changes: each saved edit of a subscription and what it did about the period invoiced

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-01 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from frontdesk.migrations.row_security import protect, unprotect

revision: str = '0027'
down_revision: str | None = '0026'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('subscription_change',
    sa.Column('business_id', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('subscription_id', sa.String(length=40), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('old_amount', sa.Integer(), nullable=False),
    sa.Column('new_amount', sa.Integer(), nullable=False),
    sa.Column('proration', sa.String(length=20), nullable=False),
    sa.Column('period', sa.Integer(), nullable=True),
    sa.Column('days_left', sa.Integer(), nullable=False),
    sa.Column('days_in_period', sa.Integer(), nullable=False),
    sa.Column('adjustment', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.String(length=40), nullable=True),
    sa.Column('credit_note_id', sa.String(length=40), nullable=True),
    sa.Column('old_lines', sa.JSON(), nullable=False),
    sa.Column('new_lines', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['business.id'], ),
    sa.ForeignKeyConstraint(['credit_note_id'], ['credit_note.id'], ),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], ),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscription.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('subscription_id', 'nonce', name='uq_subscription_change_nonce')
    )
    with op.batch_alter_table('subscription_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscription_change_business_id'), ['business_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_subscription_change_subscription_id'), ['subscription_id'], unique=False)
    protect('subscription_change')


def downgrade() -> None:
    with op.batch_alter_table('subscription_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscription_change_subscription_id'))
        batch_op.drop_index(batch_op.f('ix_subscription_change_business_id'))

    unprotect('subscription_change')
    op.drop_table('subscription_change')
