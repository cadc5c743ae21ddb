"""The only writer of Outbox state once notify.py has created a row.

Every move is one conditional UPDATE checked against STATUSES, so a worker and a provider's
callbacks racing each other can never move a row backwards or out of a final status.
It flushes, never commits: the worker or the view that called it does.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import case, func, literal, or_, select, true, update

from ticketing import customers, events, hours, lines, notify, whatsapp
from ticketing.channels import Bounce, Sent, StatusReport
from ticketing.extensions import db
from ticketing.models import Customer, Outbox
from ticketing.models.enums import PHONE_CHANNELS, Channel, OutboxStatus

log = logging.getLogger(__name__)
BACKOFF_MINUTES = (1, 2, 5, 15, 30, 60, 120, 240, 480)  # then the row fails for good
# Set on a claim taken over from a dead worker, or kept by an attempt that may have got
# through: its time opens the window in which the provider is asked for the message.
DOUBT_FROM_CLAIM = func.coalesce(Outbox.doubt_since, Outbox.claimed_at)


@dataclass(frozen=True, slots=True)
class Stage:
    rank: int  # a row only ever moves to a higher rank
    final: bool  # nothing moves a row out of it


STATUSES = {
    OutboxStatus.PENDING: Stage(0, final=False),
    OutboxStatus.QUEUED: Stage(1, final=False),
    OutboxStatus.SENT: Stage(2, final=False),
    OutboxStatus.DELIVERED: Stage(3, final=True),
    OutboxStatus.FAILED: Stage(3, final=True),
    OutboxStatus.SUPPRESSED: Stage(3, final=True),
}
UNSETTLED = [status for status, stage in STATUSES.items() if not stage.final]


def _behind(status: OutboxStatus) -> list[OutboxStatus]:
    """The statuses a row may move to `status` from."""
    return [s for s in UNSETTLED if STATUSES[s].rank < STATUSES[status].rank]


# -- the worker's moves ---------------------------------------------------------------------


def unclaimed(now):
    """Rows no live worker holds: never claimed, or claimed longer ago than
    OUTBOX_CLAIM_SECONDS (a dead worker's). The claim and the sweep share this one rule."""
    stale = now - timedelta(seconds=current_app.config["OUTBOX_CLAIM_SECONDS"])
    return or_(Outbox.claimed_at.is_(None), Outbox.claimed_at < stale)


def claim(outbox_id: int) -> bool:
    """Atomically take a due pending row for this worker; False if it is not ours to send.
    A claim taken over from a dead worker puts the row in doubt from that worker's claim:
    it may have sent before dying. The caller commits before sending, so that every other
    worker sees the claim."""
    now = hours.now()
    result = db.session.execute(
        update(Outbox)
        .where(
            Outbox.id == outbox_id,
            Outbox.status == OutboxStatus.PENDING,
            or_(Outbox.not_before.is_(None), Outbox.not_before <= now),
            unclaimed(now),
        )
        # SET reads the row as it was: doubt_since takes the old claim, if there was one
        .values(claimed_at=now, attempts=Outbox.attempts + 1, doubt_since=DOUBT_FROM_CLAIM)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def is_opted_out(row: Outbox) -> bool:
    """An SMS or WhatsApp message to a customer who has told its line STOP since it was owed."""
    if row.channel not in PHONE_CHANNELS or row.customer_id is None:
        return False
    return customers.is_opted_out(db.session.get(Customer, row.customer_id), row.line)


def undelivered(row: Outbox) -> str | None:
    """Why a message just owed cannot reach its recipient; None when it may. Suppressed when
    owed (no usable contact, a STOP, the repetition guard), or on WhatsApp outside its window
    with no template and no SMS to carry it (found at send time, foreseen here). An agent's
    reply for which this gives a reason is not an answer: the customer never had it."""
    if row.status in (OutboxStatus.SUPPRESSED, OutboxStatus.FAILED):
        return row.last_error or "not sent"
    foreseen = row.channel == Channel.WHATSAPP and not whatsapp.may_go(row)
    if foreseen and notify.sms_line_instead(row) is None:
        return whatsapp.NOT_BY_SMS
    return None


def suppress(row: Outbox, reason: str) -> None:
    """Not sent on purpose, at send time (the customer opted out meanwhile, or a held status
    update has nothing new to tell)."""
    _move(row, OutboxStatus.SUPPRESSED, last_error=reason, claimed_at=None)


def fall_back_from_whatsapp(row: Outbox, code: str | None = whatsapp.WINDOW_CODE) -> bool:
    """A WhatsApp row that may not go free-form (outside the 24-hour window, no template; or
    Twilio said 63016): suppressed, and its words owed by SMS when SMS can reach the customer
    (the reason says which); an agent's reply is then carried by the SMS row, whose delivery
    is the reply's. The move comes first, so that the SMS is owed once however many workers
    or callbacks get here; False when another writer settled the row first."""
    from ticketing.lifecycle import conversation  # above us (it imports this module)

    if not _move(row, OutboxStatus.SUPPRESSED, last_error=whatsapp.CLOSED, error_code=code):
        return False
    sms = notify.by_sms_instead(row)
    reason = whatsapp.SENT_BY_SMS if sms is not None else whatsapp.NOT_BY_SMS
    _write(row, true(), last_error=reason, claimed_at=None, doubt_since=None)
    if sms is not None:
        conversation.carried_by(row, sms)
    return True


def record_sent(row: Outbox, sent: Sent) -> None:
    """Keep the provider's id (from its answer, or found at the provider after a doubtful
    attempt); its first word on the status counts only if no delivery callback got in first
    (they may overtake this commit), so a status never goes back."""
    now = hours.now()
    first_word = Outbox.status == OutboxStatus.PENDING  # every SET reads the row as it was
    delivered_at = now if sent.status == OutboxStatus.DELIVERED else None

    def if_first(value, column):
        return case((first_word, literal(value, column.type)), else_=column)

    _write(  # one UPDATE: the id always, the status part only from pending
        row,
        true(),
        provider_id=sent.provider_id,
        sent_at=now,
        claimed_at=None,
        doubt_since=None,
        status=if_first(sent.status, Outbox.status),
        last_error=if_first(None, Outbox.last_error),
        error_code=if_first(None, Outbox.error_code),
        delivered_at=if_first(delivered_at, Outbox.delivered_at),
    )


def first_unowned(row: Outbox, found: tuple[Sent, ...]) -> Sent | None:
    """The first message the provider holds (`found`) that no other row of ours recorded as
    its own: the same words to the same number, owed twice, are two messages."""
    for sent in found:
        owner = db.session.scalar(
            select(Outbox.id)
            .where(
                Outbox.channel == row.channel,
                Outbox.provider_id == sent.provider_id,
                Outbox.id != row.id,
            )
            .limit(1)
        )
        if owner is None:
            return sent
    return None


def retry_later(
    row: Outbox, reason: str, code: str | None = None, *, in_doubt: bool = False
) -> None:
    """Keep the row pending with a back-off; the sweep hands it over again when due. Once
    every back-off has been waited out, it fails for good. `in_doubt`: this attempt may have
    reached the provider, which is asked before the next one sends."""
    log.warning("outbox %s: %s", row.id, reason)
    if row.attempts > len(BACKOFF_MINUTES):
        fail(row, f"gave up after {row.attempts} attempts: {reason}", code)
        return
    due = hours.now() + timedelta(minutes=BACKOFF_MINUTES[row.attempts - 1])
    _write(
        row,
        Outbox.status == OutboxStatus.PENDING,
        not_before=due,
        last_error=reason,
        error_code=code,
        claimed_at=None,
        **({"doubt_since": DOUBT_FROM_CLAIM} if in_doubt else {}),
    )


def fail(row: Outbox, reason: str, code: str | None = None, *, opted_out: bool = False) -> None:
    """The provider refused for good; when it says the recipient opted out, we stop too."""
    if _move(row, OutboxStatus.FAILED, last_error=reason, error_code=code, claimed_at=None):
        _opt_out_if(opted_out, row, code)


# -- what providers tell us later -------------------------------------------------------------


def record_report(
    channel: Channel, report: StatusReport, outbox_id: int | None = None
) -> Outbox | None:
    """A delivery status callback: move its row forward; None when it is about no row of
    ours or says nothing we act on. `outbox_id` is the hint from the callback URL."""
    if report.status is None:
        return None
    row = _reported_row(channel, report.provider_id, outbox_id)
    if row is None:
        return None
    now = hours.now()
    if report.status == OutboxStatus.FAILED and whatsapp.is_window_refusal(row, report.error_code):
        fall_back_from_whatsapp(row, report.error_code)  # it went free-form, too late
        return row
    if report.status == OutboxStatus.FAILED:
        moved = _move(
            row, report.status, error_code=report.error_code, last_error=report.description
        )
    elif report.status in (OutboxStatus.SENT, OutboxStatus.DELIVERED):
        moved = _move(
            row,
            report.status,
            sent_at=func.coalesce(Outbox.sent_at, literal(now, Outbox.sent_at.type)),
            last_error=None,
            error_code=None,
            **({"delivered_at": now} if report.status == OutboxStatus.DELIVERED else {}),
        )
    else:
        moved = _move(row, report.status)
    if moved:
        _opt_out_if(report.opted_out, row, report.error_code)
    return row


def record_bounce(report: Bounce) -> Outbox | None:
    """A delivery report on mail we sent: fail that Outbox row with the reason (a delay is
    only noted) and tell the ticket's agents; the row, or None when it names none of ours.
    It opens nothing and is never answered."""
    if not report.message_id:
        return None  # a report that names no message of ours: kept raw, ignored
    row = db.session.scalar(select(Outbox).where(Outbox.message_id == report.message_id))
    if row is None:
        return None
    recipient, ticket = row.recipient, row.ticket
    if report.is_permanent:
        _move(
            row,
            OutboxStatus.FAILED,
            error_code=report.status or None,
            last_error=f"bounced: {report.reason}",
        )
    if ticket is not None:
        events.record(
            ticket,
            "bounced" if report.is_permanent else "delivery_delayed",
            recipient=recipient,
            reason=report.reason,
        )
    return row


def _reported_row(channel: Channel, provider_id: str, outbox_id: int | None) -> Outbox | None:
    """The row a callback is about: by provider id, or by the outbox id in the callback URL
    when the callback overtook our commit of the id (never a row that holds another id, nor
    one already final: it was never sent)."""
    if not provider_id:
        return None
    family = PHONE_CHANNELS if channel in PHONE_CHANNELS else (channel,)  # one callback URL
    row = db.session.scalar(
        select(Outbox).where(Outbox.channel.in_(family), Outbox.provider_id == provider_id)
    )
    if row is not None or not outbox_id:
        return row
    adopted = db.session.execute(
        update(Outbox)
        .where(
            Outbox.id == outbox_id,
            Outbox.channel.in_(family),
            Outbox.status.in_(UNSETTLED),
            or_(Outbox.provider_id.is_(None), Outbox.provider_id == provider_id),
        )
        .values(provider_id=provider_id)
        .execution_options(synchronize_session=False)
    )
    return db.session.get(Outbox, outbox_id) if adopted.rowcount == 1 else None


# -- the two primitives every move goes through -----------------------------------------------


def _move(
    row: Outbox, status: OutboxStatus, *, only_from: tuple[OutboxStatus, ...] = (), **values
) -> bool:
    """Set `status` only from a status behind it in STATUSES (and in `only_from` when
    given); True when the row moved."""
    sources = [s for s in _behind(status) if not only_from or s in only_from]
    return _write(row, Outbox.status.in_(sources), status=status, **values)


def _write(row: Outbox, condition, **values) -> bool:
    """One conditional UPDATE whose RETURNING refreshes `row` in the same statement; when the
    condition failed (another writer won), the row is read afresh on its next use."""
    written = db.session.execute(
        update(Outbox)
        .where(Outbox.id == row.id, condition)
        .values(**values)
        .returning(Outbox)
        .execution_options(synchronize_session=False, populate_existing=True)
    ).scalar()
    if written is None:
        db.session.expire(row)
    return written is not None


def _opt_out_if(opted_out: bool, row: Outbox, code: str | None) -> None:
    """The provider says the recipient unsubscribed: our consent record follows."""
    if opted_out and row.customer_id is not None:
        customers.set_sms_opt_out(
            db.session.get(Customer, row.customer_id),
            True,
            line=row.line or lines.configured(row.channel),
            source=f"provider error {code}",
        )


def backdate_delivered(*, before, provider_id: str) -> int:
    """The demo's invented history: what it owed before `before` counts as delivered then."""
    return db.session.execute(
        update(Outbox)
        .where(Outbox.created_at < before)
        .values(
            status=OutboxStatus.DELIVERED,
            sent_at=Outbox.created_at,
            delivered_at=Outbox.created_at,
            provider_id=provider_id,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
