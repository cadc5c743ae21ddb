"""sweep_stuck(): hand over again what Redis lost or never got. The database decides."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select

from ticketing import hours, outbox, queues
from ticketing.extensions import db
from ticketing.models import InboundRaw, Outbox
from ticketing.models.enums import InboundStatus, OutboxStatus

BATCH = 500


def sweep_stuck() -> dict:
    """Re-enqueue due pending outbox rows and pending inbound rows older than the grace period
    (SWEEP_GRACE_SECONDS, a minute). A row whose claim is stale belongs to a dead worker: the
    next claim puts it in doubt."""
    now = hours.now()
    grace = timedelta(seconds=current_app.config["SWEEP_GRACE_SECONDS"])
    outbox_ids = db.session.scalars(
        select(Outbox.id)
        .where(
            Outbox.status == OutboxStatus.PENDING,
            or_(Outbox.not_before.is_(None), Outbox.not_before <= now),
            or_(Outbox.not_before.is_not(None), Outbox.created_at <= now - grace),
            outbox.unclaimed(now),
        )
        .order_by(Outbox.id)
        .limit(BATCH)
    ).all()
    inbound_ids = db.session.scalars(
        select(InboundRaw.id)
        .where(InboundRaw.status == InboundStatus.PENDING, InboundRaw.created_at <= now - grace)
        .order_by(InboundRaw.id)
        .limit(BATCH)
    ).all()
    db.session.rollback()
    for outbox_id in outbox_ids:
        queues.enqueue_now(queues.DELIVER, outbox_id)
    for raw_id in inbound_ids:
        queues.enqueue_now(queues.PROCESS_INBOUND, raw_id)
    return {"outbox": len(outbox_ids), "inbound": len(inbound_ids)}
