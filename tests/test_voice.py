"""Phone calls: every call Twilio tells us about is one Call row, however often it is told;
an answered call is counted from the moment the desk picked up; every call nobody answered
becomes one call-back ticket per customer with an SMS giving the reference and the time;
agents see those tickets first; and bad or unsigned posts change nothing."""

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from fakes.twilio_stub import DEFAULT_AUTH_TOKEN, sign
from fakes.voice import BASE, DESK, OUR_VOICE_NUMBER, RECORDING, VOICE, Caller
from harness import CUSTOMER, MONDAY_10_NAIROBI, eat
from sqlalchemy import func, select

from ticketing import hours
from ticketing.extensions import db
from ticketing.models import (
    Call,
    Customer,
    Department,
    Event,
    Line,
    Message,
    Promise,
    Ticket,
    User,
)
from ticketing.models.enums import (
    CallOutcome,
    Channel,
    Language,
    Priority,
    PromiseStatus,
    Provider,
)


def twiml(response) -> ET.Element:
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "text/xml"
    return ET.fromstring(response.data)


def verbs(root: ET.Element) -> list[str]:
    return [child.tag for child in root]


def said(root: ET.Element) -> list[tuple[str, str]]:
    return [(say.get("language"), say.text) for say in root.iter("Say")]


def the_call(sid) -> Call:
    db.session.expire_all()
    return db.session.scalar(select(Call).where(Call.sid == sid))


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def desk(sms_app, department, staff, clock):
    """Customer care (default department, desk phone, Mon-Fri 08-17) on a Monday at 10."""
    clock.set(MONDAY_10_NAIROBI)
    care = department("Customer care", desk_phone=DESK)
    staff("otieno", departments=[care])
    return care


@pytest.fixture
def caller(sms_app, desk):
    return Caller(sms_app.test_client())


def callback_tickets() -> list[Ticket]:
    db.session.expire_all()
    return db.session.scalars(
        select(Ticket).join(Promise).where(Promise.agent_id.is_(None)).order_by(Ticket.id)
    ).all()


def test_in_hours_the_caller_hears_both_languages_then_rings_the_desk(caller, desk):
    root = twiml(caller.calls())
    assert verbs(root) == ["Gather", "Dial"]
    gather, dial = root
    assert gather.get("action") == BASE + VOICE + "/menu" and gather.get("numDigits") == "1"
    languages = [language for language, _ in said(root)]
    assert languages == ["en-GB", "sw-KE"]  # a new caller: English first, then Kiswahili
    english, swahili = (text for _, text in said(root))
    assert "Press 1" in english and "stay on the line" in english
    assert "Bonyeza 1" in swahili
    assert dial.text == DESK and dial.get("timeout") == "25"
    assert dial.get("action") == BASE + VOICE + "/dial"
    call = the_call(caller.sid)
    assert call.outcome is None and call.department_id == desk.id
    assert call.customer.phone == CUSTOMER and call.line == f"twilio:{OUR_VOICE_NUMBER}"


def test_a_swahili_speaker_hears_kiswahili_first(caller, db):
    db.session.add(Customer(phone=CUSTOMER, language=Language.SW))
    db.session.commit()
    assert [language for language, _ in said(twiml(caller.calls()))] == ["sw-KE", "en-GB"]


def test_answered_at_the_desk_counts_from_the_pickup_and_owes_nothing(caller, clock, run_jobs):
    caller.calls()
    clock.advance(minutes=3)
    root = twiml(caller.desk("completed", seconds=120))
    assert verbs(root) == ["Hangup"]
    caller.hangs_up(duration=150)
    run_jobs()
    call = the_call(caller.sid)
    assert call.outcome == CallOutcome.ANSWERED
    assert call.answered_at == MONDAY_10_NAIROBI + timedelta(minutes=1)  # 3 min in, 2 talking
    assert call.ended_at is not None and call.duration_seconds == 150
    assert call.ticket_id is None and count(Ticket) == 0
    assert count(Promise) == 0


def test_missed_at_the_desk_becomes_a_call_back_with_an_sms(caller, twilio, run_jobs, desk):
    caller.calls()
    root = twiml(caller.desk("no-answer"))
    assert verbs(root) == ["Say", "Say", "Record", "Hangup"]
    assert "nobody could answer" in said(root)[0][1]
    record = root.find("Record")
    assert record.get("maxLength") == "120"
    assert record.get("action") == BASE + VOICE + "/recording"
    caller.hangs_up()  # the status callback afterwards changes nothing more
    run_jobs()
    call = the_call(caller.sid)
    assert call.outcome == CallOutcome.MISSED
    (ticket,) = callback_tickets()
    assert call.ticket_id == ticket.id and ticket.channel == Channel.PHONE
    assert ticket.department_id == desk.id
    (promise,) = ticket.promises
    assert promise.is_callback and promise.status == PromiseStatus.OPEN
    (sms,) = twilio.sent_to(CUSTOMER)
    assert ticket.reference in sms and "call you back" in sms
    assert promise.due_at > MONDAY_10_NAIROBI
    due = hours.to_local(promise.due_at, "Africa/Nairobi").strftime("%a %d %b %H:%M")
    assert due.startswith("Mon 23 Nov") and due in sms  # due today, said in Nairobi time
    events = db.session.scalars(select(Event).where(Event.kind == "call")).all()
    assert [e.data["outcome"] for e in events] == ["missed"]


@pytest.mark.parametrize("dial_status", ["busy", "failed"])
def test_busy_or_failed_desk_is_missed(caller, dial_status):
    caller.calls()
    caller.desk(dial_status)
    assert the_call(caller.sid).outcome == CallOutcome.MISSED
    assert len(callback_tickets()) == 1


def test_after_hours_a_call_back_is_owed_at_once(caller, clock, twilio, run_jobs):
    clock.set(eat(2026, 11, 23, 20, 0))  # Monday 20:00 in Nairobi
    root = twiml(caller.calls())
    assert verbs(root) == ["Gather", "Say", "Say", "Record", "Hangup"]  # no desk to ring
    assert "closed" in said(root)[0][1] and "imefungwa" in said(root)[1][1]
    run_jobs()
    call = the_call(caller.sid)
    assert call.outcome == CallOutcome.AFTER_HOURS
    (ticket,) = callback_tickets()
    (sms,) = twilio.sent_to(CUSTOMER)
    assert ticket.reference in sms and "Tue 24 Nov" in sms  # due when the office is open
    caller.hangs_up()
    assert the_call(caller.sid).outcome == CallOutcome.AFTER_HOURS  # not "abandoned" too


def test_pressing_1_asks_for_a_call_back(caller, twilio, run_jobs):
    caller.calls()
    root = twiml(caller.presses("1"))
    assert verbs(root) == ["Say", "Say", "Hangup"]
    assert "call you back" in said(root)[0][1]
    caller.hangs_up()
    run_jobs()
    assert the_call(caller.sid).outcome == CallOutcome.CALLBACK_REQUESTED
    assert len(callback_tickets()) == 1 and len(twilio.sent_to(CUSTOMER)) == 1


def test_a_voicemail_is_kept_on_the_call_and_the_ticket(caller, run_jobs):
    caller.calls()
    root = twiml(caller.presses("2"))
    assert verbs(root) == ["Say", "Say", "Record", "Hangup"]
    root = twiml(caller.records(seconds=42))
    assert verbs(root) == ["Say", "Say", "Hangup"]
    caller.records(seconds=42, RecordingStatus="completed")  # the recording status callback
    caller.hangs_up()
    run_jobs()
    call = the_call(caller.sid)
    assert call.outcome == CallOutcome.VOICEMAIL
    assert (call.recording_url, call.recording_seconds) == (RECORDING, 42)
    (ticket,) = callback_tickets()
    voicemails = [m for m in ticket.messages if m.external_id == "RE" + "a" * 32]
    assert len(voicemails) == 1
    assert "42 s" in voicemails[0].body and RECORDING in voicemails[0].body
    assert voicemails[0].attachments[0].url == RECORDING
    assert voicemails[0].channel == Channel.PHONE


def test_without_a_desk_phone_staying_on_the_line_records_a_voicemail(caller, desk, db):
    desk.desk_phone = None
    db.session.commit()
    root = twiml(caller.calls())
    assert verbs(root) == ["Gather", "Say", "Say", "Record", "Hangup"]
    assert "Press 1" in said(root)[0][1] and "stay on the line, to leave" in said(root)[0][1]


def test_a_voicemail_after_a_missed_call_joins_its_ticket(caller):
    caller.calls()
    caller.desk("no-answer")
    caller.records(seconds=9)
    call = the_call(caller.sid)
    assert call.outcome == CallOutcome.MISSED and call.recording_seconds == 9
    (ticket,) = callback_tickets()
    assert count(Message, Message.ticket_id == ticket.id, Message.external_id.is_not(None)) == 1


def test_hanging_up_before_an_answer_is_abandoned(caller, run_jobs, twilio):
    caller.calls()
    assert the_call(caller.sid).outcome is None
    assert caller.hangs_up(status="completed", duration=4).status_code == 204
    run_jobs()
    call = the_call(caller.sid)
    assert call.outcome == CallOutcome.ABANDONED and call.status == "completed"
    assert call.duration_seconds == 4 and len(callback_tickets()) == 1
    assert len(twilio.sent_to(CUSTOMER)) == 1


def test_three_calls_from_one_number_make_one_ticket_with_each_call(
    sms_app, desk, twilio, run_jobs
):
    client = sms_app.test_client()
    callers = [Caller(client) for _ in range(3)]
    for index, caller in enumerate(callers):
        caller.calls()
        if index == 0:
            caller.desk("no-answer")
        elif index == 1:
            caller.hangs_up()
        else:
            caller.presses("1")
    run_jobs()
    (ticket,) = callback_tickets()
    assert {the_call(c.sid).ticket_id for c in callers} == {ticket.id}
    events = db.session.scalars(
        select(Event).where(Event.ticket_id == ticket.id, Event.kind == "call").order_by(Event.id)
    ).all()
    assert [e.data["sid"] for e in events] == [c.sid for c in callers]
    assert [e.data["outcome"] for e in events] == ["missed", "abandoned", "callback_requested"]
    assert count(Promise) == 1 and len(twilio.sent_to(CUSTOMER)) == 1


def test_every_webhook_repeated_changes_nothing_twice(caller, run_jobs, twilio, clock):
    for _ in range(2):
        caller.calls()
    caller.desk("no-answer")
    clock.advance(minutes=1)
    caller.desk("no-answer")
    for _ in range(2):
        caller.records(seconds=5)
        caller.hangs_up(duration=60)
    late = caller.post("/status", CallStatus="ringing")  # out of order, after the end
    assert late.status_code == 204
    run_jobs()
    call = the_call(caller.sid)
    assert count(Call) == 1 and call.status == "completed" and call.duration_seconds == 60
    assert count(Ticket) == 1 and count(Promise) == 1 and len(twilio.sent_to(CUSTOMER)) == 1
    assert count(Event, Event.kind == "call") == 1
    assert count(Message, Message.external_id.is_not(None)) == 1


def test_a_status_callback_for_a_call_we_never_saw_still_owes_a_call_back(caller):
    """The first webhook failed (our outage): the end of the call still counts."""
    caller.hangs_up(status="completed", duration=10)
    assert the_call(caller.sid).outcome == CallOutcome.ABANDONED
    assert len(callback_tickets()) == 1


def test_the_department_that_owns_the_number_gets_the_call(sms_app, desk, department, db):
    sales = department("Sales", desk_phone="+254720000002")
    db.session.add(
        Line(
            provider=Provider.TWILIO,
            channel=Channel.SMS,
            address=OUR_VOICE_NUMBER,
            department=sales,
        )
    )
    db.session.commit()
    caller = Caller(sms_app.test_client())
    assert twiml(caller.calls()).find("Dial").text == "+254720000002"
    caller.desk("no-answer")
    (ticket,) = callback_tickets()
    assert ticket.department_id == sales.id and ticket.line == f"twilio:{OUR_VOICE_NUMBER}"


def test_a_withheld_number_is_put_through_but_owes_no_call_back(sms_app, desk):
    caller = Caller(sms_app.test_client(), number="+266696687")
    root = twiml(caller.calls())
    assert root.find("Dial").text == DESK
    caller.desk("no-answer")
    caller.hangs_up()
    call = the_call(caller.sid)
    assert call.customer_id is None and call.outcome == CallOutcome.MISSED
    assert count(Ticket) == 0 and count(Customer) == 0


def test_a_withheld_number_after_hours_is_told_to_call_again(sms_app, desk, clock):
    clock.set(eat(2026, 11, 23, 20, 0))
    caller = Caller(sms_app.test_client(), number="anonymous")
    root = twiml(caller.calls())
    assert verbs(root) == ["Say", "Say", "Hangup"]
    assert "hidden" in said(root)[0][1]


def test_another_key_repeats_the_menu(caller):
    caller.calls()
    assert verbs(twiml(caller.presses("9"))) == ["Gather", "Dial"]
    assert the_call(caller.sid).outcome is None


# -- bad input: a clear 4xx, and nothing changes -------------------------------------------


def nothing_stored():
    return count(Call) == 0 and count(Ticket) == 0 and count(Customer) == 0


@pytest.mark.parametrize("path", ["", "/status", "/menu", "/dial", "/recording"])
def test_unsigned_or_wrongly_signed_posts_are_refused(caller, path):
    assert caller.post(path, signed=False).status_code == 403
    assert caller.post(path, token="0" * 32).status_code == 403
    assert nothing_stored()


def test_a_signature_for_another_url_is_refused(caller):
    params = caller.params()
    headers = {"X-Twilio-Signature": sign(BASE + VOICE + "/status", params, DEFAULT_AUTH_TOKEN)}
    assert caller.client.post(VOICE, data=params, headers=headers).status_code == 403
    assert nothing_stored()


@pytest.mark.parametrize(
    "path, changes",
    [
        ("", {"CallSid": None}),
        ("", {"CallSid": ""}),
        ("", {"CallSid": "CA123"}),
        ("", {"CallSid": "CA" + "z" * 32}),
        ("", {"CallSid": "CA" + "a" * 32 + "' OR 1=1 --"}),
        ("", {"From": None}),
        ("", {"CallStatus": "exploded"}),
        ("/status", {"CallStatus": None}),
        ("/status", {"CallStatus": "completed", "CallDuration": "-5"}),
        ("/status", {"CallStatus": "completed", "CallDuration": "9" * 30}),
        ("/dial", {"DialCallStatus": None}),
        ("/dial", {"DialCallStatus": "maybe"}),
        ("/dial", {"DialCallStatus": "completed", "DialCallDuration": "1e3"}),
        ("/recording", {}),
        ("/recording", {"RecordingUrl": "javascript:alert(1)", "RecordingSid": "RE" + "a" * 32}),
        ("/recording", {"RecordingUrl": RECORDING, "RecordingSid": "nope"}),
        ("/recording", {"RecordingUrl": RECORDING + " x", "RecordingSid": "RE" + "a" * 32}),
        (
            "/recording",
            {
                "RecordingUrl": RECORDING,
                "RecordingSid": "RE" + "a" * 32,
                "RecordingDuration": "long",
            },
        ),
    ],
)
def test_malformed_posts_are_400_and_store_nothing(caller, path, changes):
    response = caller.post(path, **changes)
    assert response.status_code == 400, response.data[:200]
    assert nothing_stored()


def test_a_malformed_post_on_a_known_call_changes_nothing(caller):
    caller.calls()
    assert caller.post("/dial", DialCallStatus="maybe").status_code == 400
    assert caller.post("/status", CallStatus="completed", CallDuration="x").status_code == 400
    call = the_call(caller.sid)
    assert call.outcome is None and call.ended_at is None and count(Ticket) == 0


def test_an_oversized_post_is_refused(caller, sms_app):
    sms_app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    response = caller.post(SpeechResult="x" * (200 * 1024))
    assert response.status_code == 413
    assert nothing_stored()


def test_the_department_lookup_ignores_a_disabled_line(sms_app, desk, department, db):
    other = department("Sales", desk_phone="+254720000002")
    db.session.add(
        Line(
            provider=Provider.TWILIO,
            channel=Channel.SMS,
            address=OUR_VOICE_NUMBER,
            department=other,
            is_enabled=False,
        )
    )
    db.session.commit()
    caller = Caller(sms_app.test_client())
    assert twiml(caller.calls()).find("Dial").text == DESK
    assert db.session.get(Department, the_call(caller.sid).department_id).name == "Customer care"


# -- the agent's side: call backs first, and settling one ----------------------------------


def test_call_backs_come_first_in_the_queue_with_a_badge_and_a_tel_link(
    sms_app, desk, web, login, clock, db
):
    import re

    from ticketing import lifecycle

    agent = db.session.scalar(select(User).where(User.email == "otieno@fuatilia.test"))
    others = []
    for n in range(3):  # older, urgent, overdue tickets that would otherwise lead the queue
        person = Customer(phone=f"+25471100000{n}", name=f"Person {n}")
        db.session.add(person)
        ticket = lifecycle.open_ticket(
            person, subject=f"Urgent {n}", body="x", channel=Channel.SMS, priority=Priority.URGENT
        )
        others.append(ticket)
    db.session.commit()
    clock.advance(days=2)  # now they are all breached
    caller = Caller(sms_app.test_client())
    caller.calls()
    caller.desk("no-answer")
    (callback,) = callback_tickets()
    client = login(web.test_client(), agent)
    page = client.get("/agent/?view=departments").get_data(as_text=True)
    order = [int(i) for i in re.findall(r'href="/agent/tickets/(\d+)"', page)]
    assert order[0] == callback.id and set(order[1:]) == {t.id for t in others}
    row = page.split("<tr")[2]  # the first row of the body
    assert "Call back" in row and f'href="tel:{CUSTOMER}"' in row
    assert page.count("Call back</span>") == 1

    # once the call is made and marked kept, the ticket takes its ordinary place
    (promise,) = db.session.scalars(select(Promise).where(Promise.ticket_id == callback.id))
    ticket_page = client.get(f"/agent/tickets/{callback.id}").get_data(as_text=True)
    assert f"/agent/promises/{promise.id}/settle" in ticket_page  # the "kept" action is there
    response = client.post(f"/agent/promises/{promise.id}/settle", data={"kept": "1"})
    assert response.status_code == 302
    db.session.expire_all()
    promise = db.session.get(Promise, promise.id)
    assert promise.status == PromiseStatus.KEPT and promise.settled_at == clock.moment
    kept = db.session.scalars(select(Event).where(Event.kind == "promise_kept")).all()
    assert [e.actor_id for e in kept] == [agent.id]
    page = client.get("/agent/?view=departments").get_data(as_text=True)
    order = [int(i) for i in re.findall(r'href="/agent/tickets/(\d+)"', page)]
    assert order[0] != callback.id and "Call back</span>" not in page


def test_the_same_call_posted_concurrently_is_one_call_and_one_call_back(
    sms_app, desk, clock, run_jobs, twilio
):
    import threading

    import requests
    from harness import serving

    clock.set(eat(2026, 11, 23, 20, 0))  # after hours: the first post owes a call back
    caller = Caller(None)
    params = caller.params()
    headers = {"X-Twilio-Signature": sign(BASE + VOICE, params, DEFAULT_AUTH_TOKEN)}
    db.session.commit()
    responses, start = [], threading.Barrier(8)

    def post(url):
        start.wait()
        responses.append(requests.post(url, data=params, headers=headers, timeout=30))

    with serving(sms_app) as base:
        threads = [threading.Thread(target=post, args=(base + VOICE,)) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert [r.status_code for r in responses] == [200] * 8
    run_jobs()
    assert count(Call) == 1 and count(Customer) == 1 and count(Ticket) == 1
    assert count(Event, Event.kind == "call") == 1 and len(twilio.sent_to(CUSTOMER)) == 1
