"""email CCs: on the ticket, on outbound copies, and who wrote an inbound message

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 09:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cc_emails', sa.JSON(), nullable=False,
                                      server_default=sa.text("'[]'")))
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sender', sa.String(length=254), nullable=True))
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cc', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('cc')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('sender')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('cc_emails')
