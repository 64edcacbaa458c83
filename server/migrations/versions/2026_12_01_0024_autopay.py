"""autopay: the customer's consent, each try at charging an invoice, and notices before

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-01 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from frontdesk.migrations.row_security import protect, unprotect

revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('autopay_enrollment',
    sa.Column('business_id', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('customer_id', sa.String(length=40), nullable=False),
    sa.Column('payment_method_id', sa.String(length=40), nullable=False),
    sa.Column('consent_text', sa.String(length=2000), nullable=False),
    sa.Column('consent_sha256', sa.String(length=64), nullable=False),
    sa.Column('consented_at', sa.DateTime(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('consent_ip', sa.String(length=64), nullable=False),
    sa.Column('consent_user_agent', sa.String(length=500), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_by', sa.String(length=20), nullable=False),
    sa.Column('revoke_reason', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['business.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['payment_method_id'], ['payment_method.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('autopay_enrollment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_autopay_enrollment_business_id'), ['business_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_autopay_enrollment_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ux_autopay_enrollment_active', ['customer_id'], unique=True, sqlite_where=sa.text('revoked_at IS NULL'), postgresql_where=sa.text('revoked_at IS NULL'))
    protect('autopay_enrollment')

    op.create_table('autopay_attempt',
    sa.Column('business_id', sa.String(length=40), nullable=False),
    sa.Column('invoice_id', sa.String(length=40), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('enrollment_id', sa.String(length=40), nullable=False),
    sa.Column('customer_id', sa.String(length=40), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.String(length=40), nullable=True),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('message', sa.String(length=500), nullable=False),
    sa.Column('gave_up', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['business.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['enrollment_id'], ['autopay_enrollment.id'], ),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], ),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], ),
    sa.PrimaryKeyConstraint('invoice_id', 'attempt')
    )
    with op.batch_alter_table('autopay_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_autopay_attempt_business_id'), ['business_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_autopay_attempt_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_autopay_attempt_enrollment_id'), ['enrollment_id'], unique=False)
    protect('autopay_attempt')

    op.create_table('autopay_notice',
    sa.Column('business_id', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('customer_id', sa.String(length=40), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('sent', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['business.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.PrimaryKeyConstraint('subject_id', 'kind')
    )
    with op.batch_alter_table('autopay_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_autopay_notice_business_id'), ['business_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_autopay_notice_customer_id'), ['customer_id'], unique=False)
    protect('autopay_notice')

    with op.batch_alter_table('business', schema=None) as batch_op:
        batch_op.add_column(sa.Column('autopay_enabled', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('autopay_charge_on', sa.String(length=10), nullable=False, server_default='due'))
        batch_op.add_column(sa.Column('autopay_notice_days', sa.Integer(), nullable=False, server_default='3'))
        batch_op.add_column(sa.Column('autopay_retry_days', sa.JSON(), nullable=False, server_default='[1, 3, 5]'))


def downgrade() -> None:
    with op.batch_alter_table('business', schema=None) as batch_op:
        batch_op.drop_column('autopay_retry_days')
        batch_op.drop_column('autopay_notice_days')
        batch_op.drop_column('autopay_charge_on')
        batch_op.drop_column('autopay_enabled')
    for table in ('autopay_notice', 'autopay_attempt', 'autopay_enrollment'):
        unprotect(table)
        op.drop_table(table)
