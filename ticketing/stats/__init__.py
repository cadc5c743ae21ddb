"""Report figures: SQL aggregates over indexed columns, never tickets loaded into Python.

scope: the period and filters; sql: percentiles, durations and local days on PostgreSQL and
SQLite alike; figures: what each number counts, so the queue, CSV and API list the same
tickets; tickets, follow_through, agents: the sections; summary: all of it, and as tables.
"""

from ticketing.stats.departments import (
    backlog_by_department,
    charter_record,
    filter_choices,
    silent_tickets,
)
from ticketing.stats.figures import FIGURES, tickets_behind
from ticketing.stats.scope import PERIODS, Scope, ScopeError
from ticketing.stats.summary import TABLES, summary, table

__all__ = [
    "FIGURES",
    "PERIODS",
    "TABLES",
    "Scope",
    "ScopeError",
    "backlog_by_department",
    "charter_record",
    "filter_choices",
    "silent_tickets",
    "summary",
    "table",
    "tickets_behind",
]
