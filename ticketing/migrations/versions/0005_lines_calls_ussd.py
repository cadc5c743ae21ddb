"""lines (numbers and sender ids per department), opt-outs per line, calls, USSD sessions

A customer's single SMS opt-out flag becomes an OptOut row for every line ("*"): they said
STOP when there was one number, so they stay silent everywhere until they say START.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 05:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

PROVIDERS = ('twilio', 'africastalking')
CHANNELS = ('web', 'email', 'sms', 'whatsapp', 'ussd', 'phone', 'api')
OUTCOMES = ('answered', 'missed', 'abandoned', 'after_hours', 'callback_requested', 'voicemail')


def enum(values, name):
    return sa.Enum(*values, name=name, native_enum=False, length=32)


def upgrade():
    op.create_table(
        'lines',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('provider', enum(PROVIDERS, 'provider'), nullable=False),
        sa.Column('channel', enum(CHANNELS, 'channel'), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('label', sa.String(length=80), nullable=False),
        sa.Column('is_enabled', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['department_id'], ['departments.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('provider', 'address'),
    )
    op.create_table(
        'opt_outs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('line', sa.String(length=80), nullable=False),
        sa.Column('source', sa.String(length=80), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('customer_id', 'line'),
    )
    with op.batch_alter_table('opt_outs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opt_outs_created_at'), ['created_at'], unique=False)
    op.execute(
        "INSERT INTO opt_outs (customer_id, line, source, created_at) "
        "SELECT id, '*', 'SMS STOP', COALESCE(sms_opted_out_at, created_at) "
        "FROM customers WHERE sms_opted_out"
    )
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customers_sms_opted_out'))
        batch_op.drop_column('sms_opted_out_at')
        batch_op.drop_column('sms_opted_out')
    op.create_table(
        'calls',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sid', sa.String(length=64), nullable=False),
        sa.Column('from_number', sa.String(length=32), nullable=False),
        sa.Column('line', sa.String(length=80), nullable=True),
        sa.Column('customer_id', sa.Integer(), nullable=True),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('ticket_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('outcome', enum(OUTCOMES, 'calloutcome'), nullable=True),
        sa.Column('language', sa.String(length=8), nullable=True),
        sa.Column('recording_url', sa.String(length=500), nullable=True),
        sa.Column('recording_seconds', sa.Integer(), nullable=True),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('answered_at', sa.DateTime(), nullable=True),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.Column('duration_seconds', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id']),
        sa.ForeignKeyConstraint(['department_id'], ['departments.id']),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('sid'),
    )
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.create_index('ix_calls_started', ['started_at'], unique=False)
        batch_op.create_index('ix_calls_department_started', ['department_id', 'started_at'],
                              unique=False)
    op.create_table(
        'ussd_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.String(length=100), nullable=False),
        sa.Column('phone', sa.String(length=32), nullable=False),
        sa.Column('service_code', sa.String(length=40), nullable=False),
        sa.Column('network_code', sa.String(length=16), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=True),
        sa.Column('ticket_id', sa.Integer(), nullable=True),
        sa.Column('last_text', sa.String(length=500), nullable=False),
        sa.Column('steps', sa.Integer(), nullable=False),
        sa.Column('outcome', sa.String(length=32), nullable=True),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.Column('end_status', sa.String(length=32), nullable=True),
        sa.Column('end_reason', sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id']),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('session_id'),
    )
    with op.batch_alter_table('ussd_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_ussd_sessions_started', ['started_at'], unique=False)
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('line', sa.String(length=80), nullable=True))
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('line', sa.String(length=80), nullable=True))
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('line', sa.String(length=80), nullable=True))
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('desk_phone', sa.String(length=20), nullable=True))
    with op.batch_alter_table('promises', schema=None) as batch_op:
        batch_op.alter_column('agent_id', existing_type=sa.Integer(), nullable=True)


def downgrade():
    with op.batch_alter_table('promises', schema=None) as batch_op:
        batch_op.alter_column('agent_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.drop_column('desk_phone')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('line')
        batch_op.drop_column('link_id')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('line')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('line')
    op.drop_table('ussd_sessions')
    op.drop_table('calls')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sms_opted_out', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('sms_opted_out_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_customers_sms_opted_out'), ['sms_opted_out'],
                              unique=False)
    op.execute(
        "UPDATE customers SET sms_opted_out = TRUE, sms_opted_out_at = "
        "(SELECT MIN(created_at) FROM opt_outs WHERE opt_outs.customer_id = customers.id) "
        "WHERE id IN (SELECT customer_id FROM opt_outs)"
    )
    op.drop_table('opt_outs')
    op.drop_table('lines')
