"""CSV for the exports: the tickets behind a number, and any report table, safe to open in a
spreadsheet (a cell that starts like a formula is quoted so it stays text)."""

import csv
import io
import itertools
from collections.abc import Iterable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import aliased

from ticketing.extensions import db
from ticketing.models import Customer, Department, Ticket, TicketTag, User

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")
TICKET_COLUMNS = [
    ("reference", Ticket.reference),
    ("subject", Ticket.subject),
    ("status", Ticket.status),
    ("priority", Ticket.priority),
    ("category", Ticket.category),
    ("channel", Ticket.channel),
    ("department", Department.name),
    ("assignee", User.name),
    ("customer", Customer.name),
    ("created_at", Ticket.created_at),
    ("first_response_at", Ticket.first_response_at),
    ("resolved_at", Ticket.resolved_at),
    ("closed_at", Ticket.closed_at),
    ("first_response_due_at", Ticket.first_response_due_at),
    ("resolution_due_at", Ticket.resolution_due_at),
    ("first_response_business_minutes", Ticket.first_response_business_minutes),
    ("resolution_business_minutes", Ticket.resolution_business_minutes),
    ("reopened_count", Ticket.reopened_count),
    ("satisfaction_score", Ticket.satisfaction_score),
    ("tags", Ticket.id),  # replaced by the ticket's tag names, space separated
]
BATCH = 500


def ticket_rows(ids) -> Iterator[list]:
    """The export columns of the tickets whose ids `ids` selects, oldest first, streamed."""
    assignee = aliased(User)
    columns = [assignee.name if column is User.name else column for _, column in TICKET_COLUMNS]
    query = (
        select(*columns)
        .join(Department, Department.id == Ticket.department_id)
        .join(Customer, Customer.id == Ticket.customer_id)
        .outerjoin(assignee, assignee.id == Ticket.assignee_id)
        .where(Ticket.id.in_(ids))
        .order_by(Ticket.id)
        .execution_options(yield_per=1000)
    )
    rows = db.session.execute(query)
    while batch := rows.fetchmany(BATCH):
        names = _tag_names([row[-1] for row in batch])
        for row in batch:
            yield [*row[:-1], " ".join(names.get(row[-1], ()))]


def _tag_names(ticket_ids: list[int]) -> dict[int, list[str]]:
    """The tag names of a batch of tickets, in one query (a ticket has a handful)."""
    names: dict[int, list[str]] = {}
    query = (
        select(TicketTag.ticket_id, TicketTag.name)
        .where(TicketTag.ticket_id.in_(ticket_ids))
        .order_by(TicketTag.name)
    )
    for ticket_id, name in db.session.execute(query):
        names.setdefault(ticket_id, []).append(name)
    return names


def csv_lines(columns: list[str], rows: Iterable[list]) -> Iterator[str]:
    """CSV text, a line at a time: enums as their values, times as ISO UTC."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for values in itertools.chain([columns], rows):
        writer.writerow([_cell(value) for value in values])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def _cell(value):
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return (
            value.isoformat(timespec="seconds") + "Z"
            if hasattr(value, "hour")
            else value.isoformat()
        )
    value = getattr(value, "value", value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
