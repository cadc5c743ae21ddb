"""The per-agent table: each agent's open work, speed, compliance, promises and ratings.

Tickets count for their current assignee; promises for the agent who made them.
"""

from sqlalchemy import func, or_, select

from ticketing.extensions import db
from ticketing.models import Ticket, User, user_departments
from ticketing.models.enums import OPEN_STATUSES, Role
from ticketing.stats import sql, tickets
from ticketing.stats.follow_through import agent_satisfaction
from ticketing.stats.scope import Scope


def agents(scope: Scope, timings: dict, kept: dict, silenced: dict | None = None) -> list[dict]:
    """One row per agent with work in scope, and every enabled agent of the filtered team.
    `timings`, `kept` and `silenced`: tickets.times(), follow_through.promises() and
    tickets.silence(), per agent."""
    silenced = tickets.silence(scope) if silenced is None else silenced
    closed_silent = {}
    for (_, agent_id), n in silenced.items():
        closed_silent[agent_id] = closed_silent.get(agent_id, 0) + n
    open_now = dict(
        db.session.execute(
            select(Ticket.assignee_id, func.count())
            .where(
                Ticket.status.in_(OPEN_STATUSES),
                Ticket.assignee_id.is_not(None),
                *scope.ticket_conditions(),
            )
            .group_by(Ticket.assignee_id)
        ).all()
    )
    ratings = agent_satisfaction(scope)
    ids = (
        set(open_now)
        | set(kept)
        | set(ratings)
        | set(closed_silent)
        | {key for figures in timings.values() for key in figures}
    )
    rows = []
    for user in _people(scope, ids - {None, sql.TOTAL}):
        answered = timings["first_response"].get(user.id) or tickets.timing(None)
        resolved = timings["resolution"].get(user.id) or tickets.timing(None)
        rows.append(
            {
                "agent_id": user.id,
                "name": user.name,
                "open": open_now.get(user.id, 0),
                "answered": answered["count"],
                "answered_in_time_percent": answered["in_time_percent"],
                "first_response_median_business_minutes": answered["business_minutes"]["median"],
                "resolved": resolved["count"],
                "resolved_in_time": resolved["in_time"],
                "resolved_in_time_percent": resolved["in_time_percent"],
                "resolution_median_business_minutes": resolved["business_minutes"]["median"],
                "closed_for_silence": closed_silent.get(user.id, 0),
                "promises_kept": kept.get(user.id, {}).get("kept", 0),
                "promises_missed": kept.get(user.id, {}).get("missed", 0),
                "promises_kept_percent": kept.get(user.id, {}).get("kept_percent"),
                "ratings": ratings.get(user.id, {}).get("ratings", 0),
                "satisfaction_average": ratings.get(user.id, {}).get("average"),
            }
        )
    return rows


def _people(scope: Scope, ids: set) -> list[User]:
    if scope.agent_id is not None:
        ids, team = {scope.agent_id}, None
    else:
        team = (User.role == Role.AGENT) & User.is_enabled
        if scope.department_id is not None:
            members = select(user_departments.c.user_id).where(
                user_departments.c.department_id == scope.department_id
            )
            team = team & User.id.in_(members)
    wanted = User.id.in_(ids) if team is None else or_(User.id.in_(ids), team)
    return list(db.session.scalars(select(User).where(wanted).order_by(User.name, User.id)))
