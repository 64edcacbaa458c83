"""paypal: the business's PayPal account and switch, and checkouts (an order per payment)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-01 03:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from frontdesk.migrations.row_security import protect, unprotect

revision: str = '0029'
down_revision: str | None = '0028'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('paypal_checkout',
    sa.Column('business_id', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('customer_id', sa.String(length=40), nullable=False),
    sa.Column('payment_id', sa.String(length=40), nullable=False),
    sa.Column('order_id', sa.String(length=64), nullable=True),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('capture_id', sa.String(length=64), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('approved_at', sa.DateTime(), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['business.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('order_id'),
    sa.UniqueConstraint('payment_id')
    )
    with op.batch_alter_table('paypal_checkout', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paypal_checkout_business_id'), ['business_id'], unique=False)
    protect('paypal_checkout')

    with op.batch_alter_table('business', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paypal_enabled', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('paypal_merchant_id', sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('business', schema=None) as batch_op:
        batch_op.drop_column('paypal_merchant_id')
        batch_op.drop_column('paypal_enabled')

    with op.batch_alter_table('paypal_checkout', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paypal_checkout_business_id'))

    unprotect('paypal_checkout')
    op.drop_table('paypal_checkout')
