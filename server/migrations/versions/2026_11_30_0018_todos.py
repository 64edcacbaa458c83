"""to-dos on a customer's account, and the business's switch for them

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from frontdesk.migrations.row_security import protect, unprotect

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('todo',
    sa.Column('business_id', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('customer_id', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('notes', sa.String(length=2000), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('created_by_kind', sa.String(length=20), nullable=False),
    sa.Column('created_by_id', sa.String(length=40), nullable=False),
    sa.Column('assignee', sa.String(length=20), nullable=False),
    sa.Column('related_kind', sa.String(length=20), nullable=False),
    sa.Column('related_id', sa.String(length=40), nullable=False),
    sa.Column('auto_rule', sa.String(length=80), nullable=True),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.Column('completed_by_kind', sa.String(length=20), nullable=False),
    sa.Column('completed_by_id', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['business.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_todo_business_id'), 'todo', ['business_id'], unique=False)
    op.create_index('ix_todo_customer', 'todo', ['business_id', 'customer_id'], unique=False)
    op.create_index('ix_todo_auto_rule', 'todo', ['business_id', 'auto_rule'], unique=False)
    protect('todo')
    with op.batch_alter_table('business') as batch_op:
        batch_op.add_column(sa.Column('allow_todos', sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table('business') as batch_op:
        batch_op.drop_column('allow_todos')
    unprotect('todo')
    op.drop_index('ix_todo_auto_rule', table_name='todo')
    op.drop_index('ix_todo_customer', table_name='todo')
    op.drop_index(op.f('ix_todo_business_id'), table_name='todo')
    op.drop_table('todo')
