"""the unique index of provider message ids holds only messages that have one

A retried webhook or a re-read mailbox must not file a message twice, so (channel,
external_id) stays unique. Agents' replies, notes and most automatic messages have no
external id, and the old constraint indexed each of them too (a third of the messages held
an id in the side-by-side data: 8.9 of 182.8 MiB). A partial unique index keeps the same
guarantee, and lookups by id (channel = ? AND external_id = ?) use it on both databases.

SQLite cannot drop a table's own UNIQUE constraint: messages is rebuilt (Alembic's batch
copy), and the full-text triggers of migration 0010, which went with the old table, are made
again. The FTS table keeps its rows: the copy keeps every message's id.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 20:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

NAME = 'uq_messages_channel_external_id'
HAS_ID = 'external_id IS NOT NULL'


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        with op.batch_alter_table('messages', recreate='always') as batch_op:
            batch_op.drop_constraint(NAME, type_='unique')
        _message_triggers()
    else:
        op.drop_constraint(NAME, 'messages', type_='unique')
    op.create_index(
        NAME,
        'messages',
        ['channel', 'external_id'],
        unique=True,
        sqlite_where=sa.text(HAS_ID),
        postgresql_where=sa.text(HAS_ID),
    )


def downgrade():
    op.drop_index(NAME, table_name='messages')
    if op.get_bind().dialect.name == 'sqlite':
        with op.batch_alter_table('messages', recreate='always') as batch_op:
            batch_op.create_unique_constraint(NAME, ['channel', 'external_id'])
        _message_triggers()
    else:
        op.create_unique_constraint(NAME, 'messages', ['channel', 'external_id'])


def _message_triggers():
    """Migration 0010's triggers that keep messages_fts in step with messages.body."""
    op.execute(
        'CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN '
        'INSERT INTO messages_fts(rowid, body) VALUES (new.id, new.body); END'
    )
    op.execute(
        'CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN '
        "INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.id, old.body); "
        'END'
    )
    op.execute(
        'CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN '
        "INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.id, old.body); "
        'INSERT INTO messages_fts(rowid, body) VALUES (new.id, new.body); END'
    )
