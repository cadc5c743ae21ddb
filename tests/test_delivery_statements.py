"""What handing over one owed SMS and carrying out one follow-up step cost in SQL statements,
pinned on both databases so that a change that adds a per-message query is seen: these two
run once per message and per step, thousands of times a minute at a busy desk."""

from datetime import timedelta

from harness import CUSTOMER, MONDAY_10_NAIROBI, sms_ticket
from sqlalchemy import event, select, update

from ticketing import settings_cache
from ticketing.extensions import db
from ticketing.models import Outbox, Ticket
from ticketing.models.enums import FollowUpStep, OutboxStatus, Status
from workers.deliver import deliver
from workers.followups import run_batch

# Claim, the row with its ticket, customer and opt-outs in one query, the provider's answer
# (an UPDATE whose RETURNING refreshes the row): 8 before the row was read with what sending
# reads, and read again after each write.
DELIVERY_MOST = 3
# Claim, the ticket with what every step reads (its customer's opt-outs among them), the step
# and its event, the settings stamp, the hourly cap, the owed SMS, the next step: 9 while the
# chase's opt-out check read the customer's opt-outs on their own.
CHASE_MOST = 8


def test_an_owed_sms_is_handed_over_once_in_three_statements(
    sms_app, department, staff, clock, twilio
):
    clock.set(MONDAY_10_NAIROBI)
    _, ticket = sms_ticket(department, staff)
    owed = db.session.scalar(select(Outbox.id).where(Outbox.ticket_id == ticket.id))
    settings_cache.current()
    db.session.commit()
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert deliver(owed) == OutboxStatus.QUEUED.value
        first = list(seen)
        assert deliver(owed) == "not due or already handled"  # the job run again
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(first) <= DELIVERY_MOST, "\n".join(first)
    assert len(seen) - len(first) == 1  # the claim that finds nothing to do
    assert len(twilio.sent_to(CUSTOMER)) == 1
    db.session.expire_all()
    assert db.session.get(Outbox, owed).provider_id == twilio.messages[0]["sid"]


def test_a_due_chase_is_carried_out_once_with_its_sms_in_few_statements(
    sms_app, department, staff, clock, twilio
):
    clock.set(MONDAY_10_NAIROBI)
    _, ticket = sms_ticket(department, staff)
    due = MONDAY_10_NAIROBI - timedelta(minutes=5)
    db.session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id)
        .values(
            status=Status.PENDING_CUSTOMER,
            status_changed_at=due - timedelta(days=1),
            follow_up_step=FollowUpStep.PENDING_REMINDER,
            next_follow_up_at=due,
            follow_ups_done=[],
        )
    )
    db.session.commit()
    settings_cache.current()
    db.session.commit()
    keys = [[ticket.id, due.isoformat(), FollowUpStep.PENDING_REMINDER.value]]
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert run_batch(keys) == 1
        first = list(seen)
        assert run_batch(keys) == 0  # a second pass's batch finds the step done
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(first) <= CHASE_MOST, "\n".join(first)
    chases = db.session.scalars(
        select(Outbox).where(Outbox.ticket_id == ticket.id, Outbox.kind == "pending_reminder")
    ).all()
    assert len(chases) == 1 and chases[0].status == OutboxStatus.PENDING
