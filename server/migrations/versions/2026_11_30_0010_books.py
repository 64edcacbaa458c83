"""books you can prove: refund causes and allocations, card fingerprints, the books check

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from frontdesk.migrations.row_security import protect, unprotect

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cause', sa.String(length=20), nullable=False, server_default='staff'))
        batch_op.add_column(sa.Column('actor', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('collided_with', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('invoice_effect', sa.String(length=20), nullable=False, server_default='none'))
    # Refunds made before causes were recorded: the duplicate rule named itself in the reason.
    op.execute("UPDATE refund SET cause = 'duplicate' WHERE reason LIKE 'Paid twice%'")
    with op.batch_alter_table('refund', schema=None) as batch_op:
        for column in ('cause', 'actor', 'collided_with', 'invoice_effect'):
            batch_op.alter_column(column, server_default=None)

    with op.batch_alter_table('payment_method', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fingerprint', sa.String(length=64), nullable=False, server_default=''))
    with op.batch_alter_table('payment_method', schema=None) as batch_op:
        batch_op.alter_column('fingerprint', server_default=None)

    op.create_table('refund_allocation',
    sa.Column('business_id', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('refund_id', sa.String(length=40), nullable=False),
    sa.Column('invoice_id', sa.String(length=40), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['business.id'], ),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], ),
    sa.ForeignKeyConstraint(['refund_id'], ['refund.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('refund_id', 'invoice_id')
    )
    with op.batch_alter_table('refund_allocation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refund_allocation_business_id'), ['business_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refund_allocation_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refund_allocation_refund_id'), ['refund_id'], unique=False)

    op.create_table('books_check',
    sa.Column('business_id', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('checked_at', sa.DateTime(), nullable=False),
    sa.Column('problems', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['business.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('books_check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_books_check_business_id'), ['business_id'], unique=False)

    protect('refund_allocation')
    protect('books_check')


def downgrade() -> None:
    unprotect('books_check')
    unprotect('refund_allocation')
    with op.batch_alter_table('books_check', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_books_check_business_id'))
    op.drop_table('books_check')
    with op.batch_alter_table('refund_allocation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refund_allocation_refund_id'))
        batch_op.drop_index(batch_op.f('ix_refund_allocation_invoice_id'))
        batch_op.drop_index(batch_op.f('ix_refund_allocation_business_id'))
    op.drop_table('refund_allocation')
    with op.batch_alter_table('payment_method', schema=None) as batch_op:
        batch_op.drop_column('fingerprint')
    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.drop_column('invoice_effect')
        batch_op.drop_column('collided_with')
        batch_op.drop_column('actor')
        batch_op.drop_column('cause')
