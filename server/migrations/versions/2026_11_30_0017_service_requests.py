"""service requests from the portal, their public timeline, and the business's switch for them

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from frontdesk.migrations.row_security import protect, unprotect

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('service_request',
    sa.Column('business_id', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('customer_id', sa.String(length=40), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('description', sa.String(length=4000), nullable=False),
    sa.Column('address_line1', sa.String(length=200), nullable=False),
    sa.Column('address_line2', sa.String(length=200), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('region', sa.String(length=100), nullable=False),
    sa.Column('postal_code', sa.String(length=20), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('preferred_windows', sa.JSON(), nullable=False),
    sa.Column('decline_reason', sa.String(length=2000), nullable=False),
    sa.Column('estimate_id', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['business.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['estimate_id'], ['estimate.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('business_id', 'number')
    )
    op.create_index(op.f('ix_service_request_business_id'), 'service_request', ['business_id'], unique=False)
    op.create_index(op.f('ix_service_request_customer_id'), 'service_request', ['customer_id'], unique=False)
    op.create_index('ix_service_request_business_status', 'service_request', ['business_id', 'status', 'created_at'], unique=False)
    protect('service_request')
    op.create_table('service_request_event',
    sa.Column('business_id', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('service_request_id', sa.String(length=40), nullable=False),
    sa.Column('author_kind', sa.String(length=20), nullable=False),
    sa.Column('author_id', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('text', sa.String(length=4000), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['business.id'], ),
    sa.ForeignKeyConstraint(['service_request_id'], ['service_request.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_service_request_event_business_id'), 'service_request_event', ['business_id'], unique=False)
    op.create_index(op.f('ix_service_request_event_service_request_id'), 'service_request_event', ['service_request_id'], unique=False)
    protect('service_request_event')
    with op.batch_alter_table('business') as batch_op:
        batch_op.add_column(sa.Column('allow_service_requests', sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table('business') as batch_op:
        batch_op.drop_column('allow_service_requests')
    unprotect('service_request_event')
    op.drop_index(op.f('ix_service_request_event_service_request_id'), table_name='service_request_event')
    op.drop_index(op.f('ix_service_request_event_business_id'), table_name='service_request_event')
    op.drop_table('service_request_event')
    unprotect('service_request')
    op.drop_index('ix_service_request_business_status', table_name='service_request')
    op.drop_index(op.f('ix_service_request_customer_id'), table_name='service_request')
    op.drop_index(op.f('ix_service_request_business_id'), table_name='service_request')
    op.drop_table('service_request')
