"""languages: the business's default language for its customers, and each customer's choice

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-01 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0031'
down_revision: str | None = '0030'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('business', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=12), nullable=False, server_default='en'))
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=12), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('business', schema=None) as batch_op:
        batch_op.drop_column('language')
