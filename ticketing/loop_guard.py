"""The loop guard and the hourly cap: whether an automatic message to an address must not go.

Kept apart from notify.py so the volume and repetition policy reads in one place; notify asks
`guard` while creating a row and records its answer as the row's suppression reason.
"""

from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, bindparam, case, func, select

from ticketing import hours
from ticketing.extensions import db
from ticketing.models import Outbox
from ticketing.models.enums import OutboxStatus

CAP_REACHED = "automatic message cap reached"
REPEATED = "same automatic message sent twice to this address within minutes (loop guard)"
REPEAT_WINDOW = timedelta(minutes=15)
REPEAT_LIMIT = 2  # the third same-kind automatic message within the window is suppressed
REPEAT_EXEMPT = ("opted_in",)  # consent confirmations: owed each time she texts START


def guard(recipient: str, kind: str, same_text: str | None, *, capped: bool) -> str | None:
    """Why an automatic message to a customer must not go (CAP_REACHED, REPEATED), or None.
    One statement reads both guards.

    The volume cap (`capped`: only what we send on our own initiative) allows
    AUTO_MESSAGES_PER_HOUR automatic messages to one address in the last hour, answers
    included in the count.

    The repetition guard applies to every automatic message, answers included: the same
    automatic message owed to this address REPEAT_LIMIT times within REPEAT_WINDOW stops the
    next one. "The same" is the same kind on a ticket (an auto-responder that answers each of
    our mails with a new one of its own opens ticket after ticket, each acknowledged in other
    words); for an answer outside any ticket (STATUS, HELP) it is the same kind with the same
    text (`same_text`), since STATUS about another ticket is another answer. A person rarely
    needs the same automatic text three times in a quarter of an hour; a loop gets exactly
    that. Suppressed rows count too, so a loop that keeps going stays stopped; the guard lets
    go once the address has been quiet for the window. People's own words, staff alerts and
    consent confirmations (REPEAT_EXEMPT) are never dropped by it.
    """
    now = hours.now()
    values = {
        "recipient": recipient,
        "kind": kind,
        "hour_ago": now - timedelta(hours=1),
        "window_start": now - REPEAT_WINDOW,
    }
    if same_text is not None:
        values["same_text"] = same_text
    counted, repeats = db.session.execute(_COUNTS[same_text is not None], values).one()
    if capped and (counted or 0) >= current_app.config["AUTO_MESSAGES_PER_HOUR"]:
        return CAP_REACHED
    if kind not in REPEAT_EXEMPT and (repeats or 0) >= REPEAT_LIMIT:
        return REPEATED
    return None


def _counts(by_text: bool):
    """Both guards' counts in one statement, built once per process (two variants)."""
    same = [
        Outbox.kind == bindparam("kind"),
        Outbox.user_id.is_(None),
        Outbox.created_at >= bindparam("window_start"),
    ] + ([Outbox.body == bindparam("same_text")] if by_text else [])
    return select(
        func.sum(case((Outbox.status != OutboxStatus.SUPPRESSED, 1), else_=0)),
        func.sum(case((and_(*same), 1), else_=0)),
    ).where(
        Outbox.recipient == bindparam("recipient"),
        Outbox.is_automatic,
        Outbox.created_at >= bindparam("hour_ago"),
    )


_COUNTS = {False: _counts(False), True: _counts(True)}
