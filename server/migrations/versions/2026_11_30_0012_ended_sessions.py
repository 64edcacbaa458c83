"""portal sessions their customers signed out of

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from frontdesk.migrations.row_security import protect, unprotect

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('ended_session',
    sa.Column('business_id', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('customer_id', sa.String(length=40), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['business.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_ended_session_business_id'), 'ended_session', ['business_id'], unique=False)
    op.create_index(op.f('ix_ended_session_customer_id'), 'ended_session', ['customer_id'], unique=False)
    protect('ended_session')


def downgrade() -> None:
    unprotect('ended_session')
    op.drop_index(op.f('ix_ended_session_customer_id'), table_name='ended_session')
    op.drop_index(op.f('ix_ended_session_business_id'), table_name='ended_session')
    op.drop_table('ended_session')
