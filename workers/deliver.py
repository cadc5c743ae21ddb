"""deliver(outbox_id): the only caller of a channel's send(). At most one success per row.

Every status it records is written by ticketing/outbox.py; this job only decides when. A held
status update is rewritten from the ticket's state just before it goes (ticketing/updates.py
decides the words), or suppressed when there is nothing new to tell."""

from ticketing import channels, outbox, updates
from ticketing.extensions import db
from ticketing.models import Outbox


def deliver(outbox_id: int) -> str:
    """Hand one owed message to its channel and record what the provider said."""
    claimed = outbox.claim(outbox_id)
    db.session.commit()  # every other worker sees the claim before we send
    if not claimed:
        return "not due or already handled"
    row = db.session.get(Outbox, outbox_id)
    if outbox.is_opted_out(row):
        outbox.suppress(row, "customer opted out of SMS")
    elif (nothing_new := updates.refresh_held_update(row)) is not None:
        outbox.suppress(row, nothing_new)
    else:
        _send(row)
    db.session.commit()
    return row.status.value


def _send(row: Outbox) -> None:
    try:
        sent = channels.sender_for(row.channel).send(row)
    except channels.PermanentFailure as error:
        outbox.fail(row, str(error), error.code, opted_out=error.opted_out)
    except channels.TransientFailure as error:
        outbox.retry_later(row, str(error), error.code)
    else:
        outbox.record_sent(row, sent)
