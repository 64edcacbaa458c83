"""businesses connect their own Stripe account; platform fees; a contact for customers

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('business') as batch_op:
        batch_op.add_column(sa.Column('charges_enabled', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('processor_status', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('fee_basis_points', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('fee_fixed', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('contact_email', sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column('contact_phone', sa.String(length=40), nullable=True))
    # Accounts set before onboarding existed took payments: they keep doing so.
    op.execute("UPDATE business SET charges_enabled = processor_account IS NOT NULL")
    op.execute(
        "UPDATE business SET contact_email = (SELECT min(email) FROM staff_user"
        " WHERE staff_user.business_id = business.id AND staff_user.role = 'owner')"
    )
    with op.batch_alter_table('payment') as batch_op:
        batch_op.add_column(sa.Column('processor_account', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('application_fee', sa.Integer(), nullable=False, server_default='0'))
    op.execute(
        "UPDATE payment SET processor_account = (SELECT processor_account FROM business"
        " WHERE business.id = payment.business_id) WHERE processor_reference IS NOT NULL"
    )
    with op.batch_alter_table('refund') as batch_op:
        batch_op.add_column(sa.Column('application_fee_refunded', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('refund') as batch_op:
        batch_op.drop_column('application_fee_refunded')
    with op.batch_alter_table('payment') as batch_op:
        batch_op.drop_column('application_fee')
        batch_op.drop_column('processor_account')
    with op.batch_alter_table('business') as batch_op:
        for name in ('contact_phone', 'contact_email', 'fee_fixed', 'fee_basis_points', 'processor_status', 'charges_enabled'):
            batch_op.drop_column(name)
