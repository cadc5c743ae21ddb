"""Who is owed what, and what stops it: answers to the customer are never capped for volume,
loops are stopped by repetition, one truthful status update at a time (re-rendered from the
ticket just before it goes), quiet hours hold everything proactive, and a ticket closed for
silence always says so. Texts come in through the signed webhook and leave through the
Twilio stub; scheduler passes run at chosen moments."""

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from fakes.twilio_stub import DEFAULT_AUTH_TOKEN
from harness import Phone, eat
from sqlalchemy import select

from ticketing import lifecycle, loop_guard, notify, updates
from ticketing.extensions import db as _db
from ticketing.models import Customer, Outbox, Ticket
from ticketing.models.enums import Channel, OutboxStatus, Priority, Role, Status
from workers.followups import run_due_followups
from workers.sweep import sweep_stuck

WANJIKU = "+254712000001"


MONDAY_9 = eat(2026, 11, 23, 9, 0)


@pytest.fixture
def desk(db, department, staff, clock):
    clock.set(MONDAY_9)
    grace = staff("grace", role=Role.SUPERVISOR)
    after_sales = department(
        "After-sales service", keywords="fridge, friji, haipoi", supervisor=grace, is_default=False
    )
    general = department("General", is_default=True)
    otieno = staff("otieno", departments=[after_sales, general])
    return SimpleNamespace(department=after_sales, general=general, otieno=otieno, grace=grace)


@pytest.fixture
def phone(app, client, twilio, monkeypatch):
    twilio.clear()
    monkeypatch.setitem(app.config, "SMS_BACKEND", "twilio")
    monkeypatch.setitem(app.config, "TWILIO_API_BASE", twilio.base_url)
    return Phone(client, WANJIKU, token=DEFAULT_AUTH_TOKEN, twilio=twilio)


@pytest.fixture
def scheduler(clock, run_jobs):
    def run(at: datetime) -> dict:
        clock.set(at)
        result = run_due_followups(at.isoformat())
        sweep_stuck()
        run_jobs()
        return result

    return run


def newest_ticket() -> Ticket:
    _db.session.expire_all()
    return _db.session.scalar(select(Ticket).order_by(Ticket.id.desc()))


def rows(**where) -> list[Outbox]:
    _db.session.expire_all()
    return _db.session.scalars(select(Outbox).filter_by(**where).order_by(Outbox.id)).all()


def text(phone, run_jobs, body: str) -> str:
    phone.texts(body)
    run_jobs()
    return phone.received()[-1]


def resolved_after_sale(phone, desk, run_jobs, scheduler, clock) -> Ticket:
    """Wanjiku's fridge, resolved; "reply 1 if fixed" has reached her."""
    text(phone, run_jobs, "My fridge is not cooling")
    ticket = newest_ticket()
    lifecycle.resolve(ticket, by=desk.otieno, note="Thermostat replaced")
    _db.session.commit()
    scheduler(clock.moment + timedelta(minutes=3))
    assert "Reply 1 if it is fixed" in phone.received()[-1]
    return newest_ticket()


# -- 1. the loop guard protects against loops, not customers ----------------------------------


@pytest.mark.config(AUTO_MESSAGES_PER_HOUR=3)
def test_answers_to_the_customers_own_texts_are_never_capped(
    db, desk, phone, run_jobs, scheduler, clock
):
    """Before: after STATUS, HELP and START the "closed" confirmation of her "1" was
    suppressed, "automatic message cap reached"."""
    ticket = resolved_after_sale(phone, desk, run_jobs, scheduler, clock)
    assert ticket.reference in text(phone, run_jobs, "STATUS")
    text(phone, run_jobs, "HELP")
    text(phone, run_jobs, "START")
    assert len(phone.received()) == 5  # received, confirm_fix, and her three answers
    answer = text(phone, run_jobs, "1")
    assert newest_ticket().status == Status.CLOSED
    assert answer.startswith("Thank you.")
    assert [r.status in updates.HANDED_OVER for r in rows(kind="confirmed_fixed")] == [True]
    # what we send of our own accord is still capped: the survey goes nowhere
    scheduler(clock.moment + timedelta(minutes=5))
    survey = rows(kind="satisfaction")[0]
    assert (survey.status, survey.last_error) == (OutboxStatus.SUPPRESSED, loop_guard.CAP_REACHED)


@pytest.mark.config(AUTO_MESSAGES_PER_HOUR=3)
def test_a_reopen_caused_by_her_message_and_a_new_acknowledgment_are_never_capped(
    db, desk, phone, run_jobs, scheduler, clock
):
    resolved_after_sale(phone, desk, run_jobs, scheduler, clock)
    for word in ("STATUS", "HELP", "START"):
        text(phone, run_jobs, word)
    assert "is open again" in text(phone, run_jobs, "Still warm inside, not fixed")
    assert [r.status in updates.HANDED_OVER for r in rows(kind="reopened")] == [True]
    # a new problem of hers from another number she uses: acknowledged at once, never capped
    other = Phone(phone.client, "+254712000002", token=DEFAULT_AUTH_TOKEN, twilio=phone.twilio)
    for word in ("STATUS", "HELP", "START"):
        text(other, run_jobs, word)
    said = text(other, run_jobs, "My cooker does not heat")
    assert said.startswith("We got your message. Ref " + newest_ticket().reference)
    assert all(r.status in updates.HANDED_OVER for r in rows(kind="received"))


def test_the_same_automatic_message_a_third_time_within_minutes_is_suppressed(
    db, desk, phone, run_jobs, clock
):
    """Before: nothing but the hourly cap (50 here) stopped a number that keeps texting HELP."""
    for _ in range(4):
        text(phone, run_jobs, "HELP")
    assert len(phone.received()) == 2
    assert [(r.status, r.last_error) for r in rows(kind="help")][2:] == [
        (OutboxStatus.SUPPRESSED, loop_guard.REPEATED)
    ] * 2
    clock.advance(minutes=16)  # the window slides from the last one: quiet since 16 minutes
    assert text(phone, run_jobs, "HELP") and len(phone.received()) == 3


def test_a_suppressed_message_shows_on_the_ticket_page_with_its_reason_and_how_to_reach(
    db, desk, client, login, clock
):
    """Before: one line "Message to +2547... suppressed: ..." with no way to reach her."""
    person = Customer(name="Wanjiku", phone=WANJIKU, email="wanjiku@example.co.ke")
    db.session.add(person)
    ticket = lifecycle.open_ticket(
        person, subject="Fridge", body="Not cooling", channel=Channel.SMS, acknowledge=False
    )
    notify.customer(ticket, "waiting")
    notify.customer(ticket, "waiting")
    notify.customer(ticket, "waiting")  # the third is suppressed for repetition
    db.session.commit()
    page = login(client, desk.otieno).get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    assert "Not sent" in page and loop_guard.REPEATED in page and "has not had this message" in page
    assert 'href="tel:+254712000001"' in page
    assert 'href="mailto:wanjiku@example.co.ke"' in page
    assert "What it said" in page


# -- 2. one truthful update at a time -----------------------------------------------------


def test_waiting_then_resolved_within_minutes_tells_only_the_latest_state(
    db, desk, phone, run_jobs, scheduler, clock
):
    """Before: "FT-... update: we need a reply from you; we think it is fixed: reply 1..."."""
    text(phone, run_jobs, "My fridge is not cooling")
    ticket = newest_ticket()
    lifecycle.set_pending(ticket, by=desk.otieno)
    db.session.commit()
    clock.advance(minutes=2)
    lifecycle.resolve(ticket, by=desk.otieno)
    db.session.commit()
    scheduler(clock.moment + timedelta(minutes=3))
    assert len(phone.received()) == 2
    said = phone.received()[-1]
    assert (
        said
        == f"{ticket.reference}: we think your problem is fixed. Reply 1 if it is fixed, 2 if not."
    )
    (update,) = rows(ticket_id=ticket.id, kind="confirm_fix")
    assert update.combines == ["waiting", "confirm_fix"]


def test_a_held_update_describes_the_ticket_as_it_is_when_it_goes(
    db, desk, general_sms, phone, run_jobs, scheduler, clock
):
    """Waiting (held), then the agent merges it into another ticket, which closes it without a
    notice of its own: the update that goes says closed. Before: "we need a reply from you"
    about a ticket nobody works on any more."""
    ticket = general_sms
    other = lifecycle.open_ticket(
        ticket.customer,
        subject="Invoice",
        body="Same invoice",
        channel=Channel.SMS,
        acknowledge=False,
    )
    lifecycle.set_pending(ticket, by=desk.otieno)
    db.session.commit()
    clock.advance(minutes=1)
    lifecycle.merge(ticket, other, by=desk.otieno)
    db.session.commit()
    scheduler(clock.moment + timedelta(minutes=3))
    said = phone.received()[-1]
    assert said == f"{ticket.reference} is closed. Write again if you need us.", said
    assert [r.kind for r in rows(ticket_id=ticket.id)] == ["received", "closed"]


def test_an_update_is_suppressed_when_the_ticket_is_back_where_the_customer_last_heard(
    db, desk, phone, run_jobs, scheduler, clock
):
    """Waiting (held), then she writes and it opens again: nothing new to tell her.
    Before: "we need a reply from you" reached her after she had replied."""
    text(phone, run_jobs, "My fridge is not cooling")
    ticket = newest_ticket()
    lifecycle.set_pending(ticket, by=desk.otieno)
    db.session.commit()
    clock.advance(minutes=1)
    phone.texts("It is an LG 260L")
    run_jobs()
    assert newest_ticket().status == Status.OPEN
    scheduler(clock.moment + timedelta(minutes=3))
    assert len(phone.received()) == 1
    (waiting,) = rows(ticket_id=ticket.id, kind="waiting")
    assert waiting.status == OutboxStatus.SUPPRESSED
    assert waiting.last_error.startswith("nothing new")


# -- 3. quiet hours hold every proactive message ------------------------------------------


def test_quiet_hours_hold_the_survey_of_an_urgent_ticket(db, desk, brian, scheduler, clock):
    """Before: urgent tickets skipped quiet hours, so surveys went out at 21:25."""
    clock.set(eat(2026, 11, 23, 21, 20))
    ticket = lifecycle.open_ticket(
        brian, subject="Fridge", body="Sparks!", channel=Channel.EMAIL, priority=Priority.URGENT
    )
    lifecycle.close(ticket, by=desk.otieno, reason="sorted on the phone")
    db.session.commit()
    assert rows(kind="received")[0].not_before is None  # her acknowledgment went at once
    scheduler(eat(2026, 11, 23, 21, 25))
    survey = rows(kind="satisfaction")[0]
    assert survey.status == OutboxStatus.PENDING
    assert survey.not_before == eat(2026, 11, 24, 8, 0)
    assert rows(kind="closed")[0].not_before == eat(2026, 11, 24, 8, 0)


# -- 4. auto-close for silence always says so ------------------------------------------------


def test_a_resolved_ticket_closed_for_silence_gets_a_closing_notice(
    db, desk, general_sms, phone, run_jobs, scheduler, clock
):
    """Before: AUTO_CLOSE closed it with no message at all."""
    ticket = general_sms
    lifecycle.resolve(ticket, by=desk.otieno)
    db.session.commit()
    scheduler(clock.moment + timedelta(minutes=3))
    assert " is resolved" in phone.received()[-1]
    scheduler(eat(2026, 11, 26, 9, 5))
    assert newest_ticket().status == Status.CLOSED
    said = phone.received()[-1]
    assert said.startswith(f"{ticket.reference} is closed: it was resolved"), said
    assert "3 days" in said


def test_the_auto_close_notice_waits_out_quiet_hours(db, desk, brian, scheduler, clock):
    ticket = lifecycle.open_ticket(brian, subject="Invoice", body="Wrong", channel=Channel.EMAIL)
    db.session.commit()
    clock.set(eat(2026, 11, 23, 22, 0))
    lifecycle.resolve(ticket, by=desk.otieno)
    db.session.commit()
    due = newest_ticket().next_follow_up_at
    scheduler(due)
    assert newest_ticket().status == Status.CLOSED
    (notice,) = rows(kind="closed_auto")
    assert notice.status == OutboxStatus.PENDING
    assert (due, notice.not_before) == (eat(2026, 11, 26, 22, 0), eat(2026, 11, 27, 8, 0))
    assert "Hello," in notice.body and "closed it" in notice.body


@pytest.fixture
def brian(db):
    customer = Customer(name="Brian Otieno", email="brian@example.co.ke")
    db.session.add(customer)
    db.session.commit()
    return customer


@pytest.fixture
def general_sms(db, desk, phone, run_jobs):
    """A general (not after-sale) question texted in: the General department's ticket."""
    text(phone, run_jobs, "Where is my invoice for last month")
    ticket = newest_ticket()
    assert ticket.department == desk.general and ticket.category.value != "after_sale"
    return ticket
