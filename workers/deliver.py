"""deliver(outbox_id): the only caller of a channel's send(). At most one success per row."""

import logging
from datetime import timedelta

from sqlalchemy import or_, update

from ticketing import channels, customers, hours
from ticketing.channels.sms import OPT_OUT_CODE
from ticketing.extensions import db
from ticketing.models import Customer, Outbox
from ticketing.models.enums import Channel, OutboxStatus

log = logging.getLogger(__name__)
BACKOFF_MINUTES = (1, 2, 5, 15, 30, 60, 120, 240, 480)  # then the row fails for good
CLAIM_TIMEOUT = timedelta(minutes=10)  # a claim older than this belongs to a dead worker
PROVIDER_STATUS = {"queued": OutboxStatus.QUEUED, "accepted": OutboxStatus.QUEUED,
                   "sending": OutboxStatus.QUEUED, "scheduled": OutboxStatus.QUEUED,
                   "sent": OutboxStatus.SENT, "delivered": OutboxStatus.DELIVERED}


def claim(outbox_id: int) -> bool:
    """Atomically take a due pending row for this worker; False if it is not ours to send."""
    now = hours.now()
    result = db.session.execute(
        update(Outbox)
        .where(Outbox.id == outbox_id, Outbox.status == OutboxStatus.PENDING,
               or_(Outbox.not_before.is_(None), Outbox.not_before <= now),
               or_(Outbox.claimed_at.is_(None), Outbox.claimed_at < now - CLAIM_TIMEOUT))
        .values(claimed_at=now, attempts=Outbox.attempts + 1)
    )
    db.session.commit()
    return result.rowcount == 1


def deliver(outbox_id: int) -> str:
    """Hand one owed message to its channel and record what the provider said."""
    if not claim(outbox_id):
        return "not due or already handled"
    row = db.session.get(Outbox, outbox_id)
    customer = db.session.get(Customer, row.customer_id) if row.customer_id else None
    if row.channel == Channel.SMS and customer is not None and customer.sms_opted_out:
        row.status, row.last_error = OutboxStatus.SUPPRESSED, "customer opted out of SMS"
        db.session.commit()
        return row.status.value
    try:
        sent = channels.sender_for(row.channel).send(row)
    except channels.PermanentFailure as error:
        _fail(row, customer, str(error), error.code)
    except channels.TransientFailure as error:
        _retry_later(row, str(error), error.code)
    else:
        _record_sent(row.id, sent)
    db.session.commit()
    return row.status.value


def _record_sent(outbox_id: int, sent: channels.Sent) -> None:
    """Keep the provider's id; its first word on the status counts only if no delivery
    callback got in first (they may overtake this commit), so a status never goes back."""
    now = hours.now()
    status = PROVIDER_STATUS.get(sent.status, OutboxStatus.QUEUED)
    db.session.execute(update(Outbox).where(Outbox.id == outbox_id).values(
        provider_id=sent.provider_id, sent_at=now, claimed_at=None))
    db.session.execute(update(Outbox).where(
        Outbox.id == outbox_id, Outbox.status == OutboxStatus.PENDING).values(
        status=status, last_error=None, error_code=None,
        delivered_at=now if status == OutboxStatus.DELIVERED else None))


def _fail(row: Outbox, customer: Customer | None, error: str, code: str | None) -> None:
    row.status, row.last_error, row.error_code, row.claimed_at = (
        OutboxStatus.FAILED, error, code, None)
    if code == OPT_OUT_CODE and customer is not None:
        customers.set_sms_opt_out(customer, True, source=f"provider error {code}")


def _retry_later(row: Outbox, error: str, code: str | None) -> None:
    """Keep the row pending with a back-off; the sweep hands it over again when due."""
    if row.attempts >= len(BACKOFF_MINUTES):
        row.status = OutboxStatus.FAILED
        error = f"gave up after {row.attempts} attempts: {error}"
    else:
        row.not_before = hours.now() + timedelta(minutes=BACKOFF_MINUTES[row.attempts - 1])
    row.last_error, row.error_code, row.claimed_at = error, code, None
    log.warning("outbox %s: %s", row.id, error)
