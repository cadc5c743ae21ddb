"""SQLite keeps times as whole microseconds since 1970 (ticketing/models/times.py)

Every value of every DATETIME column, found by reflection, is rewritten in place from
SQLAlchemy's 26-character text ('2026-12-03 14:00:00.123456') to an integer: the columns'
NUMERIC affinity keeps it as one, so no table is rebuilt, and indexes follow the rows.
PostgreSQL is untouched. The file shrinks only after a VACUUM.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 17:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

TO_MICROS = (
    "CAST(strftime('%s', {c}) AS INTEGER) * 1000000"
    " + CAST(substr({c} || '000000', 21, 6) AS INTEGER)"
)
TO_TEXT = (
    "strftime('%Y-%m-%d %H:%M:%S', {c} / 1000000, 'unixepoch')"
    " || printf('.%06d', {c} % 1000000)"
)


def upgrade():
    _rewrite(TO_MICROS, 'text')


def downgrade():
    _rewrite(TO_TEXT, 'integer')


def _rewrite(expression: str, stored_as: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        return
    inspector = sa.inspect(bind)
    for table in inspector.get_table_names():
        for column in inspector.get_columns(table):
            if isinstance(column['type'], sa.DateTime):
                name = f'"{column["name"]}"'
                op.execute(
                    f'UPDATE "{table}" SET {name} = {expression.format(c=name)}'
                    f" WHERE typeof({name}) = '{stored_as}'"
                )
