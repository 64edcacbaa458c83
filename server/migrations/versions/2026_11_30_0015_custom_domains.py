"""businesses' own addresses for their hosted portal

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from frontdesk.migrations.row_security import protect, unprotect

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('custom_domain',
    sa.Column('business_id', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('hostname', sa.String(length=253), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_checked_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=False),
    sa.Column('verified_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['business_id'], ['business.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('hostname')
    )
    op.create_index(op.f('ix_custom_domain_business_id'), 'custom_domain', ['business_id'], unique=False)
    protect('custom_domain')
    with op.batch_alter_table('business') as batch_op:
        batch_op.add_column(sa.Column('portal_domain', sa.String(length=253), nullable=True))
        batch_op.create_unique_constraint('uq_business_portal_domain', ['portal_domain'])


def downgrade() -> None:
    with op.batch_alter_table('business') as batch_op:
        batch_op.drop_constraint('uq_business_portal_domain', type_='unique')
        batch_op.drop_column('portal_domain')
    unprotect('custom_domain')
    op.drop_index(op.f('ix_custom_domain_business_id'), table_name='custom_domain')
    op.drop_table('custom_domain')
