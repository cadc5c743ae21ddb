"""One change to many tickets at once, from the queue: each ticket is re-checked against what
the agent may see, changed through the lifecycle (one event each, the usual notifications),
or skipped with a code that says why. The caller commits once, for the whole batch."""

from dataclasses import dataclass

from sqlalchemy import select

from ticketing import lifecycle, tags
from ticketing.extensions import db
from ticketing.models import Department, Ticket, User
from ticketing.models.enums import Priority, Status
from ticketing.security import can_see, visible_tickets

LIMIT = 100  # tickets in one batch: a page of the queue at most
ACTIONS = ("assign", "transfer", "status", "priority", "add_tag", "remove_tag", "merge")


class BulkError(ValueError):
    """A batch refused as a whole, before any ticket is touched; `code` for programs."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Outcome:
    """What happened to one selected ticket: `code` is "done", "unchanged" or why it was
    skipped; `detail` is for people."""

    ticket_id: int
    reference: str
    code: str
    detail: str = ""

    @property
    def is_done(self) -> bool:
        return self.code == "done"


def ticket_ids(values: list[str]) -> list[int]:
    """The selected ids, each once, in the order given; refused when none, too many or forged."""
    if not values:
        raise BulkError("none_selected", "Select at least one ticket.")
    if any(not value.isdigit() or len(value) > 12 for value in values):
        raise BulkError("bad_selection", "The selection is not a list of tickets.")
    ids = list(dict.fromkeys(int(value) for value in values))
    if len(ids) > LIMIT:
        raise BulkError(
            "too_many", f"Select at most {LIMIT} tickets at once ({len(ids)} selected)."
        )
    return ids


def apply(user: User, ids: list[int], action: str, value: str) -> list[Outcome]:
    """Make `action` with `value` on each ticket of `ids` that `user` may see."""
    if action not in ACTIONS:
        raise BulkError("bad_action", "Choose what to do with the selected tickets.")
    goal = _goal(user, action, (value or "").strip())
    found = db.session.scalars(visible_tickets(user).where(Ticket.id.in_(ids))).all()
    by_id = {ticket.id: ticket for ticket in found}
    outcomes = []
    for ticket_id in ids:
        ticket = by_id.get(ticket_id)
        if ticket is None:  # gone, or in a department this agent does not work in
            outcomes.append(Outcome(ticket_id, "", "not_found", "not a ticket you can see"))
            continue
        outcomes.append(_one(ticket, action, goal, user))
    return outcomes


def _goal(user: User, action: str, value: str):
    """The value of the change, looked up once for the whole batch."""
    if action in ("add_tag", "remove_tag"):
        return _tag_names(value)
    if action == "merge":
        target = db.session.scalar(select(Ticket).where(Ticket.reference == value.upper()))
        if target is None or not can_see(user, target):
            raise BulkError("unknown_target", f"No ticket {value or '(empty)'} that you can see.")
        return target
    model, code, message = {
        "assign": (User, "unknown_agent", "Choose an agent to assign the tickets to."),
        "transfer": (Department, "unknown_department", "Choose a department to move them to."),
        "status": (Status, "unknown_status", "Choose a status."),
        "priority": (Priority, "unknown_priority", "Choose a priority."),
    }[action]
    if model in (Status, Priority):
        if value not in model._value2member_map_:
            raise BulkError(code, message)
        return model(value)
    row = db.session.get(model, int(value)) if value.isdigit() and len(value) < 12 else None
    if row is None or (model is User and not row.is_enabled):
        raise BulkError(code, message)
    return row


def _tag_names(value: str) -> list[str]:
    try:
        names = tags.parse(value)
    except tags.TagError as error:
        raise BulkError(error.code, str(error)) from error
    if not names:
        raise BulkError("tag_empty", "Type the tag to add or remove.")
    return names


def _one(ticket: Ticket, action: str, goal, user: User) -> Outcome:
    # Each lifecycle call checks before it writes, so a refusal leaves the ticket untouched.
    try:
        code, detail = _CHANGES[action](ticket, goal, user)
    except (lifecycle.TransitionError, tags.TagError) as error:
        code, detail = "refused", str(error)
    return Outcome(ticket.id, ticket.reference, code, detail)


def _assign(ticket: Ticket, agent: User, user: User):
    if ticket.department not in agent.departments:
        return "not_in_department", f"{agent.name} is not in {ticket.department.name}"
    if ticket.assignee == agent:
        return "unchanged", f"already with {agent.name}"
    lifecycle.assign(ticket, agent, by=user)
    return "done", f"assigned to {agent.name}"


def _transfer(ticket: Ticket, department: Department, user: User):
    if ticket.department == department:
        return "unchanged", f"already in {department.name}"
    lifecycle.transfer(ticket, department, by=user)
    return "done", f"transferred to {department.name}"


def _status(ticket: Ticket, status: Status, user: User):
    if ticket.status == status:
        return "unchanged", f"already {status.label}"
    if status not in lifecycle.NEXT[ticket.status]:  # NEW is in none: never back to new
        return "not_allowed", f"cannot go from {ticket.status.label} to {status.label}"
    lifecycle.set_status(ticket, status, by=user)
    return "done", f"status {status.label}"


def _priority(ticket: Ticket, priority: Priority, user: User):
    if ticket.priority == priority:
        return "unchanged", f"already {priority.value}"
    lifecycle.set_priority(ticket, priority, by=user)
    return "done", f"priority {priority.value}"


def _add_tags(ticket: Ticket, names: list[str], user: User):
    if lifecycle.tag(ticket, add=names, by=user):
        return "done", "tagged " + ", ".join(names)
    return "unchanged", "already tagged " + ", ".join(names)


def _remove_tags(ticket: Ticket, names: list[str], user: User):
    if lifecycle.tag(ticket, remove=names, by=user):
        return "done", "untagged " + ", ".join(names)
    return "unchanged", "had no tag " + ", ".join(names)


def _merge(ticket: Ticket, target: Ticket, user: User):
    if ticket.id == target.id:
        return "merge_target", "the ticket the others were merged into"
    lifecycle.merge(ticket, target, by=user)
    return "done", f"merged into {target.reference}"


_CHANGES = {
    "assign": _assign,
    "transfer": _transfer,
    "status": _status,
    "priority": _priority,
    "add_tag": _add_tags,
    "remove_tag": _remove_tags,
    "merge": _merge,
}
