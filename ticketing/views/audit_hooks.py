"""The admin acts the audit log records, as one-line hooks for the views. Each joins the view's
transaction (ticketing.audit.record flushes, the view commits), so a change and its entry are
kept or lost together; a change keeps only the fields that moved, and never a password."""

from flask import g, request
from flask_login import current_user

from ticketing import audit
from ticketing.extensions import db
from ticketing.models import Department, Holiday, RoutingRule, User
from ticketing.models.enums import AuditAction
from ticketing.models.people import DEFAULT_POLICY

KINDS = {Department: "department", RoutingRule: "rule", Holiday: "holiday", User: "user"}
MAX_ARGS, MAX_ARG = 20, 100  # an export's query arguments, as typed, within reason


def _actor() -> User:
    """Who acts: the API token's owner, else the signed-in member of staff."""
    return g.get("api_user") or current_user._get_current_object()


def _target(item) -> str:
    if isinstance(item, str):
        return item
    db.session.flush()  # a new row gets its id here (and a broken unique key fails here)
    kind = next(kind for model, kind in KINDS.items() if isinstance(item, model))  # or a proxy
    return f"{kind}:{item.id}"


def changes(before: dict, after: dict) -> dict:
    """{field: [before, after]} for each field whose value differs."""
    fields = sorted(before.keys() | after.keys())
    return {f: [before.get(f), after.get(f)] for f in fields if before.get(f) != after.get(f)}


def user_state(user: User) -> dict:
    """What an admin may change about a member of staff (the password is never shown)."""
    return {
        "name": user.name,
        "email": user.email,
        "role": getattr(user.role, "value", user.role),
        "departments": sorted(d.name for d in user.departments),
        "enabled": bool(user.is_enabled),
        "away": bool(user.is_away),
    }


def department_state(department: Department) -> dict:
    supervisor = (
        db.session.get(User, department.supervisor_id) if department.supervisor_id else None
    )
    state = {
        "name": department.name,
        "description": department.description,
        "default": bool(department.is_default),
        "supervisor": supervisor.email if supervisor else None,
    }
    for target in department.targets:
        priority = getattr(target.priority, "value", target.priority)
        state[f"target_{priority}"] = [target.first_response_minutes, target.resolution_minutes]
    return state


def policy_state(department: Department) -> dict:
    return {name: department.setting(name) for name in DEFAULT_POLICY}


def rule_state(rule: RoutingRule) -> dict:
    return {
        "department": rule.department.name,
        "keywords": rule.keywords,
        "channel": getattr(rule.channel, "value", rule.channel),
        "category": getattr(rule.category, "value", rule.category),
        "position": rule.position,
    }


def holiday_state(holiday: Holiday) -> dict:
    return {"day": holiday.day.isoformat(), "name": holiday.name}


def user_saved(user: User, before: dict | None, *, password_set: bool) -> None:
    """Log a user made (before is None) or changed; a password an admin set is named, not shown."""
    target, after = _target(user), user_state(user)
    if before is None:
        audit.record(AuditAction.USER_CREATED, actor=_actor(), target=target, detail=after)
        return
    detail = {"changes": changes(before, after)} | (
        {"password_reset": True} if password_set else {}
    )
    if detail["changes"] or password_set:
        audit.record(AuditAction.USER_CHANGED, actor=_actor(), target=target, detail=detail)


def setting_changed(setting: str, item, before: dict, after: dict, change: str = "") -> None:
    """Log an admin's change of a setting (`item`: the row, or a target such as
    "template:sw/sms/received"); when nothing moved, nothing is logged."""
    moved = changes(before, after)
    if not moved:
        return
    change = change or ("added" if not before else "removed" if not after else "changed")
    audit.record(
        AuditAction.SETTING_CHANGED,
        actor=_actor(),
        target=_target(item),
        detail={"setting": setting, "change": change, "changes": moved},
    )


def token_created(user: User, *, replaced: bool) -> None:
    detail = {"replaced": replaced}
    audit.record(AuditAction.TOKEN_CREATED, actor=_actor(), target=_target(user), detail=detail)


def token_revoked(user: User) -> None:
    audit.record(AuditAction.TOKEN_REVOKED, actor=_actor(), target=_target(user))


def exported(name: str, scope=None) -> None:
    """Log a bulk read (a CSV file or its JSON twin): the query arguments as typed, and the
    report's period and filters as understood (`scope`: a ticketing.stats.Scope)."""
    detail = {"export": name}
    detail["args"] = {k: v[:MAX_ARG] for k, v in list(request.args.items())[:MAX_ARGS] if v}
    if scope is not None:
        detail["period"] = {"from": scope.first_day.isoformat(), "to": scope.last_day.isoformat()}
        detail["filters"] = scope.query_args()
    audit.record(AuditAction.EXPORT, actor=_actor(), target=f"export:{name}"[:120], detail=detail)


def template_changed(address: tuple[str, str, str], before: tuple, after: tuple, **how) -> None:
    """Log a customer message's new wording; address is (language, channel, kind)."""
    target = "template:" + "/".join(address)
    fields = ("subject", "body")
    before_, after_ = dict(zip(fields, before, strict=True)), dict(zip(fields, after, strict=True))
    setting_changed("message_template", target, before_, after_, **how)


def channel_tested(row, line: str | None) -> None:
    """Log a test message an admin sent from the channels screen (`row`: its Outbox row)."""
    channel = getattr(row.channel, "value", row.channel)
    detail = {"channel": channel, "line": line, "to": row.recipient, "outbox_id": row.id}
    audit.record(AuditAction.CHANNEL_TEST, actor=_actor(), target=f"outbox:{row.id}", detail=detail)


def imap_checked(outcome: str, host: str, port: int) -> None:
    """Log an IMAP connection check: its outcome code and where it connected (no password)."""
    detail = {"outcome": outcome, "host": host, "port": port}
    audit.record(
        AuditAction.CHANNEL_CHECK, actor=_actor(), target="channel:email_imap", detail=detail
    )
