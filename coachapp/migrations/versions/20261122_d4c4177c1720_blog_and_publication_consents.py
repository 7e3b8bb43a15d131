"""blog and publication consents

Revision ID: d4c4177c1720
Revises: 3a3a84fbd26e
Create Date: 2026-11-22 01:14:33.274627
"""

import sqlalchemy as sa
from alembic import op

revision = 'd4c4177c1720'
down_revision = '3a3a84fbd26e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('post_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('slug', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], name=op.f('fk_post_categories_practice_id_practices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_post_categories')),
    sa.UniqueConstraint('slug', name=op.f('uq_post_categories_slug'))
    )
    with op.batch_alter_table('post_categories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_post_categories_practice_id'), ['practice_id'], unique=False)

    op.create_table('post_series',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('slug', sa.String(length=140), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('planned_parts', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], name=op.f('fk_post_series_practice_id_practices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_post_series')),
    sa.UniqueConstraint('slug', name=op.f('uq_post_series_slug'))
    )
    with op.batch_alter_table('post_series', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_post_series_practice_id'), ['practice_id'], unique=False)

    op.create_table('post_tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], name=op.f('fk_post_tags_practice_id_practices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_post_tags')),
    sa.UniqueConstraint('slug', name=op.f('uq_post_tags_slug'))
    )
    with op.batch_alter_table('post_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_post_tags_practice_id'), ['practice_id'], unique=False)

    op.create_table('blog_profiles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coach_id', sa.Integer(), nullable=False),
    sa.Column('photo_path', sa.String(length=200), nullable=True),
    sa.Column('social_links', sa.Text(), nullable=False),
    sa.Column('approve_known_commenters', sa.Boolean(), nullable=False),
    sa.Column('blocked_words', sa.Text(), nullable=False),
    sa.Column('client_name_replacement', sa.String(length=80), nullable=False),
    sa.Column('child_name_replacement', sa.String(length=80), nullable=False),
    sa.Column('contact_replacement', sa.String(length=80), nullable=False),
    sa.Column('other_term_replacement', sa.String(length=80), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['coach_id'], ['users.id'], name=op.f('fk_blog_profiles_coach_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blog_profiles')),
    sa.UniqueConstraint('coach_id', name=op.f('uq_blog_profiles_coach_id'))
    )
    op.create_table('posts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('slug', sa.String(length=200), nullable=False),
    sa.Column('excerpt', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('cover_image_path', sa.String(length=200), nullable=True),
    sa.Column('cover_image_alt', sa.String(length=200), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('series_id', sa.Integer(), nullable=True),
    sa.Column('series_position', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('draft', 'scheduled', 'published', 'unpublished', name='poststatus', native_enum=False, length=16), nullable=False),
    sa.Column('publish_at', sa.DateTime(), nullable=True),
    sa.Column('unpublished_reason', sa.String(length=200), nullable=False),
    sa.Column('from_letter', sa.Boolean(), nullable=False),
    sa.Column('letter_id', sa.Integer(), nullable=True),
    sa.Column('letter_revision_id', sa.Integer(), nullable=True),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_posts_author_id_users')),
    sa.ForeignKeyConstraint(['category_id'], ['post_categories.id'], name=op.f('fk_posts_category_id_post_categories'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_posts_client_id_clients'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['letter_id'], ['letters.id'], name=op.f('fk_posts_letter_id_letters'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['letter_revision_id'], ['letter_revisions.id'], name=op.f('fk_posts_letter_revision_id_letter_revisions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['series_id'], ['post_series.id'], name=op.f('fk_posts_series_id_post_series'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_posts')),
    sa.UniqueConstraint('slug', name=op.f('uq_posts_slug'))
    )
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_posts_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_posts_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_posts_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_posts_letter_id'), ['letter_id'], unique=False)
        batch_op.create_index('ix_posts_series_id_series_position', ['series_id', 'series_position'], unique=False)
        batch_op.create_index('ix_posts_status_publish_at', ['status', 'publish_at'], unique=False)

    op.create_table('publication_consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('letter_id', sa.Integer(), nullable=False),
    sa.Column('letter_revision_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.Enum('portal', 'email', 'in_person', name='consentmethod', native_enum=False, length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('given_at', sa.DateTime(), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
    sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
    sa.Column('withdrawal_note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_publication_consents_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['letter_id'], ['letters.id'], name=op.f('fk_publication_consents_letter_id_letters'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['letter_revision_id'], ['letter_revisions.id'], name=op.f('fk_publication_consents_letter_revision_id_letter_revisions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_publication_consents_recorded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['users.id'], name=op.f('fk_publication_consents_withdrawn_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publication_consents'))
    )
    with op.batch_alter_table('publication_consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publication_consents_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_publication_consents_letter_id'), ['letter_id'], unique=False)

    op.create_table('post_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('author_name', sa.String(length=80), nullable=False),
    sa.Column('author_email', sa.String(length=254), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'approved', 'spam', name='commentstatus', native_enum=False, length=16), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('sender_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('approved_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['parent_id'], ['post_comments.id'], name=op.f('fk_post_comments_parent_id_post_comments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_post_comments_post_id_posts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_post_comments_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_post_comments'))
    )
    with op.batch_alter_table('post_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_post_comments_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_post_comments_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index('ix_post_comments_post_id_status', ['post_id', 'status', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_post_comments_sender_hash'), ['sender_hash'], unique=False)

    op.create_table('post_tag_links',
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_post_tag_links_post_id_posts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['post_tags.id'], name=op.f('fk_post_tag_links_tag_id_post_tags'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('post_id', 'tag_id', name=op.f('pk_post_tag_links'))
    )
    with op.batch_alter_table('post_tag_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_post_tag_links_tag_id'), ['tag_id'], unique=False)

    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('identifying_words', sa.Text(), nullable=False, server_default=''))



def downgrade():
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_column('identifying_words')

    with op.batch_alter_table('post_tag_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_post_tag_links_tag_id'))

    op.drop_table('post_tag_links')
    with op.batch_alter_table('post_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_post_comments_sender_hash'))
        batch_op.drop_index('ix_post_comments_post_id_status')
        batch_op.drop_index(batch_op.f('ix_post_comments_parent_id'))
        batch_op.drop_index(batch_op.f('ix_post_comments_created_at'))

    op.drop_table('post_comments')
    with op.batch_alter_table('publication_consents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_publication_consents_letter_id'))
        batch_op.drop_index(batch_op.f('ix_publication_consents_client_id'))

    op.drop_table('publication_consents')
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_index('ix_posts_status_publish_at')
        batch_op.drop_index('ix_posts_series_id_series_position')
        batch_op.drop_index(batch_op.f('ix_posts_letter_id'))
        batch_op.drop_index(batch_op.f('ix_posts_client_id'))
        batch_op.drop_index(batch_op.f('ix_posts_category_id'))
        batch_op.drop_index(batch_op.f('ix_posts_author_id'))

    op.drop_table('posts')
    op.drop_table('blog_profiles')
    with op.batch_alter_table('post_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_post_tags_practice_id'))

    op.drop_table('post_tags')
    with op.batch_alter_table('post_series', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_post_series_practice_id'))

    op.drop_table('post_series')
    with op.batch_alter_table('post_categories', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_post_categories_practice_id'))

    op.drop_table('post_categories')
