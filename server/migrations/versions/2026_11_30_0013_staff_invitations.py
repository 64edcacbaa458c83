"""staff invitations an owner can list and withdraw

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 14:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from frontdesk.migrations.row_security import protect, unprotect

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('staff_invitation',
    sa.Column('business_id', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('invited_by', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('accepted_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['business_id'], ['business.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_staff_invitation_business_id'), 'staff_invitation', ['business_id'], unique=False)
    protect('staff_invitation')


def downgrade() -> None:
    unprotect('staff_invitation')
    op.drop_index(op.f('ix_staff_invitation_business_id'), table_name='staff_invitation')
    op.drop_table('staff_invitation')
