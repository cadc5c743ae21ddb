"""report rollups: per local day and report dimensions, the counts and sorted durations of
the dashboard's ticket figures; which days are built, and which changed since

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 14:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'report_days',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('assignee_id', sa.Integer(), nullable=True),
        sa.Column('channel', sa.String(length=32), nullable=False),
        sa.Column('created', sa.Integer(), nullable=False),
        sa.Column('reopened', sa.Integer(), nullable=False),
        sa.Column('resolved', sa.Integer(), nullable=False),
        sa.Column('answered_in_time', sa.Integer(), nullable=False),
        sa.Column('resolved_in_time', sa.Integer(), nullable=False),
        sa.Column('answered_business', sa.JSON(), nullable=False),
        sa.Column('answered_calendar', sa.JSON(), nullable=False),
        sa.Column('resolved_business', sa.JSON(), nullable=False),
        sa.Column('resolved_calendar', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_report_days_day', 'report_days', ['day'])
    op.create_table(
        'report_days_built',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('timezone', sa.String(length=64), nullable=False),
        sa.Column('built_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('day'),
    )
    op.create_table(
        'report_dirty_days',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint('day'),
    )


def downgrade():
    op.drop_table('report_dirty_days')
    op.drop_table('report_days_built')
    op.drop_index('ix_report_days_day', table_name='report_days')
    op.drop_table('report_days')
