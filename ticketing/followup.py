"""Follow-up policy: given a ticket and "now", what happens to it next, and when.

Pure: it reads the ticket's fields, the department's policy and a calendar, and writes nothing.
`ticket.follow_ups_done` lists the steps already carried out since the last status change;
chases.follow_up() carries a step out, records it there, and asks again.
"""

from datetime import datetime, timedelta

from ticketing.hours import Calendar, parse_hhmm
from ticketing.models.enums import Category, FollowUpStep, Status

Step = FollowUpStep
DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)


def plan(ticket, now: datetime, calendar: Calendar, setting) -> tuple[Step | None, datetime | None]:
    """The next step and its time. `setting(name)` reads the department's follow-up policy."""
    done = list(ticket.follow_ups_done or [])
    if ticket.merged_into_id:
        return None, None
    if ticket.status in (Status.NEW, Status.OPEN):
        return _plan_open(ticket, done, now, calendar, setting)
    if ticket.status == Status.PENDING_CUSTOMER:
        return _plan_pending(ticket, done, setting)
    if ticket.status == Status.RESOLVED:
        return _plan_resolved(ticket, done, setting)
    return _plan_closed(ticket, done, setting)


def _plan_open(ticket, done, now, calendar, setting):
    due = ticket.first_response_due_at
    awaiting_answer = ticket.first_response_at is None and due is not None
    if awaiting_answer and Step.FIRST_RESPONSE_BREACH not in done:
        if Step.FIRST_RESPONSE_REMINDER not in done:
            total = calendar.minutes_between(ticket.created_at, due)
            percent = setting("first_response_reminder_percent")
            remind_at = calendar.add_minutes(ticket.created_at, total * percent // 100)
            if remind_at > now:
                return Step.FIRST_RESPONSE_REMINDER, remind_at
        return Step.FIRST_RESPONSE_BREACH, due
    if Step.RESOLUTION_BREACH not in done and ticket.resolution_due_at:
        return Step.RESOLUTION_BREACH, ticket.resolution_due_at
    return Step.RESOLUTION_BREACH, now + DAY  # still in breach: remind the supervisor daily


def _plan_pending(ticket, done, setting):
    reminders = setting("pending_reminder_days")
    sent = done.count(Step.PENDING_REMINDER)
    since = ticket.status_changed_at
    if sent < len(reminders):
        return Step.PENDING_REMINDER, since + reminders[sent] * DAY
    return Step.PENDING_CLOSE, since + setting("pending_close_days") * DAY


def _plan_resolved(ticket, done, setting):
    since = ticket.status_changed_at
    if ticket.category != Category.AFTER_SALE:
        return Step.AUTO_CLOSE, since + setting("resolved_close_days") * DAY
    if Step.CONFIRM_REMINDER not in done:
        return Step.CONFIRM_REMINDER, since + setting("confirm_reminder_days") * DAY
    return Step.CONFIRM_CLOSE, since + setting("confirm_close_days") * DAY


def _plan_closed(ticket, done, setting):
    closed_at = ticket.closed_at or ticket.status_changed_at
    if ticket.satisfaction_score is None and ticket.satisfaction_asked_at is None:
        return Step.SATISFACTION, closed_at + setting("satisfaction_delay_minutes") * MINUTE
    if ticket.category == Category.AFTER_SALE and Step.FIX_CHECK not in done:
        return Step.FIX_CHECK, closed_at + setting("fix_check_days") * DAY
    return None, None


# What an admin may set per department, and within which bounds (see DEFAULT_POLICY).
POLICY_LIMITS = {
    "pending_close_days": (1, 365),
    "confirm_reminder_days": (1, 365),
    "confirm_close_days": (1, 365),
    "fix_check_days": (1, 365),
    "resolved_close_days": (1, 365),
    "satisfaction_delay_minutes": (0, 10080),
    "first_response_reminder_percent": (1, 99),
    "update_combine_minutes": (0, 60),
}


def parse_policy(raw: dict[str, str]) -> tuple[dict, dict[str, str]]:
    """A department's follow-up policy from form text: (policy, errors by field)."""
    policy, errors = {}, {}
    for name, (low, high) in POLICY_LIMITS.items():
        value = (raw.get(name) or "").strip()
        if not _whole(value, low, high):
            errors[name] = f"a whole number from {low} to {high}"
        else:
            policy[name] = int(value)
    reminders = [part.strip() for part in (raw.get("pending_reminder_days") or "").split(",")]
    if not all(_whole(part, 1, 365) for part in reminders):
        errors["pending_reminder_days"] = "days as whole numbers separated by commas, e.g. 1, 3"
    else:
        policy["pending_reminder_days"] = sorted({int(part) for part in reminders})
    for name in ("quiet_start", "quiet_end"):
        try:
            policy[name] = parse_hhmm(raw.get(name, "")).strftime("%H:%M")
        except ValueError:
            errors[name] = "a time as HH:MM, e.g. 21:00"
    return policy, errors | _order_errors(policy)


def _whole(value: str, low: int, high: int) -> bool:
    """A whole number from `low` to `high` as typed; a 10 kB one is not read as a number."""
    return len(value) <= 6 and value.isdecimal() and low <= int(value) <= high


def _order_errors(policy: dict) -> dict[str, str]:
    errors = {}
    close = policy.get("pending_close_days")
    if close and any(day >= close for day in policy.get("pending_reminder_days", [])):
        errors["pending_reminder_days"] = "every reminder must come before the close"
    confirm_close = policy.get("confirm_close_days")
    if confirm_close and policy.get("confirm_reminder_days", 0) >= confirm_close:
        errors["confirm_reminder_days"] = "the reminder must come before the close"
    return errors
