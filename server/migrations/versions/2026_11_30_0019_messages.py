"""messages between customers and the business, and the business's switch for them

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from frontdesk.migrations.row_security import protect, unprotect

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('message',
    sa.Column('business_id', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('customer_id', sa.String(length=40), nullable=False),
    sa.Column('author_kind', sa.String(length=20), nullable=False),
    sa.Column('author_staff_id', sa.String(length=40), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('client_nonce', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('read_by_customer_at', sa.DateTime(), nullable=True),
    sa.Column('read_by_staff_at', sa.DateTime(), nullable=True),
    sa.Column('notified_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['business_id'], ['business.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('business_id', 'customer_id', 'client_nonce', name='uq_message_nonce')
    )
    op.create_index(op.f('ix_message_business_id'), 'message', ['business_id'], unique=False)
    op.create_index('ix_message_conversation', 'message', ['business_id', 'customer_id', 'created_at'], unique=False)
    protect('message')
    with op.batch_alter_table('business') as batch_op:
        batch_op.add_column(sa.Column('allow_messages', sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table('business') as batch_op:
        batch_op.drop_column('allow_messages')
    unprotect('message')
    op.drop_index('ix_message_conversation', table_name='message')
    op.drop_index(op.f('ix_message_business_id'), table_name='message')
    op.drop_table('message')
