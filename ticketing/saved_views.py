"""Queue views an agent saved under a name: the queue's arguments, listed for that agent only.
The one writer of SavedView rows; the view commits."""

import re
from urllib.parse import parse_qsl

from sqlalchemy import func, select

from ticketing.extensions import db
from ticketing.models import SavedView, User

KEYS = ("view", "q", "status", "priority", "channel", "department", "assignee", "category")
KEYS += ("tag", "sort", "dir")
MAX_NAME = 60
MAX_VALUE = 200
MAX_PER_AGENT = 30
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u2028-\u202e\ufeff]")


class Refused(ValueError):
    """A view we will not save; `code` for programs, `message` for the agent."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def listed(user: User) -> list[SavedView]:
    return db.session.scalars(
        select(SavedView).where(SavedView.user_id == user.id).order_by(SavedView.name)
    ).all()


def save(user: User, name: str, query_string: str) -> SavedView:
    """Keep the queue's arguments (from its query string) under a name of the agent's."""
    name = " ".join((name or "").split())
    if not name:
        raise Refused("name_missing", "Give the view a name.")
    if len(name) > MAX_NAME:
        raise Refused("name_too_long", f"A view's name is at most {MAX_NAME} characters.")
    if _UNPRINTABLE.search(name):
        raise Refused("name_unprintable", "A view's name may not hold invisible characters.")
    mine = select(func.lower(SavedView.name)).where(SavedView.user_id == user.id)
    names = set(db.session.scalars(mine))
    if name.lower() in names:
        raise Refused("name_taken", f"You already have a view called “{name}”.")
    if len(names) >= MAX_PER_AGENT:
        raise Refused("too_many", f"You can keep {MAX_PER_AGENT} views: delete one first.")
    view = SavedView(user_id=user.id, name=name, args=queue_args(query_string))
    db.session.add(view)
    db.session.flush()
    return view


def queue_args(query_string: str) -> dict:
    """The queue arguments in a query string, and nothing else (each value cut to MAX_VALUE)."""
    pairs = parse_qsl((query_string or "")[: MAX_VALUE * len(KEYS)], keep_blank_values=True)
    return {key: value[:MAX_VALUE] for key, value in pairs if key in KEYS}


def delete(user: User, view_id: int) -> SavedView | None:
    """Delete one of the agent's own views; None when it is not theirs (or not there)."""
    view = db.session.get(SavedView, view_id)
    if view is None or view.user_id != user.id:
        return None
    db.session.delete(view)
    return view
