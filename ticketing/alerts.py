"""Who on the staff hears of a ticket that needs them, and what happens when nobody can."""

from sqlalchemy import select

from ticketing import events, notify
from ticketing.extensions import db
from ticketing.models import Ticket, User
from ticketing.models.enums import Role


def supervisor_of(ticket: Ticket) -> User | None:
    """The department's supervisor, or the first enabled supervisor or admin."""
    supervisor = ticket.department.supervisor
    if supervisor is None or not supervisor.is_enabled:
        supervisor = db.session.scalar(
            select(User)
            .where(User.role.in_([Role.SUPERVISOR, Role.ADMIN]), User.is_enabled)
            .order_by(User.id)
        )
    return supervisor


def alert(user: User | None, kind: str, ticket: Ticket, **context) -> None:
    """Owe `user` the alert; with nobody to tell, the ticket says so instead of staying mute."""
    if user is None:
        events.record(ticket, "nobody_to_alert", alert=kind)
        return
    notify.staff(user, kind, ticket, **context)
