"""programmes and journals: daily prompts, enrolments, journal entries and coaches' replies

New tables only; nothing existing changes.

Revision ID: 1fd2a65efded
Revises: f5c1a8e3d902
Create Date: 2026-12-03 18:30:40.601764
"""

import sqlalchemy as sa
from alembic import op

revision = '1fd2a65efded'
down_revision = 'f5c1a8e3d902'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('programmes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coach_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('series_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['coach_id'], ['users.id'], name=op.f('fk_programmes_coach_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['series_id'], ['post_series.id'], name=op.f('fk_programmes_series_id_post_series'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programmes'))
    )
    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_programmes_coach_id'), ['coach_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_programmes_series_id'), ['series_id'], unique=False)

    op.create_table('enrolments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('adult_id', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('rhythm', sa.Enum('daily', 'weekdays', 'chosen_days', name='rhythm', native_enum=False, length=16), nullable=False),
    sa.Column('weekdays', sa.String(length=20), nullable=False),
    sa.Column('counting_from', sa.Date(), nullable=False),
    sa.Column('counted_days', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('active', 'paused', 'finished', name='enrolmentstatus', native_enum=False, length=16), nullable=False),
    sa.Column('paused_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('notice', sa.Enum('daily_email', 'weekly_digest', 'portal_only', name='promptnotice', native_enum=False, length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['adult_id'], ['adults.id'], name=op.f('fk_enrolments_adult_id_adults'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_enrolments_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_enrolments_programme_id_programmes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrolments'))
    )
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrolments_adult_id'), ['adult_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_enrolments_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_enrolments_programme_id'), ['programme_id'], unique=False)

    op.create_table('programme_prompts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_programme_prompts_post_id_posts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_programme_prompts_programme_id_programmes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programme_prompts')),
    sa.UniqueConstraint('programme_id', 'day', name=op.f('uq_programme_prompts_programme_id'))
    )
    op.create_table('journal_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('adult_id', sa.Integer(), nullable=False),
    sa.Column('enrolment_id', sa.Integer(), nullable=True),
    sa.Column('prompt_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('shared_at', sa.DateTime(), nullable=True),
    sa.Column('coach_read_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['adult_id'], ['adults.id'], name=op.f('fk_journal_entries_adult_id_adults'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_journal_entries_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['enrolment_id'], ['enrolments.id'], name=op.f('fk_journal_entries_enrolment_id_enrolments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['prompt_id'], ['programme_prompts.id'], name=op.f('fk_journal_entries_prompt_id_programme_prompts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journal_entries'))
    )
    with op.batch_alter_table('journal_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journal_entries_adult_id'), ['adult_id'], unique=False)
        batch_op.create_index('ix_journal_entries_client_id_shared_at', ['client_id', 'shared_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_journal_entries_enrolment_id'), ['enrolment_id'], unique=False)

    op.create_table('journal_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('coach_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['coach_id'], ['users.id'], name=op.f('fk_journal_replies_coach_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['entry_id'], ['journal_entries.id'], name=op.f('fk_journal_replies_entry_id_journal_entries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journal_replies'))
    )
    with op.batch_alter_table('journal_replies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journal_replies_entry_id'), ['entry_id'], unique=False)



def downgrade():
    with op.batch_alter_table('journal_replies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journal_replies_entry_id'))

    op.drop_table('journal_replies')
    with op.batch_alter_table('journal_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journal_entries_enrolment_id'))
        batch_op.drop_index('ix_journal_entries_client_id_shared_at')
        batch_op.drop_index(batch_op.f('ix_journal_entries_adult_id'))

    op.drop_table('journal_entries')
    op.drop_table('programme_prompts')
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enrolments_programme_id'))
        batch_op.drop_index(batch_op.f('ix_enrolments_client_id'))
        batch_op.drop_index(batch_op.f('ix_enrolments_adult_id'))

    op.drop_table('enrolments')
    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_programmes_series_id'))
        batch_op.drop_index(batch_op.f('ix_programmes_coach_id'))

    op.drop_table('programmes')
