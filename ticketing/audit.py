"""The only writer of the audit log. An entry joins the caller's transaction, so an act and its
record commit together; the caller commits (a refused sign-in commits its entry itself)."""

from flask import has_request_context, request

from ticketing.extensions import db
from ticketing.models import AuditEntry, User
from ticketing.models.enums import AuditAction

__all__ = ["AuditAction", "record"]


def record(
    action: AuditAction,
    *,
    actor: User | None = None,
    actor_label: str = "",
    target: str = "",
    detail: dict | None = None,
) -> AuditEntry:
    """Log `action` by `actor` (or by whoever typed `actor_label`), from this request's client."""
    ip, agent = "", ""
    if has_request_context():
        ip = (request.remote_addr or "")[:45]
        agent = (request.user_agent.string or "")[:255]
    label = actor_label or (actor.email if actor is not None else "")
    entry = AuditEntry(
        action=action,
        actor_id=actor.id if actor is not None else None,
        actor_label=label[:254],
        target=target[:120],
        detail=detail or {},
        ip=ip,
        user_agent=agent,
    )
    db.session.add(entry)
    db.session.flush()
    return entry
