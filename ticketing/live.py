"""What changed while an agent had a page open: the ticket's version, the changes since it in
words, and the queue's news. Reads only; no schema of its own.

A ticket's version is the id of its newest Event: every lifecycle change writes one. The ticket
page carries it (`seen`) in its reply, note and status forms; an action submitted against an
older version, when someone else (a colleague, the customer, the system) has changed the ticket
since, is shown the changes instead of being carried out (ticketing/views/agent_ticket.py).
"""

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Select, func, or_, select

from ticketing import event_words, hours, search
from ticketing.event_words import MESSAGE_KINDS
from ticketing.extensions import db
from ticketing.models import Event, Message, Ticket, User

# Bookkeeping an agent need not confirm anything against: alert plumbing and notes on an
# inbound message that arrives with its own customer_message event.
QUIET = frozenset(
    {"breach_noted", "breach_alerted", "nobody_to_alert", "promise_reminder", "mentions"}
    | {"inbound_notes", "spooled"}
)
LISTED = 10  # changes spelled out in a notice; older ones are counted
EXCERPT = 120
# A row stamped just before a poll but committed just after it would fall between two polls:
# each poll looks this far back, and the page counts a ticket once per change.
SLACK = timedelta(seconds=10)
QUEUE_ITEMS = 50


@dataclass(frozen=True)
class Change:
    kind: str  # the Event's kind: a code for programs
    who: str
    when: str  # ISO, UTC
    words: str  # for people, in local time

    def as_json(self) -> dict:
        return asdict(self)


def newest_event_id(ticket: Ticket) -> int:
    return db.session.scalar(select(func.max(Event.id)).where(Event.ticket_id == ticket.id)) or 0


def parse_seen(value: str | None) -> int:
    """The version a form was loaded at; 0 (nothing seen) when missing or garbled, so the
    guard errs towards showing the agent what changed."""
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) <= 18 else 0


def lock(ticket: Ticket) -> None:
    """Hold the ticket's row until commit (PostgreSQL), so two agents sending at the same moment
    are checked one after the other: the second sees the first one's reply."""
    db.session.execute(select(Ticket.id).where(Ticket.id == ticket.id).with_for_update())


def changes_since(ticket: Ticket, seen: int, user: User) -> tuple[list[Change], int]:
    """What others did to the ticket after version `seen` (newest LISTED, oldest first), and
    how many such changes there are in all."""
    others = (
        Event.ticket_id == ticket.id,
        Event.id > seen,
        Event.kind.not_in(QUIET),
        or_(Event.actor_id.is_(None), Event.actor_id != user.id),
    )
    total = db.session.scalar(select(func.count()).where(*others))
    if not total:
        return [], 0
    rows = db.session.scalars(select(Event).where(*others).order_by(Event.id.desc()).limit(LISTED))
    events = list(reversed(rows.all()))
    messages = _messages_near(ticket, events)
    return [_change(event, messages) for event in events], total


def _messages_near(ticket: Ticket, events: list[Event]) -> list[Message]:
    """The thread's messages written during these events, to quote them."""
    if not any(event.kind in MESSAGE_KINDS for event in events):
        return []
    start = min(event.created_at for event in events)
    return db.session.scalars(
        select(Message)
        .where(Message.ticket_id == ticket.id, Message.created_at >= start - timedelta(seconds=5))
        .order_by(Message.id)
    ).all()


def _change(event: Event, messages: list[Message]) -> Change:
    quoted = _excerpt(_message_of(event, messages)) if event.kind in MESSAGE_KINDS else ""
    words = event_words.sentence(event, at=_local(event.created_at), quoted=quoted)
    return _made(event, event_words.actor(event), words)


def _made(event: Event, who: str, words: str) -> Change:
    return Change(event.kind, who, event.created_at.isoformat(timespec="seconds") + "Z", words)


def _message_of(event: Event, messages: list[Message]) -> Message | None:
    """The message the event was written with: the newest of its kind and author up to it."""
    if event.kind == "noted":
        wanted = [m for m in messages if m.is_internal and m.author_id == event.actor_id]
    elif event.kind == "replied":
        wanted = [
            m
            for m in messages
            if not m.is_internal and m.author_id == event.actor_id and m.direction == "outbound"
        ]
    else:
        wanted = [m for m in messages if m.direction == "inbound"]
    wanted = [m for m in wanted if m.created_at <= event.created_at]
    return wanted[-1] if wanted else None


def _excerpt(message: Message | None) -> str:
    text = " ".join((message.body or "").split()) if message else ""
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"


def _local(moment: datetime) -> str:
    return hours.to_local(moment, current_app.config["TIMEZONE"]).strftime("%H:%M")


# -- the queue ---------------------------------------------------------------------------------


def parse_since(value: str | None) -> datetime | None:
    """The queue page's last poll time (ISO; with an offset, or UTC); None when unusable."""
    if not value or len(value) > 40:
        return None
    try:
        return hours.parse_utc(value)
    except ValueError:
        return None


def queue_news(query: Select, since: datetime, user: User) -> dict:
    """The queue view's count now, its tickets new or changed since `since`, and the tickets
    given to `user` by someone else (or by routing) since then."""
    count, more = search.capped_count(query)
    after = since - SLACK
    changed = db.session.scalars(
        query.order_by(None)
        .where(Ticket.updated_at > after)
        .order_by(Ticket.updated_at.desc())
        .limit(QUEUE_ITEMS)
    ).all()
    return {
        "count": count,  # capped like the page's: with "more", at least this many
        "more": more,
        "count_words": search.Page([], 1, 1, count, more).total_words,
        "changed": [_ticket_item(ticket, ticket.updated_at) for ticket in changed],
        "assigned": _assigned_to(user, after),
        "now": iso(hours.now()),
    }


def _assigned_to(user: User, after: datetime) -> list[dict]:
    tickets = db.session.scalars(
        select(Ticket)
        .where(Ticket.assignee_id == user.id, Ticket.assigned_at > after)
        .order_by(Ticket.assigned_at.desc())
        .limit(QUEUE_ITEMS)
    ).all()
    news = []
    for ticket in tickets:
        event = db.session.scalar(
            select(Event)
            .where(Event.ticket_id == ticket.id, Event.kind == "assigned")
            .order_by(Event.id.desc())
            .limit(1)
        )
        if event is not None and event.actor_id == user.id:
            continue  # they took it themselves
        by = event.actor.name if event is not None and event.actor else None
        item = _ticket_item(ticket, ticket.assigned_at)
        item["by"] = by
        item["words"] = f"{ticket.reference} was assigned to you" + (f" by {by}" if by else "")
        news.append(item)
    return news


def _ticket_item(ticket: Ticket, at: datetime) -> dict:
    return {
        "id": ticket.id,
        "reference": ticket.reference,
        "subject": ticket.subject,
        "at": iso(at),
    }


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds") + "Z"
