"""The follow-up engine, story by story, in simulated time: texts come in through the signed
webhook, a real RQ worker delivers through the Twilio stub, and scheduler passes run at chosen
moments (run_due_followups or the CLI). Nothing sleeps."""

import threading
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from fakes.twilio_stub import DEFAULT_AUTH_TOKEN
from harness import Phone, eat
from sqlalchemy import func, select

from ticketing import chases, lifecycle, promises, queues, stats
from ticketing.extensions import db as _db
from ticketing.models import Customer, Event, MessageTemplate, Outbox, Promise, Ticket
from ticketing.models.enums import (
    Category,
    Channel,
    Language,
    OutboxStatus,
    Outcome,
    Priority,
    PromiseStatus,
    Role,
    Status,
)
from workers.followups import run_due_followups
from workers.sweep import sweep_stuck

WANJIKU = "+254712000001"


MONDAY_9 = eat(2026, 11, 23, 9, 0)


@pytest.fixture
def desk(db, department, staff, clock):
    clock.set(MONDAY_9)
    grace = staff("grace", role=Role.SUPERVISOR)
    after_sales = department(
        "After-sales service", keywords="fridge, friji, haipoi", supervisor=grace
    )
    otieno = staff("otieno", departments=[after_sales])
    return SimpleNamespace(department=after_sales, otieno=otieno, grace=grace)


@pytest.fixture
def phone(app, client, twilio, monkeypatch):
    twilio.clear()
    monkeypatch.setitem(app.config, "SMS_BACKEND", "twilio")
    monkeypatch.setitem(app.config, "TWILIO_API_BASE", twilio.base_url)
    return Phone(client, WANJIKU, token=DEFAULT_AUTH_TOKEN, twilio=twilio)


@pytest.fixture
def scheduler(clock, run_jobs):
    """scheduler(at) runs one pass at that moment, then lets the worker deliver."""

    def run(at: datetime) -> dict:
        clock.set(at)
        result = run_due_followups(at.isoformat())
        sweep_stuck()  # the other periodic job: it releases what the pass and earlier ones held
        run_jobs()
        return result

    return run


def newest_ticket() -> Ticket:
    _db.session.expire_all()
    return _db.session.scalar(select(Ticket).order_by(Ticket.id.desc()))


def outbox(ticket: Ticket, **where) -> list[Outbox]:
    _db.session.expire_all()
    return _db.session.scalars(
        select(Outbox).filter_by(ticket_id=ticket.id, **where).order_by(Outbox.id)
    ).all()


def events(ticket: Ticket, kind: str) -> list[Event]:
    return _db.session.scalars(
        select(Event).where(Event.ticket_id == ticket.id, Event.kind == kind).order_by(Event.id)
    ).all()


def resolve(ticket: Ticket, agent) -> None:
    lifecycle.resolve(ticket, by=agent, note="Thermostat replaced")
    _db.session.commit()


def sms_ticket_resolved(phone, desk, run_jobs, scheduler, clock) -> Ticket:
    """Wanjiku's fridge: texted in, answered, resolved; the confirm question has reached her."""
    phone.texts("My fridge is not cooling since yesterday")
    run_jobs()
    ticket = newest_ticket()
    assert (ticket.category, ticket.assignee) == (Category.AFTER_SALE, desk.otieno)
    assert ticket.reference in phone.received()[-1]  # acknowledged at once
    clock.advance(hours=1)
    lifecycle.reply(ticket, by=desk.otieno, body="A technician will come at 14:00.")
    _db.session.commit()
    run_jobs()
    assert phone.received()[-1].endswith("A technician will come at 14:00.")  # at once
    clock.advance(hours=5)
    resolve(ticket, desk.otieno)
    run_jobs()
    assert len(phone.received()) == 2  # the status update waits a few minutes
    scheduler(clock.moment + timedelta(minutes=3))
    assert "Reply 1 if it is fixed, 2 if not" in phone.received()[-1]
    return newest_ticket()


def test_after_sale_sms_closes_when_the_customer_confirms_then_rates(
    db, desk, phone, run_jobs, scheduler, clock
):
    ticket = sms_ticket_resolved(phone, desk, run_jobs, scheduler, clock)
    phone.texts("1")
    run_jobs()
    ticket = newest_ticket()
    assert ticket.status == Status.CLOSED
    assert phone.received()[-1].startswith("Thank you.")  # an acknowledgment: at once
    scheduler(clock.moment + timedelta(minutes=5))
    assert "number from 1 (bad) to 5" in phone.received()[-1]
    phone.texts("4")
    run_jobs()
    ticket = newest_ticket()
    assert ticket.satisfaction_score == 4 and ticket.satisfaction_asked_at is not None
    assert "Thank you for your rating" in phone.received()[-1]
    assert [e.data["step"] for e in events(ticket, "follow_up")] == ["satisfaction"]


def test_after_sale_reply_2_reopens_with_high_priority_back_to_the_same_agent(
    db, desk, phone, run_jobs, scheduler, clock, staff
):
    staff("achieng", departments=[desk.department])
    ticket = sms_ticket_resolved(phone, desk, run_jobs, scheduler, clock)
    phone.texts("2")
    run_jobs()
    ticket = newest_ticket()
    assert (ticket.status, ticket.priority, ticket.assignee) == (
        Status.OPEN,
        Priority.HIGH,
        desk.otieno,
    )
    assert ticket.reopened_count == 1
    assert "is open again" in phone.received()[-1]  # the answer to her "2": at once
    assert ticket.next_follow_up_at is not None  # the charter clock runs again


def test_after_sale_silence_gets_one_reminder_then_closes_with_a_final_message(
    db, desk, phone, run_jobs, scheduler, clock
):
    ticket = sms_ticket_resolved(phone, desk, run_jobs, scheduler, clock)
    resolved_at = ticket.status_changed_at
    assert scheduler(resolved_at + timedelta(days=1, hours=23))["due"] == 0
    scheduler(resolved_at + timedelta(days=2))  # Wednesday 15:00
    assert "is your problem fixed? Reply 1 if yes" in phone.received()[-1]
    scheduler(resolved_at + timedelta(days=5))  # Saturday 15:03
    assert newest_ticket().status == Status.CLOSED
    assert "is closed as fixed since we did not hear back" in phone.received()[-1]
    assert len(phone.received()) == 5
    steps = [e.data["step"] for e in events(ticket, "follow_up")]
    assert steps == ["confirm_reminder", "confirm_close"]


def test_the_fix_check_14_days_after_closure_reopens_on_2(
    db, desk, phone, run_jobs, scheduler, clock
):
    ticket = sms_ticket_resolved(phone, desk, run_jobs, scheduler, clock)
    phone.texts("1")
    run_jobs()
    closed_at = newest_ticket().closed_at
    scheduler(closed_at + timedelta(minutes=5))  # the satisfaction question, unanswered
    scheduler(closed_at + timedelta(days=14))
    assert (
        "is it still working well? Reply 1 if yes, 2 if the problem is back" in phone.received()[-1]
    )
    phone.texts("2")
    run_jobs()
    ticket = newest_ticket()
    assert (ticket.status, ticket.priority, ticket.assignee) == (
        Status.OPEN,
        Priority.HIGH,
        desk.otieno,
    )
    assert events(ticket, "fix_check_answer")[0].data == {"held": False}


def test_a_fix_that_held_is_recorded_and_changes_nothing(
    db, desk, phone, run_jobs, scheduler, clock
):
    sms_ticket_resolved(phone, desk, run_jobs, scheduler, clock)
    phone.texts("1")
    run_jobs()
    closed_at = newest_ticket().closed_at
    scheduler(closed_at + timedelta(minutes=5))
    scheduler(closed_at + timedelta(days=14))
    phone.texts("1")
    run_jobs()
    ticket = newest_ticket()
    assert ticket.status == Status.CLOSED and ticket.next_follow_up_at is None
    assert ticket.satisfaction_score is None  # "1" answered the last question asked
    assert events(ticket, "fix_check_answer")[0].data == {"held": True}


def test_the_fix_check_is_answered_on_the_status_page_once(
    db, desk, phone, run_jobs, scheduler, clock, client
):
    ticket = sms_ticket_resolved(phone, desk, run_jobs, scheduler, clock)
    phone.texts("1")
    run_jobs()
    page = f"/t/{newest_ticket().token}"
    assert "Is it still working?" not in client.get(page).get_data(as_text=True)
    refused = client.post(f"{page}/fix-check", data={"fixed": "2"}, follow_redirects=True)
    assert "There is no question to answer" in refused.get_data(as_text=True)
    closed_at = newest_ticket().closed_at
    scheduler(closed_at + timedelta(minutes=5))
    scheduler(closed_at + timedelta(days=14))
    assert "Is it still working?" in client.get(page).get_data(as_text=True)

    client.post(f"{page}/fix-check", data={"fixed": "1"})
    again = client.post(f"{page}/fix-check", data={"fixed": "2"}, follow_redirects=True)

    ticket = newest_ticket()
    assert ticket.status == Status.CLOSED
    assert [e.data for e in events(ticket, "fix_check_answer")] == [{"held": True}]
    assert "There is no question to answer" in again.get_data(as_text=True)
    assert "Is it still working?" not in again.get_data(as_text=True)


@pytest.fixture
def brian(db):
    customer = Customer(name="Brian Otieno", email="brian@example.co.ke")
    db.session.add(customer)
    db.session.commit()
    return customer


def test_a_pending_ticket_is_reminded_after_1_and_3_days_and_closed_after_7(
    db, desk, brian, scheduler, clock, run_jobs
):
    ticket = lifecycle.open_ticket(
        brian, subject="Fridge charged twice", body="Refund please", channel=Channel.EMAIL
    )
    clock.advance(hours=1)
    lifecycle.reply(
        ticket, by=desk.otieno, body="Which M-Pesa code?", status=Status.PENDING_CUSTOMER
    )
    db.session.commit()
    asked_at = clock.moment
    assert ticket.due_at is None  # the charter clock is paused
    for days, kinds in [(1, ["pending_reminder"]), (3, ["pending_reminder"] * 2)]:
        scheduler(asked_at + timedelta(days=days) - timedelta(minutes=1))
        assert [r.kind for r in outbox(ticket, kind="pending_reminder")] == kinds[:-1]
        scheduler(asked_at + timedelta(days=days))
        assert [r.kind for r in outbox(ticket, kind="pending_reminder")] == kinds
    scheduler(asked_at + timedelta(days=7))
    ticket = newest_ticket()
    assert ticket.status == Status.CLOSED
    final = outbox(ticket, kind="closed_no_reply")[0]
    assert final.status == OutboxStatus.DELIVERED and final.channel == Channel.EMAIL
    assert "did not hear from you for 7 days" in final.body and "reopen" in final.body
    assert all(r.status == OutboxStatus.DELIVERED for r in outbox(ticket))


def test_first_response_breach_reminds_the_assignee_then_alerts_the_supervisor(
    db, desk, brian, scheduler
):
    ticket = lifecycle.open_ticket(brian, subject="Fridge", body="Broken", channel=Channel.EMAIL)
    db.session.commit()
    # Normal priority: 480 business minutes from Monday 09:00 is Monday 17:00; 75% is 15:00.
    assert ticket.first_response_due_at == eat(2026, 11, 23, 17, 0)
    assert scheduler(eat(2026, 11, 23, 14, 59))["due"] == 0
    scheduler(eat(2026, 11, 23, 15, 0))
    reminder = outbox(ticket, kind="first_response_reminder")
    assert [r.recipient for r in reminder] == ["otieno@fuatilia.test"]
    assert breach_digests() == []
    scheduler(eat(2026, 11, 23, 17, 0))
    digest = breach_digests()  # one email per department per pass, listing its breaches
    assert [(r.recipient, r.status) for r in digest] == [
        ("grace@fuatilia.test", OutboxStatus.DELIVERED)
    ]
    assert f"{ticket.reference} (Fridge): past its first response target" in digest[0].body
    assert f"/agent/tickets/{ticket.id}" in digest[0].body
    assert digest[0].subject == "[After-sales service] 1 ticket past the charter target"
    assert [e.data for e in events(ticket, "breach_alerted")] == [{"what": "first response"}]


def breach_digests() -> list[Outbox]:
    _db.session.expire_all()
    return _db.session.scalars(
        select(Outbox).filter_by(kind="breach_digest").order_by(Outbox.id)
    ).all()


def test_an_away_assignee_hands_the_ticket_to_an_agent_on_duty(db, desk, brian, staff, scheduler):
    achieng = staff("achieng", departments=[desk.department])
    ticket = lifecycle.open_ticket(brian, subject="Fridge", body="Broken", channel=Channel.EMAIL)
    assert ticket.assignee == desk.otieno  # least recently assigned of two with no tickets
    desk.otieno.is_away = True
    db.session.commit()
    scheduler(eat(2026, 11, 23, 15, 0))
    ticket = newest_ticket()
    assert ticket.assignee == achieng
    assert [r.recipient for r in outbox(ticket, kind="first_response_reminder")] == [
        "achieng@fuatilia.test"
    ]
    handed = events(ticket, "assigned")[-1]
    assert handed.data == {"old": "Otieno", "new": "Achieng"} and handed.actor_id is None


def test_with_nobody_on_duty_the_reminder_goes_to_the_supervisor(db, desk, brian, scheduler):
    ticket = lifecycle.open_ticket(brian, subject="Fridge", body="Broken", channel=Channel.EMAIL)
    desk.otieno.is_away = True
    db.session.commit()
    scheduler(eat(2026, 11, 23, 15, 0))
    assert newest_ticket().assignee == desk.otieno
    assert [r.recipient for r in outbox(ticket, kind="first_response_reminder")] == [
        "grace@fuatilia.test"
    ]


def test_a_promise_kept_and_a_promise_missed(db, desk, phone, run_jobs, scheduler, clock):
    phone.texts("My fridge is not cooling")
    run_jobs()
    ticket = newest_ticket()
    kept = promises.add_promise(
        ticket, by=desk.otieno, description="I will call you", due_at=eat(2026, 11, 24, 10, 0)
    )
    promises.add_promise(
        ticket, by=desk.otieno, description="A technician visits", due_at=eat(2026, 11, 24, 12, 0)
    )
    db.session.commit()
    run_jobs()
    assert f"{ticket.reference}: I will call you by Tue 24 Nov 10:00." in phone.received()
    assert scheduler(eat(2026, 11, 24, 8, 59))["promise_reminders"] == 0
    assert scheduler(eat(2026, 11, 24, 9, 0))["promise_reminders"] == 1  # an hour before
    assert outbox(ticket, kind="promise_reminder")[0].recipient == "otieno@fuatilia.test"
    clock.set(eat(2026, 11, 24, 9, 40))
    promises.settle_promise(db.session.get(Promise, kept.id), kept=True, by=desk.otieno)
    db.session.commit()
    assert scheduler(eat(2026, 11, 24, 10, 0))["promises_missed"] == 0
    assert scheduler(eat(2026, 11, 24, 11, 0))["promise_reminders"] == 1
    result = scheduler(eat(2026, 11, 24, 12, 0))
    assert (result["promise_reminders"], result["promises_missed"]) == (0, 1)
    db.session.expire_all()
    assert [p.status for p in ticket.promises] == [PromiseStatus.KEPT, PromiseStatus.MISSED]
    alert = outbox(ticket, kind="promise_missed", channel=Channel.EMAIL)[0]
    assert alert.recipient == "grace@fuatilia.test" and "A technician visits" in alert.body
    # Honest: 120 business minutes after 12:00 is 14:00 the same day.
    assert phone.received()[-1] == (
        f"{ticket.reference}: sorry, we missed our promise "
        "(Tue 12:00). A supervisor will contact you by "
        "Tue 24 Nov 14:00."
    )
    assert [e.kind for e in ticket.events if e.kind.startswith("promise")] == [
        "promised",
        "promised",
        "promise_reminder",
        "promise_kept",
        "promise_reminder",
        "promise_missed",
    ]
    assert scheduler(eat(2026, 11, 24, 13, 0))["promises_missed"] == 0  # once only


def test_quiet_hours_hold_a_reminder_past_a_public_holiday_to_the_next_working_morning(
    db, desk, phone, run_jobs, scheduler, clock
):
    """Sunday 31 May 2026, 22:00: a reminder falls due. Monday 1 June is Madaraka Day."""
    clock.set(eat(2026, 5, 30, 22, 0))  # Saturday night
    phone.texts("My fridge is not cooling")
    run_jobs()
    ticket = newest_ticket()
    assert len(phone.received()) == 1  # the acknowledgment is never held
    lifecycle.reply(
        ticket, by=desk.otieno, body="What is the model?", status=Status.PENDING_CUSTOMER
    )
    db.session.commit()
    run_jobs()
    assert phone.received()[-1].endswith("What is the model?")  # nor is an agent's reply
    scheduler(eat(2026, 5, 31, 22, 0))
    reminder = outbox(ticket, kind="pending_reminder")[0]
    assert reminder.status == OutboxStatus.PENDING
    assert reminder.not_before == eat(2026, 6, 2, 8, 0) == datetime(2026, 6, 2, 5, 0)
    scheduler(eat(2026, 6, 1, 10, 0))  # the holiday itself is quiet
    assert len(phone.received()) == 2
    scheduler(eat(2026, 6, 2, 7, 59))
    assert len(phone.received()) == 2
    scheduler(eat(2026, 6, 2, 8, 0))
    assert "still waiting for your answer" in phone.received()[-1]


def test_urgent_tickets_are_held_by_quiet_hours_too(db, desk, brian, scheduler, clock):
    """A status update nobody is waiting for waits for the morning whatever the priority;
    the acknowledgment of what the customer sent goes at once."""
    clock.set(eat(2026, 11, 23, 22, 30))
    ticket = lifecycle.open_ticket(
        brian, subject="Fridge", body="Sparks!", channel=Channel.EMAIL, priority=Priority.URGENT
    )
    lifecycle.set_pending(ticket, by=desk.otieno)
    db.session.commit()
    assert outbox(ticket, kind="received")[0].not_before is None
    waiting = outbox(ticket, kind="waiting")[0]
    assert waiting.not_before == eat(2026, 11, 24, 8, 0)


def test_a_status_update_just_before_quiet_hours_waits_for_the_morning(db, desk, brian, clock):
    clock.set(eat(2026, 11, 23, 20, 59))
    ticket = lifecycle.open_ticket(brian, subject="Fridge", body="Broken", channel=Channel.EMAIL)
    lifecycle.set_pending(ticket, by=desk.otieno)
    db.session.commit()
    assert outbox(ticket, kind="received")[0].not_before is None
    assert outbox(ticket, kind="waiting")[0].not_before == eat(2026, 11, 24, 8, 0)


def test_templates_follow_the_customers_language(db, desk, phone, run_jobs, scheduler, clock):
    phone.texts("Friji yangu haipoi tangu jana")
    run_jobs()
    ticket = newest_ticket()
    assert ticket.customer.language == Language.SW
    assert phone.received()[-1].startswith("Tumepokea ujumbe wako.")
    db.session.add(
        MessageTemplate(
            kind="confirm_fix",
            language="sw",
            channel=Channel.SMS,
            body="{{ ticket.reference }}: Imerekebishwa? Jibu 1 au 2.",
        )
    )
    resolve(ticket, desk.otieno)
    scheduler(clock.moment + timedelta(minutes=3))
    assert phone.received()[-1] == f"{ticket.reference}: Imerekebishwa? Jibu 1 au 2."
    scheduler(clock.moment + timedelta(days=2))
    assert "Je, tatizo limetatuliwa? Jibu 1 ndiyo, 2 bado." in phone.received()[-1]


def test_an_opted_out_customer_gets_nothing_by_sms(db, desk, phone, run_jobs, scheduler, clock):
    phone.texts("My fridge is not cooling")
    run_jobs()
    ticket = newest_ticket()
    lifecycle.set_pending(ticket, by=desk.otieno)  # a status update, held a few minutes
    db.session.commit()
    phone.texts("STOP")
    run_jobs()
    before = len(phone.received())
    lifecycle.reply(ticket, by=desk.otieno, body="Please call us on 0700 000 100")
    db.session.commit()
    for day in (0, 1, 3, 7):
        scheduler(ticket.status_changed_at + timedelta(days=day, minutes=3))
    assert len(phone.received()) == before == 1
    rows = outbox(ticket)
    assert newest_ticket().status == Status.CLOSED
    assert {r.status for r in rows[1:]} == {OutboxStatus.SUPPRESSED}
    assert {r.kind for r in rows[1:]} >= {"waiting", "reply", "pending_reminder", "closed_no_reply"}


def open_tickets(count: int) -> None:
    """`count` emailed tickets from as many customers, all due for a reminder at 15:00."""
    for number in range(count):
        customer = Customer(name=f"Customer {number}", email=f"c{number}@example.co.ke")
        lifecycle.open_ticket(customer, subject="Fridge", body="Broken", channel=Channel.EMAIL)
    _db.session.commit()


def test_two_passes_for_the_same_moment_send_nothing_twice(db, desk, clock, run_jobs):
    open_tickets(12)
    run_jobs()
    at = eat(2026, 11, 23, 15, 0)
    clock.set(at)
    first, second = run_due_followups(at.isoformat()), run_due_followups(at.isoformat())
    assert (first["due"], first["batches_queued"]) == (12, 1)
    assert second["due"] == 12  # nothing was carried out yet: the same batch, queued once
    queued = queues.get_queue(queues.DEFAULT).job_ids
    assert len(queued) == 1 and queued[0].startswith("followups-")
    run_jobs()
    assert run_due_followups(at.isoformat()) == {
        "due": 0,
        "steps_run": 0,
        "batches_queued": 0,
        "promise_reminders": 0,
        "promises_missed": 0,
    }
    reminders = db.session.scalar(
        select(func.count(Outbox.id)).where(Outbox.kind == "first_response_reminder")
    )
    chased = db.session.scalar(select(func.count(Event.id)).where(Event.kind == "follow_up"))
    assert (reminders, chased) == (12, 12)


def test_two_passes_running_at_once_carry_each_step_out_once(db, app, desk, clock):
    open_tickets(30)
    at = clock.set(eat(2026, 11, 23, 15, 0)).isoformat()  # hours.now() is process-wide
    results, errors, start = [], [], threading.Barrier(2)

    def one_pass():
        try:
            with app.app_context():
                start.wait()
                results.append(run_due_followups(at, inline=True))
                _db.session.remove()
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=one_pass) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sum(r["steps_run"] for r in results) == 30
    reminders = db.session.scalar(
        select(func.count(Outbox.id)).where(Outbox.kind == "first_response_reminder")
    )
    chased = db.session.scalar(select(func.count(Event.id)).where(Event.kind == "follow_up"))
    assert (reminders, chased) == (30, 30)


def test_several_changes_within_minutes_reach_the_customer_as_one_message(
    db, desk, phone, run_jobs, scheduler, clock, staff
):
    achieng = staff("achieng", departments=[desk.department])
    phone.texts("My fridge is not cooling")
    run_jobs()
    ticket = newest_ticket()
    lifecycle.assign(ticket, achieng, by=desk.otieno)
    db.session.commit()
    clock.advance(minutes=1)
    lifecycle.reply(ticket, by=achieng, body="I am on it.")
    lifecycle.set_pending(ticket, by=achieng)
    db.session.commit()
    run_jobs()
    assert phone.received()[-1].endswith("I am on it.")  # the reply did not wait
    held = outbox(ticket, status=OutboxStatus.PENDING)
    assert [(r.kind, r.combines) for r in held] == [("waiting", ["assigned", "waiting"])]
    scheduler(clock.moment + timedelta(minutes=2))
    assert phone.received()[-1] == (  # only the latest state and what it asks of her
        f"{ticket.reference}: we need a reply from you to continue. Answer this SMS or see "
        f"http://fuatilia.test/t/{ticket.token}"
    )
    assert len(phone.received()) == 3
    clock.advance(minutes=30)
    lifecycle.resolve(ticket, by=achieng)  # a later change is a message of its own
    db.session.commit()
    scheduler(clock.moment + timedelta(minutes=3))
    assert phone.received()[-1].startswith(f"{ticket.reference}: we think your problem is fixed")


def test_the_satisfaction_question_is_asked_once_and_the_answer_stored(
    db, desk, phone, run_jobs, scheduler, clock
):
    phone.texts("My fridge is not cooling")
    run_jobs()
    ticket = newest_ticket()
    lifecycle.close(ticket, by=desk.otieno, reason="sorted on the phone")
    db.session.commit()
    scheduler(clock.moment + timedelta(minutes=5))
    assert "number from 1 (bad) to 5" in phone.received()[-1]
    clock.advance(minutes=10)
    lifecycle.reopen(
        newest_ticket(),
        outcome=Outcome.REOPENED_BY_AGENT,
        by=desk.otieno,
        reason="customer called back",
    )
    lifecycle.close(newest_ticket(), by=desk.otieno, reason="sorted again")
    db.session.commit()
    scheduler(clock.moment + timedelta(minutes=5))
    scheduler(clock.moment + timedelta(days=1))
    asked = [text for text in phone.received() if "number from 1 (bad) to 5" in text]
    assert len(asked) == 1
    phone.texts("5")
    run_jobs()
    ticket = newest_ticket()
    assert ticket.satisfaction_score == 5 and events(ticket, "rated")[0].data == {"score": 5}


def test_the_cli_runs_a_pass_at_a_given_moment_and_refuses_a_bad_one(
    db, app, desk, brian, run_jobs
):
    ticket = lifecycle.open_ticket(brian, subject="Fridge", body="Broken", channel=Channel.EMAIL)
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["follow-ups", "run", "--at", "2026-11-23T12:00:00Z"])
    assert result.exit_code == 0 and "'due': 1" in result.output
    run_jobs()
    assert [r.kind for r in outbox(ticket, kind="first_response_reminder")] == [
        "first_response_reminder"
    ]
    refused = runner.invoke(args=["follow-ups", "run", "--at", "next tuesday"])
    assert refused.exit_code == 2 and "--at" in refused.output


def test_a_failing_step_stays_scheduled_and_leaves_a_trace(db, desk, brian, scheduler, monkeypatch):
    ticket = lifecycle.open_ticket(brian, subject="Fridge", body="Broken", channel=Channel.EMAIL)
    db.session.commit()

    def broken(*args, **kwargs):
        raise RuntimeError("mail template exploded")

    monkeypatch.setitem(chases.STEPS, ticket.follow_up_step, broken)
    scheduler(eat(2026, 11, 23, 15, 0))
    ticket = newest_ticket()
    assert ticket.next_follow_up_at == eat(2026, 11, 23, 15, 15)
    assert events(ticket, "follow_up_failed")[0].data["error"] == "mail template exploded"
    assert stats.silent_tickets() == []


def test_the_ticket_page_says_what_follows_and_when(db, client, login, desk, brian, clock):
    ticket = lifecycle.open_ticket(brian, subject="Fridge", body="Broken", channel=Channel.EMAIL)
    db.session.commit()
    page = login(client, desk.otieno).get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    assert "Next follow-up" in page
    assert "first response reminder" in page and "23 Nov 2026, 15:00" in page


def test_no_open_ticket_of_the_demo_is_silent(db, clock):
    from ticketing import demo

    clock.set(MONDAY_9)
    demo.seed(60)
    open_count = db.session.scalar(
        select(func.count(Ticket.id)).where(Ticket.status != Status.CLOSED)
    )
    assert open_count > 20
    assert stats.silent_tickets() == []
