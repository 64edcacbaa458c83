"""text messages: each text sent or received, and the business's switch for reminders by text

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-01 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from frontdesk.migrations.row_security import protect, unprotect

revision: str = '0025'
down_revision: str | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('text_message',
    sa.Column('business_id', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('customer_id', sa.String(length=40), nullable=True),
    sa.Column('inbound', sa.Boolean(), nullable=False),
    sa.Column('purpose', sa.String(length=40), nullable=False),
    sa.Column('to_number', sa.String(length=20), nullable=False),
    sa.Column('from_number', sa.String(length=20), nullable=False),
    sa.Column('body', sa.String(length=1600), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('provider_sid', sa.String(length=64), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['business_id'], ['business.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('text_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_text_message_business_id'), ['business_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_text_message_provider_sid'), ['provider_sid'], unique=False)
        batch_op.create_index('ix_text_message_business_created', ['business_id', 'created_at'], unique=False)
    protect('text_message')

    with op.batch_alter_table('business', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminders_by_text', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('business', schema=None) as batch_op:
        batch_op.drop_column('reminders_by_text')

    with op.batch_alter_table('text_message', schema=None) as batch_op:
        batch_op.drop_index('ix_text_message_business_created')
        batch_op.drop_index(batch_op.f('ix_text_message_provider_sid'))
        batch_op.drop_index(batch_op.f('ix_text_message_business_id'))

    unprotect('text_message')
    op.drop_table('text_message')
