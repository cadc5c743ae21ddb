"""settings stamp: one row whose token changes with any routing rule, department, charter
target, holiday, line or message template, so that every process knows when to read them again

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 10:00:00

"""
import secrets

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        'settings_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.bulk_insert(table, [{'id': 1, 'token': secrets.token_hex(16)}])


def downgrade():
    op.drop_table('settings_version')
