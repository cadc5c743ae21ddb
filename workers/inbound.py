"""process_inbound(raw_id): parse a stored raw payload and file it; failures stay visible."""

import logging
from dataclasses import replace

from ticketing import channels, hours, intake
from ticketing.extensions import db
from ticketing.models import InboundRaw
from ticketing.models.enums import InboundStatus

log = logging.getLogger(__name__)


def process_inbound(raw_id: int) -> str:
    """File one raw inbound message; mark it done, ignored or failed with the reason."""
    raw = db.session.get(InboundRaw, raw_id)
    if raw is None or raw.status != InboundStatus.PENDING:
        return "already handled"
    raw.attempts += 1
    try:
        inbound = channels.parse_raw(raw.channel, raw.payload)
        if inbound.external_id != raw.external_id:  # a reused Message-ID: see intake.email_key
            note = f"another message came earlier with the same Message-ID {inbound.external_id}"
            inbound = replace(inbound, external_id=raw.external_id, notes=inbound.notes + (note,))
        ticket = intake.receive(inbound)
    except Exception as error:  # noqa: BLE001 - any failure must be kept, not lost
        db.session.rollback()
        log.exception("inbound %s failed", raw_id)
        return _mark_failed(raw_id, f"{error.__class__.__name__}: {error}")
    raw.status = InboundStatus.DONE if ticket is not None else InboundStatus.IGNORED
    raw.ticket_id = ticket.id if ticket is not None else None
    raw.processed_at = hours.now()
    db.session.commit()
    return raw.status.value


def _mark_failed(raw_id: int, error: str) -> str:
    raw = db.session.get(InboundRaw, raw_id)
    raw.status, raw.error, raw.processed_at = InboundStatus.FAILED, error[:2000], hours.now()
    raw.attempts += 1
    db.session.commit()
    return raw.status.value


def retry(raw_id: int) -> None:
    """Put a failed row back in the queue (an admin's "retry" button)."""
    raw = db.session.get(InboundRaw, raw_id)
    if raw is not None and raw.status == InboundStatus.FAILED:
        raw.status, raw.error = InboundStatus.PENDING, None
