"""Tag names: what makes one acceptable, how agents type several, and which exist. The tags
themselves are written only by lifecycle.tag, which records each change as an event."""

import re

from sqlalchemy import func, select

from ticketing.extensions import db
from ticketing.models import Ticket, TicketTag

MAX_LENGTH = 40
MAX_PER_TICKET = 20  # a label, not a notebook: more is a mistake or an attack
ALLOWED = re.compile(r"[a-z0-9_-]+")
SEPARATORS = re.compile(r"[\s,]+")


class TagError(ValueError):
    """A tag name we refuse; `code` says why for programs, the message for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def normalise(name: str) -> str:
    """The stored form of a tag name: trimmed and lowercased; refused when empty, longer than
    40 characters, or holding anything but letters a-z, digits, - and _."""
    name = (name or "").strip().lower()
    if not name:
        raise TagError("tag_empty", "A tag needs a name.")
    if len(name) > MAX_LENGTH:
        raise TagError("tag_too_long", f"A tag is at most {MAX_LENGTH} characters.")
    if not ALLOWED.fullmatch(name):
        shown = name[:MAX_LENGTH]
        raise TagError(
            "tag_bad_characters",
            f"“{shown}” is not a tag: use letters a-z, digits, - and _ only.",
        )
    return name


def parse(text: str) -> list[str]:
    """The tag names in what an agent typed, separated by commas or spaces, each once."""
    names = [normalise(part) for part in SEPARATORS.split(text or "") if part]
    return list(dict.fromkeys(names))


def of(ticket: Ticket) -> list[str]:
    return sorted(tag.name for tag in ticket.tags)


def known(prefix: str = "", limit: int = 10) -> list[str]:
    """Tag names in use that start with `prefix`, the most used first, for suggestions."""
    prefix = (prefix or "").strip().lower()
    if prefix and not ALLOWED.fullmatch(prefix):
        return []
    escaped = prefix.replace("_", "\\_")  # "-" and letters need no escaping in LIKE
    uses = func.count(TicketTag.id)
    query = (
        select(TicketTag.name)
        .where(TicketTag.name.like(f"{escaped}%", escape="\\"))
        .group_by(TicketTag.name)
        .order_by(uses.desc(), TicketTag.name)
        .limit(max(1, min(limit, 100)))
    )
    return list(db.session.scalars(query))
