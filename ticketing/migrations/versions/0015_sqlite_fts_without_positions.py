"""SQLite's full-text indexes keep which rows hold a word, not where in them

Search asks only "does this row hold a word starting with this prefix" (every word of the
query, one token each: ticketing/search_terms.py), never for phrases, nearness or a rank.
FTS5's default detail=full also stores every position of every word, and a size for every
row; detail=none and columnsize=0 keep what the queries read, about two thirds less.
The FTS tables are made again and filled from their content tables; their triggers, on the
content tables, carry on. PostgreSQL's GIN indexes are untouched.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 17:30:00

"""
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

SQLITE_SOURCES = (  # (FTS table, content table, indexed column), as 0010 made them
    ('messages_fts', 'messages', 'body'),
    ('tickets_fts', 'tickets', 'subject'),
    ('customers_fts', 'customers', 'name'),
)
TOKENIZE = "tokenize='unicode61 remove_diacritics 2'"


def upgrade():
    _remake(f'{TOKENIZE}, detail=none, columnsize=0')


def downgrade():
    _remake(TOKENIZE)


def _remake(options: str) -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    for fts, table, column in SQLITE_SOURCES:
        op.execute(f'DROP TABLE {fts}')
        op.execute(
            f"CREATE VIRTUAL TABLE {fts} USING fts5({column}, content='{table}', "
            f"content_rowid='id', {options})"
        )
        op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")
