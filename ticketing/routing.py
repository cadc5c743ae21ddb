"""Where a new ticket goes: the department whose rule matches first, then its least-loaded agent."""

import re

from sqlalchemy import and_, func, select
from sqlalchemy.orm import joinedload

from ticketing.extensions import db
from ticketing.models import Department, RoutingRule, Ticket, User, user_departments
from ticketing.models.enums import OPEN_STATUSES, Category, Channel, Role


def rule_matches(rule: RoutingRule, text: str, channel: Channel, category: Category) -> bool:
    if rule.channel and rule.channel != channel:
        return False
    if rule.category and rule.category != category:
        return False
    keywords = rule.keyword_list
    if keywords and not any(re.search(rf"\b{re.escape(k)}", text) for k in keywords):
        return False
    return bool(keywords or rule.channel or rule.category)


def pick_department(text: str, channel: Channel, category: Category) -> Department:
    """The department of the first matching rule, else the default department."""
    haystack = text.lower()
    rules = db.session.scalars(
        select(RoutingRule)
        .options(joinedload(RoutingRule.department))  # the matching rule's department, no query
        .order_by(RoutingRule.position, RoutingRule.id)
    )
    for rule in rules:
        if rule_matches(rule, haystack, channel, category):
            return rule.department
    default = db.session.scalar(select(Department).where(Department.is_default))
    if default is None:
        default = db.session.scalar(select(Department).order_by(Department.id))
    if default is None:
        raise LookupError("no department exists: create one first (flask --app wsgi seed-demo)")
    return default


def pick_assignee(department: Department) -> User | None:
    """The on-duty agent of the department with the fewest open tickets; ties go to whoever
    was assigned least recently. None when nobody is on duty."""
    open_count = (
        select(func.count())  # count(*) lets PostgreSQL answer from the index alone
        .where(and_(Ticket.assignee_id == User.id, Ticket.status.in_(OPEN_STATUSES)))
        .correlate(User)
        .scalar_subquery()
    )
    query = (
        select(User)
        .join(user_departments, user_departments.c.user_id == User.id)
        .where(
            user_departments.c.department_id == department.id,
            User.is_enabled,
            ~User.is_away,
            User.role == Role.AGENT,
        )
        .order_by(
            open_count, User.last_assigned_at.is_(None).desc(), User.last_assigned_at, User.id
        )
        .limit(1)
    )
    return db.session.scalar(query)
