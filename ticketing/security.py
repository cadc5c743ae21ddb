"""Who may do what: session users, API bearer tokens, roles, and which tickets a user sees."""

import functools
import hashlib
import secrets

from flask import abort, g, request
from flask_login import current_user
from sqlalchemy import Select, exists, select

from ticketing.extensions import db, login_manager
from ticketing.models import Customer, Ticket, User, user_departments
from ticketing.models.enums import Role

ROLE_RANK = {Role.AGENT: 1, Role.SUPERVISOR: 2, Role.ADMIN: 3}


def init_app(app) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Sessions carry the user's session_version: a password change or logout ends them."""
    ident, _, version = user_id.partition(":")
    if not ident.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(ident))
    if user is None or user.session_version != int(version) or not user.is_enabled:
        return None
    return user


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User) -> str:
    """A new API token for `user`; only its hash is kept, so it is shown once."""
    token = "ft_" + secrets.token_urlsafe(32)
    user.api_token_hash = token_hash(token)
    return token


def revoke_token(user: User) -> bool:
    """Make `user`'s API token worthless at once; False when there was none to revoke."""
    had_token = user.api_token_hash is not None
    user.api_token_hash = None
    return had_token


def api_user() -> User | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    user = db.session.scalar(select(User).where(User.api_token_hash == token_hash(token.strip())))
    return user if user is not None and user.is_enabled else None


def role_required(role: Role):
    """Allow the view to users of at least `role`; others get 403, strangers the login page."""

    def decorator(view):
        @functools.wraps(view)
        def checked(*args, **kwargs):
            user = g.get("api_user") or current_user
            if not user.is_authenticated:
                return login_manager.unauthorized()
            if ROLE_RANK[user.role] < ROLE_RANK[role]:
                abort(403)
            return view(*args, **kwargs)

        return checked

    return decorator


def visible_tickets(user: User, query: Select | None = None) -> Select:
    """Restrict a ticket query to what `user` may see: agents, their departments only."""
    query = query if query is not None else select(Ticket)
    if user.sees_all:
        return query
    mine = select(user_departments.c.department_id).where(user_departments.c.user_id == user.id)
    return query.where(Ticket.department_id.in_(mine))


def can_see(user: User, ticket: Ticket) -> bool:
    return user.sees_all or ticket.department in user.departments


def ticket_for(user: User, ticket_id: int) -> Ticket:
    """The ticket if `user` may see it; 404 otherwise, so ids of others' tickets leak nothing."""
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None or not can_see(user, ticket):
        abort(404)
    return ticket


def handled_customers(user: User, query: Select | None = None) -> Select:
    """Restrict a customer query to those `user` may edit or merge: for an agent, customers
    with a ticket in one of the agent's departments."""
    query = query if query is not None else select(Customer)
    if user.sees_all:
        return query
    mine = select(user_departments.c.department_id).where(user_departments.c.user_id == user.id)
    theirs = exists().where(Ticket.customer_id == Customer.id, Ticket.department_id.in_(mine))
    return query.where(theirs)


def may_handle(user: User, customer: Customer) -> bool:
    query = handled_customers(user, select(Customer.id).where(Customer.id == customer.id))
    return db.session.scalar(query) is not None


def customer_for(user: User, customer_id: int) -> Customer:
    """The customer if `user` may edit them (a merged duplicate: if they may edit the one it
    became); 404 otherwise, as for tickets."""
    customer = db.session.get(Customer, customer_id)
    if customer is None or not may_handle(user, customer.merged_into or customer):
        abort(404)
    return customer
