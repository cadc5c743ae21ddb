"""The tags on a ticket: added and removed together, one event per change."""

from ticketing import events, tags
from ticketing.lifecycle import base
from ticketing.models import Ticket, TicketTag, User


def tag(ticket: Ticket, *, add=(), remove=(), by: User | None) -> bool:
    """Add and remove tag names (normalised; a name in both is left as it is); one "tagged"
    event when anything changed. Returns whether anything did."""
    adding = [tags.normalise(name) for name in add]
    removing = {tags.normalise(name) for name in remove}
    current = {row.name: row for row in ticket.tags}
    added = [name for name in dict.fromkeys(adding) if name not in set(current) | removing]
    removed = sorted(name for name in removing - set(adding) if name in current)
    if not added and not removed:
        return False
    if len(current) + len(added) - len(removed) > tags.MAX_PER_TICKET:
        raise tags.TagError("tag_too_many", f"A ticket holds at most {tags.MAX_PER_TICKET} tags.")
    for name in removed:
        ticket.tags.remove(current[name])
    for name in added:
        ticket.tags.append(TicketTag(name=name))
    events.record(ticket, "tagged", by, added=added or None, removed=removed or None)
    base.touch(ticket)
    return True
