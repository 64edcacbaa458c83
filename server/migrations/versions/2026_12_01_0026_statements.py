"""statements: the business's switch for emailing them, and the once-per-(customer, month) decision

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-01 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from frontdesk.migrations.row_security import protect, unprotect

revision: str = '0026'
down_revision: str | None = '0025'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('statement_mail',
    sa.Column('business_id', sa.String(length=40), nullable=False),
    sa.Column('customer_id', sa.String(length=40), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.Column('sent', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('opening', sa.Integer(), nullable=False),
    sa.Column('closing', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['business.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.PrimaryKeyConstraint('customer_id', 'month')
    )
    with op.batch_alter_table('statement_mail', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statement_mail_business_id'), ['business_id'], unique=False)
    protect('statement_mail')

    with op.batch_alter_table('business', schema=None) as batch_op:
        batch_op.add_column(sa.Column('statements_emailed', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('business', schema=None) as batch_op:
        batch_op.drop_column('statements_emailed')

    with op.batch_alter_table('statement_mail', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_statement_mail_business_id'))

    unprotect('statement_mail')
    op.drop_table('statement_mail')
