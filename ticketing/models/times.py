"""How a moment is stored: naive UTC everywhere; on SQLite as whole microseconds since 1970.

SQLite has no time type: SQLAlchemy's DateTime writes a 26-character string there, and every
ticket carries ten of them, in the row and again in each index that orders by one. An integer
takes 6 bytes, compares and sorts as fast as an integer, and keeps the microseconds.
PostgreSQL keeps its own timestamp. SQL that computes with times on SQLite (durations, local
days) reads this form: ticketing/stats/sql.py.
"""

from datetime import UTC, datetime, timedelta

from sqlalchemy import DateTime
from sqlalchemy.dialects import sqlite
from sqlalchemy.types import TypeDecorator

EPOCH = datetime(1970, 1, 1)
MICROSECOND = timedelta(microseconds=1)
PER_SECOND = 1_000_000


def to_micros(moment: datetime) -> int:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return (moment - EPOCH) // MICROSECOND


def from_micros(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


class _Micros(sqlite.DATETIME):
    """Still declared DATETIME (NUMERIC affinity keeps an integer an integer, and the schema
    reads the same), but the values are Moment's integers, passed through untouched."""

    def bind_processor(self, dialect):
        return None

    def result_processor(self, dialect, coltype):
        return None


class Moment(TypeDecorator):
    """A naive UTC datetime: a timestamp on PostgreSQL, microseconds since 1970 on SQLite."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return _Micros()
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value, dialect):
        if value is None or dialect.name != "sqlite":
            return value
        return to_micros(value)

    def process_result_value(self, value, dialect):
        if value is None or dialect.name != "sqlite":
            return value
        if isinstance(value, str):  # text from before migration 0014 (or a process still on it)
            return datetime.fromisoformat(value)
        return from_micros(value)
