"""files attached to service requests and messages

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from frontdesk.migrations.row_security import protect, unprotect

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('attachment',
    sa.Column('business_id', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('customer_id', sa.String(length=40), nullable=False),
    sa.Column('owner_kind', sa.String(length=40), nullable=False),
    sa.Column('owner_id', sa.String(length=40), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=200), nullable=False),
    sa.Column('created_by_kind', sa.String(length=20), nullable=False),
    sa.Column('created_by_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['business.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_attachment_business_id'), 'attachment', ['business_id'], unique=False)
    op.create_index(op.f('ix_attachment_customer_id'), 'attachment', ['customer_id'], unique=False)
    op.create_index('ix_attachment_owner', 'attachment', ['business_id', 'owner_kind', 'owner_id'], unique=False)
    protect('attachment')


def downgrade() -> None:
    unprotect('attachment')
    op.drop_index('ix_attachment_owner', table_name='attachment')
    op.drop_index(op.f('ix_attachment_customer_id'), table_name='attachment')
    op.drop_index(op.f('ix_attachment_business_id'), table_name='attachment')
    op.drop_table('attachment')
