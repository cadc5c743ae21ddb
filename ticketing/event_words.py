"""What an Event says, in words for people: the ticket page's timeline and the collision
guard's list of changes (ticketing/live.py) both read them here. Event kinds and data stay
codes; only this module turns them into sentences."""

from ticketing.models import Event
from ticketing.models.enums import Status

MESSAGE_KINDS = {"created", "customer_message", "replied", "noted"}


def sentence(event: Event, *, at: str = "", quoted: str = "") -> str:
    """One sentence for `event`; `at` (a local time) follows the verb, and `quoted` (a
    message's excerpt) ends a sentence about a message."""
    data = event.data or {}
    when = f" {at}" if at else ""
    if quoted and event.kind == "created":  # about the words, not the opening
        return f"{actor(event)} wrote{when}: {quoted}"
    if event.kind in MESSAGE_KINDS:
        return _message_sentence(event, data, when) + (f": {quoted}" if quoted else "")
    if event.kind == "reply_not_delivered":
        return _not_delivered(event, data, when)
    by = f"by {event.actor.name}" if event.actor else "automatically"
    return f"{_what(event.kind, data)} {by}{when}"


def actor(event: Event) -> str:
    """Who did it, for a change list: the person, the customer, or Fuatilia itself."""
    if event.actor:
        return event.actor.name
    return "Customer" if event.kind in {"created", "customer_message"} else "Fuatilia"


def _message_sentence(event: Event, data: dict, when: str) -> str:
    who = actor(event)
    if event.kind == "created":
        via = f" by {_channel(data, event)}" if _channel(data, event) else ""
        opened_in = data.get("department") or _opened_in(event)
        into = f" in {opened_in}" if opened_in else ""
        after = f", following {data['previous']}" if data.get("previous") else ""
        return f"{who} opened the ticket{when}{via}{into}{after}"
    if event.kind == "noted":
        return f"{who} added a note{when}"
    if event.kind == "replied":
        failed = f" (not delivered: {data['not_delivered']})" if data.get("not_delivered") else ""
        return f"{who} replied{when}{failed}"
    if data.get("automated"):
        return f"An automatic reply came in{when}"
    return f"{data.get('sender') or who} wrote{when}"


def _not_delivered(event: Event, data: dict, when: str) -> str:
    """A reply refused after it was handed over: by which channel, the provider's code, and
    what became of the first response."""
    via = f" by {_channel(data, event)}" if _channel(data, event) else ""
    code = f" (code {data['code']})" if data.get("code") else ""
    answer = {
        "moved": "; the next reply is now the first answer",
        "cleared": "; the first answer is due again",
    }.get(data.get("first_response"), "")
    return f"A reply{via} was not delivered{when}{code}{answer}"


def _what(kind: str, data: dict) -> str:
    simple = {
        "status": lambda: (
            f"Status set to {_status_label(data.get('new'))}"
            + (", as the reply it waited on was not delivered" if data.get("because") else "")
        ),
        "assigned": lambda: f"Assigned to {data['new']}" if data.get("new") else "Unassigned",
        "transferred": lambda: (
            f"Transferred to {data.get('new', 'another department')}"
            + (f" from {data['old']}" if data.get("old") else "")
        ),
        "priority": lambda: f"Priority set to {data.get('new', '?')}",
        "merged_into": lambda: f"Merged into {data.get('target', 'another ticket')}",
        "merged_in": lambda: f"{data.get('source', 'Another ticket')} merged into this one",
        "follow_up": lambda: f"Follow-up sent ({_spaced(data.get('step', ''))})",
        "rated": lambda: f"Customer rated the help {data.get('score', '?')}/5",
        "bounced": lambda: (
            f"Email to {data.get('recipient', 'the customer')} bounced"
            + (f": {data['reason']}" if data.get("reason") else "")
        ),
        "delivery_delayed": lambda: f"Email to {data.get('recipient', 'the customer')} delayed",
        "cc_added": lambda: f"Copied {data.get('added', 'someone')} on replies",
        "cc_removed": lambda: f"Stopped copying {data.get('removed', 'someone')}",
        "product": lambda: f"Product details set ({data.get('product') or 'no product'})",
        "inbound_notes": lambda: f"Noted on arrival: {data.get('notes', '')}",
        "tagged": lambda: (
            "; ".join(
                part
                for part in (
                    f"Tagged {', '.join(data['added'])}" if data.get("added") else "",
                    f"Untagged {', '.join(data['removed'])}" if data.get("removed") else "",
                )
                if part
            )
            or "Tags changed"
        ),
    }
    if kind in simple:
        return simple[kind]()
    return _spaced(kind).capitalize()


def _channel(data: dict, event: Event) -> str:
    """The event's channel, or its ticket's: events leave out the channel the ticket says."""
    value = str(data.get("channel") or (event.ticket.channel if event.ticket else ""))
    return {"whatsapp": "WhatsApp", "walk_in": "a visit"}.get(value, value.upper())


def _opened_in(event: Event) -> str:
    """The department a ticket opened in: the one its first transfer left, or its own."""
    ticket = event.ticket
    if ticket is None:
        return ""
    moves = [e.data.get("old") for e in ticket.events if e.kind == "transferred"]
    return (moves[0] if moves else None) or ticket.department.name


def _spaced(code) -> str:
    return str(code).replace("_", " ")


def _status_label(value) -> str:
    return Status(value).label if value in Status._value2member_map_ else str(value)
