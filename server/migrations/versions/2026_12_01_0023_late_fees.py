"""late fees: the business's terms for them, and the once-per-invoice decision

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-01 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from frontdesk.migrations.row_security import protect, unprotect

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('late_fee',
    sa.Column('business_id', sa.String(length=40), nullable=False),
    sa.Column('invoice_id', sa.String(length=40), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.String(length=40), nullable=True),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('quiet', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['business.id'], ),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], ),
    sa.ForeignKeyConstraint(['line_id'], ['invoice_line.id'], ),
    sa.PrimaryKeyConstraint('invoice_id')
    )
    with op.batch_alter_table('late_fee', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_late_fee_business_id'), ['business_id'], unique=False)
    protect('late_fee')

    with op.batch_alter_table('business', schema=None) as batch_op:
        batch_op.add_column(sa.Column('late_fee_enabled', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('late_fee_fixed', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('late_fee_basis_points', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('late_fee_days', sa.Integer(), nullable=False, server_default='15'))


def downgrade() -> None:
    with op.batch_alter_table('business', schema=None) as batch_op:
        batch_op.drop_column('late_fee_days')
        batch_op.drop_column('late_fee_basis_points')
        batch_op.drop_column('late_fee_fixed')
        batch_op.drop_column('late_fee_enabled')

    with op.batch_alter_table('late_fee', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_late_fee_business_id'))

    unprotect('late_fee')
    op.drop_table('late_fee')
