"""readers by e-mail: subscriptions to the blog or a series, and unsubscribe links on mail

A new table, and a column on outbox_messages (existing messages get an empty one).

Revision ID: a83655cf160b
Revises: 9b3e5f2a7c41
Create Date: 2026-12-03 18:35:52.556735
"""

import sqlalchemy as sa
from alembic import op

revision = 'a83655cf160b'
down_revision = '9b3e5f2a7c41'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reader_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('series_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('pending', 'confirmed', 'unsubscribed', name='subscriptionstatus', native_enum=False, length=16), nullable=False),
    sa.Column('confirm_token_hash', sa.String(length=64), nullable=True),
    sa.Column('confirm_sent_at', sa.DateTime(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('link_salt', sa.String(length=32), nullable=False),
    sa.Column('joined_on', sa.Date(), nullable=True),
    sa.Column('days_sent', sa.Integer(), nullable=False),
    sa.Column('last_sent_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['series_id'], ['post_series.id'], name=op.f('fk_reader_subscriptions_series_id_post_series'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reader_subscriptions')),
    sa.UniqueConstraint('confirm_token_hash', name=op.f('uq_reader_subscriptions_confirm_token_hash'))
    )
    with op.batch_alter_table('reader_subscriptions', schema=None) as batch_op:
        batch_op.create_index('ix_reader_subscriptions_email_series', ['email', 'series_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reader_subscriptions_series_id'), ['series_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reader_subscriptions_status'), ['status'], unique=False)

    op.add_column(
        'outbox_messages',
        sa.Column('unsubscribe_url', sa.String(length=500), server_default='', nullable=False),
    )


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('unsubscribe_url')

    with op.batch_alter_table('reader_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reader_subscriptions_status'))
        batch_op.drop_index(batch_op.f('ix_reader_subscriptions_series_id'))
        batch_op.drop_index('ix_reader_subscriptions_email_series')

    op.drop_table('reader_subscriptions')
