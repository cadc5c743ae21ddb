"""outcome codes on status events, read from the reasons older events were written with

Reports used to find after-sale outcomes by matching the free-text reason of a status event;
they now read `data.outcome`. This copies the meaning of the old reasons into codes so that
figures over earlier weeks do not change. Data only: the schema is untouched.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 21:30:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

CLOSED = {"customer confirmed the fix": "confirmed_fixed",
          "customer confirmed": "confirmed_fixed",
          "no answer after the fix": "closed_after_silence",
          "no answer from the customer": "closed_no_reply"}
OPENED = {"customer says it is not fixed": "reopened_not_fixed",
          "the fix did not hold": "reopened_fix_failed"}
BATCH = 1000


def _outcome(data: dict) -> str | None:
    reason = data.get("reason") or ""
    if data.get("new") == "closed":
        if reason.startswith("merged into "):
            return "merged"
        return CLOSED.get(reason, "solved")
    if data.get("new") == "open" and data.get("old") in ("resolved", "closed"):
        if reason in OPENED:
            return OPENED[reason]
        return "reopened_by_agent" if data.get("actor") else "reopened_customer_wrote"
    return None


def upgrade():
    bind = op.get_bind()
    events = sa.table("events", sa.column("id", sa.Integer), sa.column("kind", sa.String),
                      sa.column("actor_id", sa.Integer),
                      sa.column("data", sa.JSON().with_variant(JSONB(), "postgresql")))
    last = 0
    while True:
        rows = bind.execute(sa.select(events.c.id, events.c.actor_id, events.c.data)
                            .where(events.c.kind == "status", events.c.id > last)
                            .order_by(events.c.id).limit(BATCH)).all()
        if not rows:
            return
        for event_id, actor_id, data in rows:
            data = dict(data or {})
            outcome = None if "outcome" in data else _outcome(data | {"actor": actor_id})
            if outcome:
                bind.execute(events.update().where(events.c.id == event_id)
                             .values(data=data | {"outcome": outcome}))
        last = rows[-1][0]


def downgrade():
    pass  # the codes do no harm to the older code, which never reads them
