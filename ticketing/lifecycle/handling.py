"""Who handles a ticket and how urgently: its assignee, department, priority, product."""

from ticketing import alerts, charter, events, hours, notify, routing
from ticketing.errors import TransitionError
from ticketing.lifecycle import base
from ticketing.models import Department, Ticket, User
from ticketing.models.enums import Priority


def assign(ticket: Ticket, assignee: User | None, *, by: User | None) -> None:
    if assignee is not None and ticket.department not in assignee.departments:
        raise TransitionError(f"{assignee.name} is not in {ticket.department.name}")
    if assignee == ticket.assignee:
        return
    base.set_assignee(ticket, assignee, by=by, now=hours.now())
    if assignee is not None:
        notify.customer(ticket, "assigned", update=True)
        alerts.tell_assignee(ticket, assignee, by=by)  # unless they took it themselves


def transfer(ticket: Ticket, department: Department, *, by: User | None) -> None:
    """Move the ticket to another department; its agents take it from there."""
    if department == ticket.department:
        return
    events.record(ticket, "transferred", by, old=ticket.department.name, new=department.name)
    ticket.department = department
    if ticket.assignee is not None and department not in ticket.assignee.departments:
        base.set_assignee(ticket, routing.pick_assignee(department), by=by, now=hours.now())
    base.touch(ticket)


def hand_over(ticket: Ticket, successor: User) -> None:
    """Give the ticket to another agent on duty without telling the customer (they are away)."""
    base.set_assignee(ticket, successor, by=None, now=hours.now())


def set_priority(ticket: Ticket, priority: Priority, *, by: User | None) -> None:
    """Change priority; the charter's due times follow the new priority's targets."""
    if priority == ticket.priority:
        return
    events.record(ticket, "priority", by, old=ticket.priority.value, new=priority.value)
    previous = charter.targets(ticket)
    ticket.priority = priority
    if ticket.is_open:
        charter.retarget(ticket, hours.now(), previous)
    base.plan(ticket, hours.now())


def set_product(
    ticket: Ticket, *, by: User | None, product: str, serial_number: str, purchase_date
) -> None:
    ticket.product = product.strip()[:120] or None
    ticket.serial_number = serial_number.strip()[:80] or None
    ticket.purchase_date = purchase_date
    events.record(ticket, "product", by, product=ticket.product, serial=ticket.serial_number)
