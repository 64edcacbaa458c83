"""booking: services, crews, working hours, date overrides, service area, appointments

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-01 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from frontdesk.migrations.row_security import protect, unprotect

revision: str = '0028'
down_revision: str | None = '0027'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    'booking_service',
    'crew',
    'working_hours',
    'date_override',
    'service_area',
    'appointment',
    'appointment_reminder',
)
# The last wall against a double booking on PostgreSQL (services/booking/ maps its violation to
# a refusal). tsrange, not tstzrange: the columns hold naive UTC, and a cast to timestamptz
# depends on the session's zone, which an index expression may not.
OVERLAP = 'ex_appointment_crew_overlap'


def upgrade() -> None:
    op.create_table('booking_service',
    sa.Column('business_id', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('duration_min', sa.Integer(), nullable=False),
    sa.Column('buffer_before_min', sa.Integer(), nullable=False),
    sa.Column('buffer_after_min', sa.Integer(), nullable=False),
    sa.Column('min_notice_min', sa.Integer(), nullable=False),
    sa.Column('max_days_ahead', sa.Integer(), nullable=False),
    sa.Column('slot_step_min', sa.Integer(), nullable=False),
    sa.Column('requires_confirmation', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['business.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('crew',
    sa.Column('business_id', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('service_ids', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['business.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('working_hours',
    sa.Column('business_id', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('crew_id', sa.String(length=40), nullable=True),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('start_local', sa.Time(), nullable=False),
    sa.Column('end_local', sa.Time(), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['business.id'], ),
    sa.ForeignKeyConstraint(['crew_id'], ['crew.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('date_override',
    sa.Column('business_id', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('crew_id', sa.String(length=40), nullable=True),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('closed', sa.Boolean(), nullable=False),
    sa.Column('start_local', sa.Time(), nullable=True),
    sa.Column('end_local', sa.Time(), nullable=True),
    sa.ForeignKeyConstraint(['business_id'], ['business.id'], ),
    sa.ForeignKeyConstraint(['crew_id'], ['crew.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('service_area',
    sa.Column('business_id', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('prefix', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['business.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('business_id', 'prefix')
    )
    op.create_table('appointment',
    sa.Column('business_id', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('customer_id', sa.String(length=40), nullable=True),
    sa.Column('service_id', sa.String(length=40), nullable=True),
    sa.Column('crew_id', sa.String(length=40), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('blocked_from', sa.DateTime(), nullable=False),
    sa.Column('blocked_until', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('hold_expires_at', sa.DateTime(), nullable=True),
    sa.Column('notes', sa.String(length=2000), nullable=False),
    sa.Column('cancel_reason', sa.String(length=500), nullable=False),
    sa.Column('service_request_id', sa.String(length=40), nullable=True),
    sa.Column('estimate_id', sa.String(length=40), nullable=True),
    sa.Column('idempotency_key', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['business.id'], ),
    sa.ForeignKeyConstraint(['crew_id'], ['crew.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['estimate_id'], ['estimate.id'], ),
    sa.ForeignKeyConstraint(['service_id'], ['booking_service.id'], ),
    sa.ForeignKeyConstraint(['service_request_id'], ['service_request.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('business_id', 'idempotency_key')
    )
    op.create_table('appointment_reminder',
    sa.Column('business_id', sa.String(length=40), nullable=False),
    sa.Column('appointment_id', sa.String(length=40), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.Column('sent', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], ),
    sa.ForeignKeyConstraint(['business_id'], ['business.id'], ),
    sa.PrimaryKeyConstraint('appointment_id')
    )
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f'ix_{table}_business_id'), ['business_id'], unique=False)
        protect(table)
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.create_index('ix_appointment_crew_blocked', ['crew_id', 'blocked_from'], unique=False)
        batch_op.create_index('ix_appointment_business_starts', ['business_id', 'starts_at'], unique=False)

    if op.get_bind().dialect.name == 'postgresql':
        # Made by `frontdesk provision` (as a superuser) where the owner may not; here for a
        # database whose owner migrates it alone.
        op.execute('CREATE EXTENSION IF NOT EXISTS btree_gist')
        op.execute(
            f'ALTER TABLE appointment ADD CONSTRAINT {OVERLAP} EXCLUDE USING gist '
            '(crew_id WITH =, tsrange(blocked_from, blocked_until) WITH &&) '
            "WHERE (status IN ('held', 'pending', 'confirmed'))"
        )

    with op.batch_alter_table('business', schema=None) as batch_op:
        batch_op.add_column(sa.Column('booking_cancel_hours', sa.Integer(), nullable=False, server_default='24'))


def downgrade() -> None:
    with op.batch_alter_table('business', schema=None) as batch_op:
        batch_op.drop_column('booking_cancel_hours')

    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'ALTER TABLE appointment DROP CONSTRAINT IF EXISTS {OVERLAP}')
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_index('ix_appointment_business_starts')
        batch_op.drop_index('ix_appointment_crew_blocked')
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_business_id'))
        unprotect(table)
        op.drop_table(table)
