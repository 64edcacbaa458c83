"""documents shared with customers, their versions, signatures and audit chain

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from frontdesk.migrations.row_security import protect, unprotect

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('signature_consent',
    sa.Column('business_id', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('customer_id', sa.String(length=40), nullable=False),
    sa.Column('text', sa.String(length=4000), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('user_agent', sa.String(length=400), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['business_id'], ['business.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('signature_consent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signature_consent_business_id'), ['business_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_signature_consent_customer_id'), ['customer_id'], unique=False)
    protect('signature_consent')

    op.create_table('document',
    sa.Column('business_id', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('customer_id', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('requires_signature', sa.Boolean(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('attachment_id', sa.String(length=40), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('estimate_id', sa.String(length=40), nullable=True),
    sa.Column('viewed_at', sa.DateTime(), nullable=True),
    sa.Column('reminded_at', sa.DateTime(), nullable=True),
    sa.Column('signed_attachment_id', sa.String(length=40), nullable=True),
    sa.Column('signed_sha256', sa.String(length=64), nullable=True),
    sa.Column('signed_at', sa.DateTime(), nullable=True),
    sa.Column('signer_name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['attachment_id'], ['attachment.id'], ),
    sa.ForeignKeyConstraint(['business_id'], ['business.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['estimate_id'], ['estimate.id'], ),
    sa.ForeignKeyConstraint(['signed_attachment_id'], ['attachment.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_business_id'), ['business_id'], unique=False)
        batch_op.create_index('ix_document_customer', ['business_id', 'customer_id', 'created_at'], unique=False)
        batch_op.create_index('ix_document_signed_sha256', ['signed_sha256'], unique=False)
    protect('document')

    op.create_table('document_event',
    sa.Column('business_id', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('document_id', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_kind', sa.String(length=20), nullable=False),
    sa.Column('actor_id', sa.String(length=40), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('user_agent', sa.String(length=400), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['business.id'], ),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('document_id', 'seq')
    )
    with op.batch_alter_table('document_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_event_business_id'), ['business_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_event_document_id'), ['document_id'], unique=False)
    protect('document_event')

    op.create_table('document_version',
    sa.Column('business_id', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('document_id', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('attachment_id', sa.String(length=40), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['attachment_id'], ['attachment.id'], ),
    sa.ForeignKeyConstraint(['business_id'], ['business.id'], ),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('document_id', 'version')
    )
    with op.batch_alter_table('document_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_version_business_id'), ['business_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_version_document_id'), ['document_id'], unique=False)
    protect('document_version')

    with op.batch_alter_table('business', schema=None) as batch_op:
        batch_op.add_column(sa.Column('allow_documents', sa.Boolean(), nullable=False, server_default=sa.true()))



def downgrade() -> None:
    with op.batch_alter_table('business', schema=None) as batch_op:
        batch_op.drop_column('allow_documents')

    with op.batch_alter_table('document_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_version_document_id'))
        batch_op.drop_index(batch_op.f('ix_document_version_business_id'))

    unprotect('document_version')
    op.drop_table('document_version')
    with op.batch_alter_table('document_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_event_document_id'))
        batch_op.drop_index(batch_op.f('ix_document_event_business_id'))

    unprotect('document_event')
    op.drop_table('document_event')
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_index('ix_document_signed_sha256')
        batch_op.drop_index('ix_document_customer')
        batch_op.drop_index(batch_op.f('ix_document_business_id'))

    unprotect('document')
    op.drop_table('document')
    with op.batch_alter_table('signature_consent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signature_consent_customer_id'))
        batch_op.drop_index(batch_op.f('ix_signature_consent_business_id'))

    unprotect('signature_consent')
    op.drop_table('signature_consent')
