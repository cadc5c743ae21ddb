"""The settings every ticket reads, read once per process and kept until they change:
departments (working hours, policy), routing rules, charter targets, holidays, lines and the
admins' message wording.

They are kept per app (one app is one gunicorn or RQ worker process) as plain values, never
as ORM rows of a session that is gone, under the token of the one-row `settings_version`
stamp. A transaction that asks for them reads the stamp once (one primary-key SELECT) and
reads everything again when it differs. A flush that inserts, updates or deletes a settings
row writes a new stamp in the same transaction (the after_flush hook below), so every other
process sees the change at its next request or job once it commits, and never sees one that
was rolled back. The transaction that made the change reads the settings afresh until it
ends, and keeps them to itself.

Why a SELECT per transaction and not none: a stamp outside the database (Redis, a file, a
time to live) is written after the commit, so a crash or a lost write in between leaves
other workers on old settings; PostgreSQL's NOTIFY is transactional but arrives a moment
after the commit, so the page an admin is sent to next, served by another worker, could
still show the old settings; and SQLite has neither. The stamp costs one indexed read
(about 30 microseconds on SQLite), against the five settings queries it replaces.
"""

import copy
import secrets
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from sqlalchemy import event, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, make_transient_to_detached

from ticketing.extensions import db
from ticketing.models import (
    CharterTarget,
    Department,
    Holiday,
    Line,
    MessageTemplate,
    RoutingRule,
    SettingsVersion,
)
from ticketing.models.enums import Category, Channel, Priority, Provider

SETTINGS_MODELS = (Department, RoutingRule, CharterTarget, Holiday, Line, MessageTemplate)
STAMP_ID = 1
# session.info keys: the settings this transaction reads; whether it changed any
CURRENT, CHANGED = "settings.current", "settings.changed"


@dataclass(frozen=True)
class Rule:
    department_id: int
    keyword_list: tuple[str, ...]
    channel: Channel | None
    category: Category | None


@dataclass(frozen=True)
class LineRow:
    id: int
    provider: Provider
    channel: Channel
    address: str
    department_id: int | None
    label: str
    is_enabled: bool

    @property
    def key(self) -> str:
        return f"{Provider(self.provider).value}:{self.address}"


@dataclass
class Settings:
    stamp: str | None
    departments: dict[int, dict]  # column values by id
    default_department_id: int | None
    rules: tuple[Rule, ...]  # in the order they are tried
    targets: dict[tuple[int, Priority], tuple[int, int]]  # (first response, resolution) minutes
    holidays: frozenset[date]
    lines: tuple[LineRow, ...]  # by id: a department's oldest line comes first
    templates: dict[tuple[str, str, Channel], tuple[str, str]]  # (subject, body)
    calendars: dict = field(default_factory=dict)  # ticketing/charter.py's, built once each


def current() -> Settings:
    """The settings as this transaction sees them."""
    session = db.session()
    if session.autoflush and _touched(session):
        session.flush()  # a change not yet written counts at once, as a query would see it
    settings = session.info.get(CURRENT)
    if settings is not None:
        return settings
    stamp = session.scalar(select(SettingsVersion.token).where(SettingsVersion.id == STAMP_ID))
    if session.info.get(CHANGED):
        settings = _load(session, stamp)  # this transaction's own changes: not for others
    else:
        kept = current_app.extensions.get("settings_cache")
        if kept is None or kept.stamp != stamp:
            kept = current_app.extensions["settings_cache"] = _load(session, stamp)
        settings = kept
    session.info[CURRENT] = settings
    return settings


def department(department_id: int) -> Department:
    """The department as a row of this session, made from the kept values without a query."""
    session = db.session()
    key = inspect(Department).identity_key_from_primary_key((department_id,))
    row = session.identity_map.get(key)
    if row is not None:
        return row
    values = current().departments.get(department_id)
    if values is None:  # written behind the ORM's back (raw SQL): ask the database
        return session.get(Department, department_id)
    row = Department(**copy.deepcopy(values))
    make_transient_to_detached(row)  # as if just loaded: clean, nothing to write
    session.add(row)
    return row


def _load(session: Session, stamp: str | None) -> Settings:
    """Every settings row, read after the stamp: a change committed in between is read too
    and kept under the older stamp, which only means reading it again next time."""
    columns = [c.key for c in inspect(Department).column_attrs]
    departments = {
        row.id: {name: getattr(row, name) for name in columns}
        for row in session.execute(select(*(getattr(Department, n) for n in columns)))
    }
    defaults = sorted(i for i, values in departments.items() if values["is_default"])
    rules = tuple(
        Rule(rule.department_id, tuple(rule.keyword_list), rule.channel, rule.category)
        for rule in session.scalars(
            select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id)
        )
    )
    targets = {
        (row.department_id, Priority(row.priority)): (
            row.first_response_minutes,
            row.resolution_minutes,
        )
        for row in session.execute(select(CharterTarget.__table__))
    }
    line_columns = [c.key for c in inspect(Line).column_attrs if c.key != "created_at"]
    lines = tuple(
        LineRow(**{name: getattr(row, name) for name in line_columns})
        for row in session.execute(
            select(*(getattr(Line, n) for n in line_columns)).order_by(Line.id)
        )
    )
    templates = {
        (row.kind, row.language, Channel(row.channel)): (row.subject, row.body)
        for row in session.execute(select(MessageTemplate.__table__))
    }
    return Settings(
        stamp=stamp,
        departments=departments,
        default_department_id=(defaults or sorted(departments) or [None])[0],
        rules=rules,
        targets=targets,
        holidays=frozenset(session.scalars(select(Holiday.day))),
        lines=lines,
        templates=templates,
    )


def _touched(session: Session) -> bool:
    """Whether the session holds a settings row to insert, change or delete."""
    if any(isinstance(item, SETTINGS_MODELS) for item in (*session.new, *session.deleted)):
        return True
    return any(
        isinstance(item, SETTINGS_MODELS) and session.is_modified(item, include_collections=False)
        for item in session.dirty
    )


@event.listens_for(Session, "after_flush")
def _stamp_changes(session: Session, context) -> None:
    """A flush that wrote settings writes a new stamp too, in the same transaction: it is
    seen by other processes when (and only if) the transaction commits."""
    if not _touched(session):  # still the flush's own lists at this point
        return
    token = secrets.token_hex(16)
    connection = session.connection()
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    table = SettingsVersion.__table__
    connection.execute(
        dialect.insert(table)
        .values(id=STAMP_ID, token=token)
        .on_conflict_do_update(index_elements=[table.c.id], set_={"token": token})
    )
    session.info[CHANGED] = True
    session.info.pop(CURRENT, None)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget(session: Session, *args) -> None:
    """The next transaction reads the stamp again; it may see another process's change."""
    session.info.pop(CURRENT, None)
    session.info.pop(CHANGED, None)


@event.listens_for(Session, "after_soft_rollback")
def _forget_current(session: Session, previous_transaction) -> None:
    session.info.pop(CURRENT, None)
