"""process_inbound(raw_id): parse a stored raw payload and file it; failures stay visible.

The row is locked while it is filed (SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL), so a
second copy of the job (the sweep queued a row again while its first job ran) finds it held
or done and files nothing: a raw row is filed once. A failure is rolled back, then marked on
the row with its reason (the row taken again first). A worker killed mid-job commits nothing:
its lock goes with its connection, the row stays pending, and the sweep queues it again.
No SAVEPOINT: on SQLite it would open the transaction before the reads, and a writer that
committed meanwhile would make this one fail at its first write instead of waiting.

One row a job, not a batch: batches of 50 were measured (issue 14) and gained nothing
measurable end to end (the time is in filing each message, not in RQ), while one message that
kills its worker would have held back the other 49 at every retry.
"""

import logging
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import undefer

from ticketing import channels, inbound, intake
from ticketing.channels import sms, web
from ticketing.extensions import db
from ticketing.models import InboundRaw, Ticket
from ticketing.models.enums import Channel, InboundStatus

log = logging.getLogger(__name__)


def process_inbound(raw_id: int) -> str:
    """File raw row `raw_id`; its status, or "already handled" when it was filed already or
    another worker is filing it."""
    raw = _take(raw_id)
    if raw is None:
        db.session.rollback()
        return "already handled"
    try:
        ticket = _file(raw)
    except Exception as error:  # noqa: BLE001 - any failure must be kept, not lost
        db.session.rollback()  # (the lock goes with it: taken again to mark the row)
        log.exception("inbound %s failed", raw_id)
        raw = _take(raw_id)
        if raw is None:
            return "already handled"
        inbound.mark_failed(raw, f"{error.__class__.__name__}: {error}")
    else:
        if ticket is None:
            inbound.mark_ignored(raw)
        else:
            inbound.mark_done(raw, ticket)
    status = raw.status.value  # read before the commit expires the row: no reload after it
    db.session.commit()
    return status


def _take(raw_id: int) -> InboundRaw | None:
    """The row while it is pending, locked until the commit; None when it is handled or
    another worker holds it (PostgreSQL; SQLite, one writer, ignores the lock clause)."""
    return db.session.scalars(
        select(InboundRaw)
        .options(undefer(InboundRaw.payload))
        .where(InboundRaw.id == raw_id, InboundRaw.status == InboundStatus.PENDING)
        .with_for_update(skip_locked=True)
    ).first()


def _file(raw: InboundRaw) -> Ticket | None:
    if raw.channel == Channel.WEB:  # a /support form the spool kept while the database was down
        return intake.open_from_form(web.parse(raw.payload))
    message = channels.parse_raw(raw.channel, raw.payload)
    message = sms.fetch_media(message)  # photos at Twilio: fetched here, never in the webhook
    if message.external_id != raw.external_id:  # a reused Message-ID: see inbound.store
        note = f"another message came earlier with the same Message-ID {message.external_id}"
        message = replace(message, external_id=raw.external_id, notes=message.notes + (note,))
    return intake.receive(message)
