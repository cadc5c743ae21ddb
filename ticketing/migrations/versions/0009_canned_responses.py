"""canned responses and macros: personal, per department or for everyone, in en and sw

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 15:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

SCOPES = ('personal', 'department', 'everyone')
STATUSES = ('new', 'open', 'pending_customer', 'resolved', 'closed')
PRIORITIES = ('low', 'normal', 'high', 'urgent')


def enum(values, name):
    return sa.Enum(*values, name=name, native_enum=False, length=32)


def upgrade():
    op.create_table(
        'canned_responses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=120), nullable=False),
        sa.Column('scope', enum(SCOPES, 'cannedscope'), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=True),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('body_en', sa.Text(), nullable=False),
        sa.Column('body_sw', sa.Text(), nullable=False),
        sa.Column('set_status', enum(STATUSES, 'status'), nullable=True),
        sa.Column('set_priority', enum(PRIORITIES, 'priority'), nullable=True),
        sa.Column('set_assignee_id', sa.Integer(), nullable=True),
        sa.Column('tags', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['department_id'], ['departments.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['set_assignee_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('canned_responses', schema=None) as batch_op:
        batch_op.create_index('ix_canned_responses_scope', ['scope', 'department_id'], unique=False)
        batch_op.create_index('ix_canned_responses_owner', ['owner_id'], unique=False)


def downgrade():
    with op.batch_alter_table('canned_responses', schema=None) as batch_op:
        batch_op.drop_index('ix_canned_responses_owner')
        batch_op.drop_index('ix_canned_responses_scope')
    op.drop_table('canned_responses')
