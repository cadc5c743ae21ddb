"""Department figures: backlog, silent tickets, and the public charter record."""

from sqlalchemy import case, func, select

from ticketing import hours
from ticketing.extensions import db
from ticketing.models import Department, Ticket, User
from ticketing.models.enums import ACTIVE_STATUSES, OPEN_STATUSES, Status


def backlog_by_department() -> list:
    """Per department: open tickets by status, and how many are past their charter deadline."""
    now = hours.now()
    query = (
        select(
            Department.id,
            Department.name,
            func.count(Ticket.id).label("open"),
            func.sum(case((Ticket.status == Status.NEW, 1), else_=0)).label("new"),
            func.sum(case((Ticket.status == Status.PENDING_CUSTOMER, 1), else_=0)).label("pending"),
            func.sum(case((Ticket.due_at < now, 1), else_=0)).label("breached"),
        )
        .join(
            Ticket,
            (Ticket.department_id == Department.id) & Ticket.status.in_(OPEN_STATUSES),
            isouter=True,
        )
        .group_by(Department.id, Department.name)
        .order_by(Department.name)
    )
    return db.session.execute(query).all()


def silent_tickets(limit: int = 50) -> list[Ticket]:
    """Tickets still in progress with no next step planned: each one is a defect."""
    return db.session.scalars(
        select(Ticket)
        .where(Ticket.status.in_(ACTIVE_STATUSES), Ticket.next_follow_up_at.is_(None))
        .order_by(Ticket.id)
        .limit(limit)
    ).all()


def charter_record() -> list[dict]:
    """Per department, this month: first answers given, and how many within the charter."""
    start = hours.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    counts = dict(
        (row.department_id, row)
        for row in db.session.execute(
            select(
                Ticket.department_id,
                func.count(Ticket.id).label("answered"),
                func.sum(
                    case((Ticket.first_response_at <= Ticket.first_response_due_at, 1), else_=0)
                ).label("in_time"),
            )
            .where(Ticket.first_response_at >= start)
            .group_by(Ticket.department_id)
        )
    )
    rows = []
    for department in db.session.scalars(select(Department).order_by(Department.name)):
        row = counts.get(department.id)
        rows.append(
            {
                "department": department,
                "answered": row.answered if row else 0,
                "answered_in_time": (row.in_time or 0) if row else 0,
            }
        )
    return rows


def filter_choices() -> tuple[list[Department], list[User]]:
    """The departments and the staff a report can be narrowed to."""
    departments = db.session.scalars(select(Department).order_by(Department.name)).all()
    people = db.session.scalars(select(User).where(User.is_enabled).order_by(User.name)).all()
    return list(departments), list(people)
