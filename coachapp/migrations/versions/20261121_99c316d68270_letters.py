"""letters, revisions, letter templates, letterheads, rendered pdfs

Revision ID: 99c316d68270
Revises: 4decd2794253
Create Date: 2026-11-21 23:02:38.261245
"""

import sqlalchemy as sa
from alembic import op

revision = '99c316d68270'
down_revision = '4decd2794253'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('letter_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coach_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('starter_key', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['coach_id'], ['users.id'], name=op.f('fk_letter_templates_coach_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letter_templates')),
    sa.UniqueConstraint('coach_id', 'name', name=op.f('uq_letter_templates_coach_id'))
    )
    with op.batch_alter_table('letter_templates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_letter_templates_coach_id'), ['coach_id'], unique=False)

    op.create_table('letterheads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coach_id', sa.Integer(), nullable=False),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('practice_name', sa.String(length=120), nullable=False),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('website', sa.String(length=200), nullable=False),
    sa.Column('social_links', sa.Text(), nullable=False),
    sa.Column('logo_path', sa.String(length=200), nullable=True),
    sa.Column('signature_image_path', sa.String(length=200), nullable=True),
    sa.Column('signature_text', sa.String(length=120), nullable=False),
    sa.Column('accent_colour', sa.String(length=7), nullable=False),
    sa.Column('paper_size', sa.String(length=10), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['coach_id'], ['users.id'], name=op.f('fk_letterheads_coach_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letterheads')),
    sa.UniqueConstraint('coach_id', name=op.f('uq_letterheads_coach_id'))
    )
    op.create_table('letters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coach_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('coaching_session_id', sa.Integer(), nullable=True),
    sa.Column('template_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'approved', 'sent', name='letterstatus', native_enum=False, length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('approved_at', sa.DateTime(), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('sent_to', sa.String(length=254), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_letters_approved_by_id_users')),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_letters_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['coach_id'], ['users.id'], name=op.f('fk_letters_coach_id_users')),
    sa.ForeignKeyConstraint(['coaching_session_id'], ['coaching_sessions.id'], name=op.f('fk_letters_coaching_session_id_coaching_sessions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['template_id'], ['letter_templates.id'], name=op.f('fk_letters_template_id_letter_templates'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letters'))
    )
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_letters_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_letters_coach_id'), ['coach_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_letters_coaching_session_id'), ['coaching_session_id'], unique=False)

    op.create_table('letter_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('letter_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_letter_revisions_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['letter_id'], ['letters.id'], name=op.f('fk_letter_revisions_letter_id_letters'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letter_revisions')),
    sa.UniqueConstraint('letter_id', 'number', name=op.f('uq_letter_revisions_letter_id'))
    )
    with op.batch_alter_table('letter_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_letter_revisions_letter_id'), ['letter_id'], unique=False)

    op.create_table('rendered_pdfs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('letter_id', sa.Integer(), nullable=True),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['letter_id'], ['letters.id'], name=op.f('fk_rendered_pdfs_letter_id_letters'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rendered_pdfs')),
    sa.UniqueConstraint('content_hash', name=op.f('uq_rendered_pdfs_content_hash'))
    )
    with op.batch_alter_table('rendered_pdfs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rendered_pdfs_letter_id'), ['letter_id'], unique=False)



def downgrade():
    with op.batch_alter_table('rendered_pdfs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rendered_pdfs_letter_id'))

    op.drop_table('rendered_pdfs')
    with op.batch_alter_table('letter_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_letter_revisions_letter_id'))

    op.drop_table('letter_revisions')
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_letters_coaching_session_id'))
        batch_op.drop_index(batch_op.f('ix_letters_coach_id'))
        batch_op.drop_index(batch_op.f('ix_letters_client_id'))

    op.drop_table('letters')
    op.drop_table('letterheads')
    with op.batch_alter_table('letter_templates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_letter_templates_coach_id'))

    op.drop_table('letter_templates')
