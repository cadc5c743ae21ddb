"""Where a new ticket goes: the department whose rule matches first, then its least-loaded agent."""

import re

from sqlalchemy import and_, bindparam, func, select

from ticketing import settings_cache
from ticketing.extensions import db
from ticketing.models import Department, RoutingRule, Ticket, User, user_departments
from ticketing.models.enums import OPEN_STATUSES, Category, Channel, Role


def rule_matches(
    rule: RoutingRule | settings_cache.Rule, text: str, channel: Channel, category: Category
) -> bool:
    if rule.channel and rule.channel != channel:
        return False
    if rule.category and rule.category != category:
        return False
    keywords = rule.keyword_list
    if keywords and not any(re.search(rf"\b{re.escape(k)}", text) for k in keywords):
        return False
    return bool(keywords or rule.channel or rule.category)


def pick_department(text: str, channel: Channel, category: Category) -> Department:
    """The department of the first matching rule, else the default department (the first
    marked default, else the oldest). Rules and departments are the kept settings: no query."""
    haystack = text.lower()
    settings = settings_cache.current()
    for rule in settings.rules:
        if rule_matches(rule, haystack, channel, category):
            return settings_cache.department(rule.department_id)
    if settings.default_department_id is None:
        raise LookupError("no department exists: create one first (flask --app wsgi seed-demo)")
    return settings_cache.department(settings.default_department_id)


def pick_assignee(department: Department) -> User | None:
    """The on-duty agent of the department with the fewest open tickets; ties go to whoever
    was assigned least recently. None when nobody is on duty."""
    return db.session.scalar(_ON_DUTY, {"department_id": department.id})


def _on_duty_query():
    """Built once: constructing it cost more Python than running it (every ticket opened)."""
    open_count = (
        select(func.count())  # count(*) lets PostgreSQL answer from the index alone
        .where(and_(Ticket.assignee_id == User.id, Ticket.status.in_(OPEN_STATUSES)))
        .correlate(User)
        .scalar_subquery()
    )
    return (
        select(User)
        .join(user_departments, user_departments.c.user_id == User.id)
        .where(
            user_departments.c.department_id == bindparam("department_id"),
            User.is_enabled,
            ~User.is_away,
            User.role == Role.AGENT,
        )
        .order_by(
            open_count, User.last_assigned_at.is_(None).desc(), User.last_assigned_at, User.id
        )
        .limit(1)
    )


_ON_DUTY = _on_duty_query()
