"""full-text search indexes (PostgreSQL GIN on tsvector, SQLite FTS5 with triggers); saved views

On SQLite the FTS5 tables hold no text of their own (external content): they index
messages.body, tickets.subject and customers.name by rowid, and triggers keep them in step.
A later migration that rebuilds one of those tables with batch_alter_table drops its
triggers: recreate them there (see SQLITE_SOURCES).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 15:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# (FTS table, source table, indexed column)
SQLITE_SOURCES = (
    ('messages_fts', 'messages', 'body'),
    ('tickets_fts', 'tickets', 'subject'),
    ('customers_fts', 'customers', 'name'),
)
# (index, table, column)
POSTGRES_INDEXES = (
    ('ix_messages_body_search', 'messages', 'body'),
    ('ix_tickets_subject_search', 'tickets', 'subject'),
    ('ix_customers_name_search', 'customers', 'name'),
)


def upgrade():
    op.create_table(
        'saved_views',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('args', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'name'),
    )
    if op.get_bind().dialect.name == 'postgresql':
        for index, table, column in POSTGRES_INDEXES:
            op.execute(
                f"CREATE INDEX {index} ON {table} USING gin (to_tsvector('simple', {column}))"
            )
        return
    for fts, table, column in SQLITE_SOURCES:
        op.execute(
            f"CREATE VIRTUAL TABLE {fts} USING fts5({column}, content='{table}', "
            f"content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO {fts}(rowid, {column}) VALUES (new.id, new.{column}); END"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.id, old.{column}); "
            "END"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {column} ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.id, old.{column}); "
            f"INSERT INTO {fts}(rowid, {column}) VALUES (new.id, new.{column}); END"
        )
        op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for index, _, _ in POSTGRES_INDEXES:
            op.execute(f"DROP INDEX {index}")
    else:
        for fts, _, _ in SQLITE_SOURCES:
            for event in ('insert', 'delete', 'update'):
                op.execute(f"DROP TRIGGER {fts}_{event}")
            op.execute(f"DROP TABLE {fts}")
    op.drop_table('saved_views')
