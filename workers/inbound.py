"""process_inbound(raw_id): parse a stored raw payload and file it; failures stay visible.

One job files its own row and, on PostgreSQL, up to BATCH - 1 more pending rows that no other
worker holds, in one transaction with one commit: the per-job bookkeeping of RQ and the commit
are paid once per batch instead of once per message. Every row is locked while it is filed
(SELECT ... FOR UPDATE SKIP LOCKED), so a second copy of a job (the sweep re-queued a row
whose job was running, or another worker's batch took it) skips a row being filed and finds
a filed one done: a raw row is filed once. Each row is filed inside its own SAVEPOINT, so one
that fails is marked failed with its reason and the others still go in. A worker killed
mid-batch commits nothing: its locks go with its connection, the rows stay pending, and the
sweep queues them again. SQLite has one writer and no row locks: there a job files its own
row only.
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
BATCH = 50


def process_inbound(raw_id: int) -> str:
    """File raw row `raw_id` (and other pending rows, see above); its status, or "already
    handled" when it was filed already or another worker is filing it."""
    raw = _claim(InboundRaw.id == raw_id, limit=1)
    if not raw:
        db.session.rollback()
        return "already handled"
    status = _process(raw[0])
    if db.engine.dialect.name == "postgresql":
        for other in _claim(InboundRaw.id != raw_id, limit=BATCH - 1):
            _process(other)
    db.session.commit()
    return status


def _claim(which, *, limit: int) -> list[InboundRaw]:
    """Pending rows matching `which`, locked until commit; rows another worker holds are
    skipped (PostgreSQL; SQLite ignores the lock clause)."""
    return db.session.scalars(
        select(InboundRaw)
        .options(undefer(InboundRaw.payload))
        .where(which, InboundRaw.status == InboundStatus.PENDING)
        .order_by(InboundRaw.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()


def _process(raw: InboundRaw) -> str:
    """File one locked row; mark it done, ignored or failed with the reason."""
    try:
        with db.session.begin_nested():
            ticket = _file(raw)
    except Exception as error:  # noqa: BLE001 - any failure must be kept, not lost
        log.exception("inbound %s failed", raw.id)
        inbound.mark_failed(raw, f"{error.__class__.__name__}: {error}")
    else:
        if ticket is None:
            inbound.mark_ignored(raw)
        else:
            inbound.mark_done(raw, ticket)
    db.session.flush()
    return raw.status.value


def _file(raw: InboundRaw) -> Ticket | None:
    if raw.channel == Channel.WEB:  # a /support form the spool kept while the database was down
        return intake.open_from_form(web.parse(raw.payload))
    message = channels.parse_raw(raw.channel, raw.payload)
    message = sms.fetch_media(message)  # photos at Twilio: fetched here, never in the webhook
    if message.external_id != raw.external_id:  # a reused Message-ID: see inbound.store
        note = f"another message came earlier with the same Message-ID {message.external_id}"
        message = replace(message, external_id=raw.external_id, notes=message.notes + (note,))
    return intake.receive(message)
