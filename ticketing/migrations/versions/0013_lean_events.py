"""leaner events: ticket events leave whose ticket it is, its channel and its department to the
ticket row; the customer index holds only a customer's own events; the index by kind and
time holds only the kinds that are read by time, one partial index per kind; the merged
tickets' index holds only merged tickets

Old rows are kept: a value is removed only where the ticket row says the same, and a
"created" event keeps its department when the ticket was transferred since.
On PostgreSQL the rewritten rows leave dead tuples: VACUUM events afterwards.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 14:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

TIMED_KINDS = ('status', 'follow_up', 'rated', 'sms_opt_out', 'call_logged', 'breach_noted')
DESK = "kind = 'created' AND actor_id IS NOT NULL"
OWN = 'ticket_id IS NULL'
SAME_CUSTOMER = (
    'ticket_id IS NOT NULL AND customer_id = '
    '(SELECT t.customer_id FROM tickets t WHERE t.id = events.ticket_id)'
)


def upgrade():
    op.execute(f'UPDATE events SET customer_id = NULL WHERE {SAME_CUSTOMER}')
    _compact_data(op.get_bind().dialect.name)
    op.drop_index('ix_events_kind_created', table_name='events')
    op.drop_index('ix_events_customer', table_name='events')
    _partial('ix_events_customer', 'customer_id', OWN)
    for kind in TIMED_KINDS:
        _partial(f'ix_events_{kind}_created', 'created_at', f"kind = '{kind}'")
    _partial('ix_events_desk_created', 'created_at', DESK)
    op.drop_index('ix_tickets_merged', table_name='tickets')
    _partial('ix_tickets_merged', 'merged_into_id', 'merged_into_id IS NOT NULL', table='tickets')


def downgrade():
    for kind in TIMED_KINDS:
        op.drop_index(f'ix_events_{kind}_created', table_name='events')
    op.drop_index('ix_events_desk_created', table_name='events')
    op.drop_index('ix_events_customer', table_name='events')
    op.drop_index('ix_tickets_merged', table_name='tickets')
    op.create_index('ix_tickets_merged', 'tickets', ['merged_into_id'])
    op.create_index('ix_events_kind_created', 'events', ['kind', 'created_at'])
    op.create_index('ix_events_customer', 'events', ['customer_id'])
    op.execute(
        'UPDATE events SET customer_id = '
        '(SELECT t.customer_id FROM tickets t WHERE t.id = events.ticket_id) '
        'WHERE ticket_id IS NOT NULL AND customer_id IS NULL'
    )
    # the older code reads a created event's channel from its data
    if op.get_bind().dialect.name == 'postgresql':
        set_channel = "jsonb_set(data, '{channel}', to_jsonb(t.channel::text))"
    else:
        set_channel = "json_set(data, '$.channel', t.channel)"
    op.execute(
        f'UPDATE events SET data = (SELECT {set_channel} FROM tickets t '
        "WHERE t.id = events.ticket_id) WHERE kind = 'created' AND ticket_id IS NOT NULL"
    )


def _compact_data(dialect):
    """Drop from the data the channel equal to the ticket's, and a created event's department
    when the ticket is still in it and was never transferred. SQLite also loses the spaces
    json.dumps wrote."""
    if dialect == 'postgresql':
        channel, department = "data->>'channel'", "data->>'department'"
        without = "data - '{key}'"
    else:
        channel, department = "json_extract(data, '$.channel')", "json_extract(data, '$.department')"
        without = "json_remove(data, '$.{key}')"
    op.execute(
        f'UPDATE events SET data = {without.format(key="channel")} '
        f'WHERE ticket_id IS NOT NULL AND {channel} = '
        '(SELECT t.channel FROM tickets t WHERE t.id = events.ticket_id)'
    )
    op.execute(
        f'UPDATE events SET data = {without.format(key="department")} '
        f"WHERE kind = 'created' AND ticket_id IS NOT NULL AND {department} = "
        '(SELECT d.name FROM tickets t JOIN departments d ON d.id = t.department_id '
        'WHERE t.id = events.ticket_id) AND NOT EXISTS (SELECT 1 FROM events moved '
        "WHERE moved.ticket_id = events.ticket_id AND moved.kind = 'transferred')"
    )
    if dialect != 'postgresql':
        op.execute('UPDATE events SET data = json(data)')


def _partial(name, column, where, table='events'):
    op.create_index(
        name,
        table,
        [column],
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )
