"""audit log, outbox rows whose last attempt may have reached the provider, no fixed lock-out

Sign-in throttling moved to Redis (ticketing/signin.py): the lock-out columns go.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 01:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

ACTIONS = ('sign_in', 'sign_in_failed', 'sign_in_throttled', 'sign_out', 'password_changed',
           'user_created', 'user_changed', 'token_created', 'token_revoked', 'export',
           'setting_changed')


def upgrade():
    op.create_table(
        'audit_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('action', sa.Enum(*ACTIONS, name='auditaction', native_enum=False,
                                    length=32), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('actor_label', sa.String(length=254), nullable=False),
        sa.Column('target', sa.String(length=120), nullable=False),
        sa.Column('detail', sa.JSON(), nullable=False),
        sa.Column('ip', sa.String(length=45), nullable=False),
        sa.Column('user_agent', sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_at', ['at'], unique=False)
        batch_op.create_index('ix_audit_log_action_at', ['action', 'at'], unique=False)
        batch_op.create_index('ix_audit_log_actor_at', ['actor_id', 'at'], unique=False)
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('doubt_since', sa.DateTime(), nullable=True))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(), nullable=True))
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('doubt_since')
    op.drop_table('audit_log')
