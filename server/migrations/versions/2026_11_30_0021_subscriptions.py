"""subscriptions billed every period by the scheduler, and the business's switch for them

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from frontdesk.migrations.row_security import protect, unprotect

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('subscription',
    sa.Column('business_id', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('customer_id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('interval', sa.String(length=20), nullable=False),
    sa.Column('interval_count', sa.Integer(), nullable=False),
    sa.Column('start_on', sa.Date(), nullable=False),
    sa.Column('end_on', sa.Date(), nullable=True),
    sa.Column('max_periods', sa.Integer(), nullable=True),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('days_until_due', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('next_period', sa.Integer(), nullable=False),
    sa.Column('next_period_start', sa.Date(), nullable=False),
    sa.Column('next_due_at', sa.DateTime(), nullable=False),
    sa.Column('cancel_at_period_end', sa.Boolean(), nullable=False),
    sa.Column('canceled_at', sa.DateTime(), nullable=True),
    sa.Column('cancel_reason', sa.String(length=500), nullable=False),
    sa.Column('paused_until', sa.Date(), nullable=True),
    sa.Column('skip_periods', sa.Integer(), nullable=False),
    sa.Column('customer_can_cancel', sa.Boolean(), nullable=False),
    sa.Column('customer_can_pause', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['business.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscription_business_id'), ['business_id'], unique=False)
        batch_op.create_index('ix_subscription_customer', ['business_id', 'customer_id'], unique=False)
        batch_op.create_index('ix_subscription_due', ['status', 'next_due_at'], unique=False)
    protect('subscription')

    op.create_table('subscription_period',
    sa.Column('business_id', sa.String(length=40), nullable=False),
    sa.Column('subscription_id', sa.String(length=40), nullable=False),
    sa.Column('period', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('invoice_id', sa.String(length=40), nullable=True),
    sa.Column('quiet', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['business.id'], ),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], ),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscription.id'], ),
    sa.PrimaryKeyConstraint('subscription_id', 'period')
    )
    with op.batch_alter_table('subscription_period', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscription_period_business_id'), ['business_id'], unique=False)
    protect('subscription_period')

    with op.batch_alter_table('business', schema=None) as batch_op:
        batch_op.add_column(sa.Column('allow_subscriptions', sa.Boolean(), nullable=False, server_default=sa.true()))

    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subscription_id', sa.String(length=40), nullable=True))
        batch_op.create_foreign_key('fk_invoice_subscription_id', 'subscription', ['subscription_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.drop_constraint('fk_invoice_subscription_id', type_='foreignkey')
        batch_op.drop_column('subscription_id')

    with op.batch_alter_table('business', schema=None) as batch_op:
        batch_op.drop_column('allow_subscriptions')

    with op.batch_alter_table('subscription_period', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscription_period_business_id'))

    unprotect('subscription_period')
    op.drop_table('subscription_period')
    with op.batch_alter_table('subscription', schema=None) as batch_op:
        batch_op.drop_index('ix_subscription_due')
        batch_op.drop_index('ix_subscription_customer')
        batch_op.drop_index(batch_op.f('ix_subscription_business_id'))

    unprotect('subscription')
    op.drop_table('subscription')
