"""booking switches: whether customers book in the portal, and whether visitors without an
account may ask for a visit

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-01 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0030'
down_revision: str | None = '0029'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('business', schema=None) as batch_op:
        batch_op.add_column(sa.Column('allow_booking', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('booking_public', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('business', schema=None) as batch_op:
        batch_op.drop_column('booking_public')
        batch_op.drop_column('allow_booking')
