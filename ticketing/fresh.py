"""Rows this transaction created: until it commits nobody else can see them, so nothing of
another transaction points at them yet (no ticket of a new customer, no message owed for a new
ticket), and the look-ups for such things can be skipped. Forgotten at commit and rollback,
after which other transactions may write for them.
"""

import weakref

from sqlalchemy import event
from sqlalchemy.orm import Session

from ticketing.extensions import db

KEY = "fresh.rows"


def mark(row) -> None:
    """`row` was inserted by the current transaction (not one found by a look-up)."""
    db.session.info.setdefault(KEY, weakref.WeakSet()).add(row)


def is_fresh(row) -> bool:
    """Whether the current transaction created `row`: whatever points at it is in this session."""
    rows = db.session.info.get(KEY)
    return rows is not None and row in rows


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget(session: Session, *args) -> None:
    session.info.pop(KEY, None)
