"""process_inbound(raw_id): parse a stored raw payload and file it; failures stay visible."""

import logging
from dataclasses import replace

from ticketing import channels, inbound, intake
from ticketing.channels import sms, web
from ticketing.extensions import db
from ticketing.models import InboundRaw, Ticket
from ticketing.models.enums import Channel, InboundStatus

log = logging.getLogger(__name__)


def process_inbound(raw_id: int) -> str:
    """File one raw inbound message; mark it done, ignored or failed with the reason.

    The row is locked until the commit (PostgreSQL): a second copy of the job (the sweep queues
    a row still pending while its first job runs) waits, then finds it handled, instead of
    failing on the message the first copy filed and marking a filed text failed."""
    raw = db.session.get(InboundRaw, raw_id, with_for_update=True)
    if raw is None or raw.status != InboundStatus.PENDING:
        return "already handled"
    try:
        ticket = _file(raw)
    except Exception as error:  # noqa: BLE001 - any failure must be kept, not lost
        db.session.rollback()
        log.exception("inbound %s failed", raw_id)
        inbound.mark_failed(raw, f"{error.__class__.__name__}: {error}")
    else:
        if ticket is None:
            inbound.mark_ignored(raw)
        else:
            inbound.mark_done(raw, ticket)
    db.session.commit()
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
