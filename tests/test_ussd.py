"""The USSD menu over Africa's Talking, driven as its gateway drives it: one keyed form post per
step, `text` carrying every choice so far. Every path in English, Kiswahili and the bilingual
menu of a caller we do not know; every screen within 182 characters; wrong, absurd, unkeyed,
oversized and repeated requests; the session log and the end-of-session notification; and
Wanjiku's story told over USSD."""

import itertools
import threading
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import pytest
from harness import CUSTOMER, MONDAY_10_NAIROBI, Phone, counts, newest_ticket, outbox_rows
from sqlalchemy import func, select

from ticketing import lifecycle
from ticketing.extensions import db
from ticketing.models import Customer, Event, Ticket, UssdSession
from ticketing.models.enums import Category, Channel, Language, OutboxStatus, Status
from ticketing.ussd_screens import MAX_CHARS

SECRET = "ussd-test-key"
pytestmark = pytest.mark.config(AT_WEBHOOK_SECRET=SECRET)
MENU = f"/webhooks/africastalking/ussd?key={SECRET}"
EVENTS = f"/webhooks/africastalking/ussd/events?key={SECRET}"
STRANGER = "+254722000111"
_sessions = itertools.count(1)


class Handset:
    """A phone dialling the USSD code: each `dial` is a new session, each `press` a step."""

    def __init__(self, client, number: str):
        self.client, self.number = client, number
        self.session_id, self.choices = "", []

    def dial(self) -> str:
        self.session_id, self.choices = f"ATUid_test{next(_sessions):06d}", []
        return self.step()

    def press(self, choice: str) -> str:
        self.choices.append(choice)
        return self.step()

    def run(self, *choices: str) -> str:
        """Dial and make every choice; the last screen."""
        screen = self.dial()
        for choice in choices:
            screen = self.press(choice)
        return screen

    def step(self, text: str | None = None) -> str:
        response = post(self.client, self.session_id, self.number, self.text(text))
        assert response.status_code == 200, response.data
        assert response.mimetype == "text/plain"
        return response.get_data(as_text=True)

    def text(self, text: str | None = None) -> str:
        return "*".join(self.choices) if text is None else text


def post(client, session_id: str, number: str, text: str, path: str = MENU, **fields):
    form = {
        "sessionId": session_id,
        "serviceCode": "*384*123#",
        "phoneNumber": number,
        "text": text,
        "networkCode": "63902",
    } | fields
    return client.post(path, data=form)


def screen_of(answer: str) -> str:
    assert answer.startswith(("CON ", "END ")), answer
    return answer[4:]


def fits(answer: str) -> str:
    screen = screen_of(answer)
    assert len(screen) <= MAX_CHARS, (len(screen), screen)
    assert screen.isascii(), screen  # GSM-7 on every handset
    return screen


def ticket_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Ticket))


def session_row(session_id: str) -> UssdSession:
    db.session.expire_all()
    return db.session.scalar(select(UssdSession).where(UssdSession.session_id == session_id))


@pytest.fixture
def desk(app, department, staff, clock):
    """General, and After-sales service with Otieno on duty, on a Monday morning."""
    clock.set(MONDAY_10_NAIROBI)
    department("General")
    after_sales = department("After-sales service", keywords="fridge, friji")
    return staff("otieno", departments=[after_sales])


def customer(number: str, language: Language) -> Customer:
    person = Customer(name="", phone=number, language=language, preferred_channel=Channel.SMS)
    db.session.add(person)
    db.session.commit()
    return person


def closed_ticket(person: Customer, subject: str) -> Ticket:
    ticket = lifecycle.open_ticket(
        person, subject=subject, body=subject, channel=Channel.SMS, acknowledge=False
    )
    lifecycle.close(ticket)
    db.session.commit()
    return ticket


# -- every screen fits, in every language ---------------------------------------------------

PATHS = [
    (),
    ("0",),
    ("0", "0"),
    ("9",),
    ("0", "x"),
    ("1",),
    ("1", "1"),
    ("2",),
    ("2", "9"),
    ("2", "1"),
    ("2", "1", "ok"),
    ("2", "1", "fridge not cooling since yesterday"),
    ("2", "2", "0"),
    ("3",),
    ("4",),
    ("4", "9"),
    ("4", "4"),
    ("0", "4", "5"),
    ("0", "1"),
]


@pytest.mark.parametrize("caller", ["stranger", "en", "sw"])
def test_every_screen_of_every_path_fits_one_ascii_screen(client, desk, caller):
    number = {"stranger": STRANGER, "en": "+254711000001", "sw": "+254711000002"}[caller]
    if caller != "stranger":
        person = customer(number, Language(caller))
        long = "Fridge " + "very long subject about the cooling fault " * 10
        for index in range(8):  # more tickets than one screen can show
            lifecycle.open_ticket(
                person, subject=f"{long} {index}", body="x", channel=Channel.SMS, acknowledge=False
            )
        closed_ticket(person, long)
    phone, screens = Handset(client, number), []
    for path in PATHS:
        screens.append(fits(phone.run(*path)))
        if caller != "stranger":
            db.session.execute(db.update(Ticket).values(satisfaction_score=None))
            db.session.commit()
    assert len(screens) == len(PATHS)
    first = screens[0]
    if caller == "stranger":
        assert "Welcome" in first and "Karibu" in first and "0 Kiswahili" in first
        assert "Maombi yangu" in screens[1]  # 0: Kiswahili
        assert "My tickets" in screens[2]  # 0 again: English
    elif caller == "en":
        assert "My tickets" in first and "Maombi yangu" in screens[1]
    else:
        assert "Maombi yangu" in first and "My tickets" in screens[1]
        assert screens[3].startswith("Chaguo si sahihi.\nHuduma ya Fuatilia")  # 9
        assert screens[4].startswith("Invalid choice.\nFuatilia support")  # 0, then x


def test_the_status_screen_shows_as_many_tickets_as_fit_latest_first(client, desk, clock):
    person = customer(CUSTOMER, Language.EN)
    made = []
    for index in range(7):
        clock.advance(minutes=1)
        made.append(
            lifecycle.open_ticket(
                person, subject=f"Cooker {index}", body="x", channel=Channel.SMS, acknowledge=False
            )
        )
    db.session.commit()
    screen = fits(Handset(client, CUSTOMER).run("1"))
    lines = screen.splitlines()
    assert lines[0] == "Your tickets:"
    shown = [line.split()[0] for line in lines[1:]]
    assert shown == [t.reference for t in reversed(made)][: len(shown)] and len(shown) >= 3
    assert lines[1].startswith(f"{made[-1].reference} Received: answer by ")


# -- the paths -----------------------------------------------------------------------------


def test_a_stranger_reports_a_problem_and_gets_the_reference_at_once(client, desk, run_jobs):
    phone = Handset(client, STRANGER)
    assert phone.dial().startswith("CON Karibu/Welcome")
    assert phone.press("0").startswith("CON Huduma ya Fuatilia")
    assert "Tatizo lako ni kuhusu" in phone.press("2")
    assert "Andika maelezo" in phone.press("1")
    answer = phone.press("Friji yangu haipoi")
    ticket = newest_ticket()
    assert answer == (
        f"END Asante. Kumb. yako ni {ticket.reference}. Tutakujibu kabla ya 24/11 09:00. "
        "Utapata SMS ya uthibitisho."
    )
    assert ticket.channel == Channel.USSD and ticket.category == Category.AFTER_SALE
    assert (
        ticket.department.name == "After-sales service" and ticket.subject == "Friji yangu haipoi"
    )
    assert ticket.customer.phone == STRANGER and ticket.customer.language == Language.SW
    assert ticket.customer.preferred_channel == Channel.SMS
    [ack] = outbox_rows(kind="received")
    assert ack.channel == Channel.SMS and ack.recipient == STRANGER and ticket.reference in ack.body
    run_jobs()
    assert outbox_rows(kind="received")[0].status in (OutboxStatus.SENT, OutboxStatus.DELIVERED)


def test_send_it_by_sms_texts_a_prompt_and_her_next_sms_lands_on_the_ticket(client, desk, run_jobs):
    answer = Handset(client, CUSTOMER).run("2", "2", "0")
    ticket = newest_ticket()
    assert answer.startswith(f"END Your ref is {ticket.reference}. We sent you an SMS")
    assert ticket.category == Category.DELIVERY and ticket.channel == Channel.USSD
    assert outbox_rows(kind="received") == []  # the prompt is the acknowledgment
    [prompt] = outbox_rows(kind="ussd_describe")
    assert prompt.recipient == CUSTOMER and prompt.body.startswith(f"Ref {ticket.reference}: reply")
    run_jobs()
    Phone(client, CUSTOMER).text("The parcel for order 4411 never came")
    run_jobs()
    db.session.expire_all()
    assert ticket_count() == 1
    assert ticket.messages[-1].body == "The parcel for order 4411 never came"


def test_a_call_back_is_owed_and_told_on_the_end_screen(client, desk):
    person = customer(CUSTOMER, Language.EN)
    answer = Handset(client, CUSTOMER).run("3")
    ticket = newest_ticket()
    [promise] = ticket.promises
    assert promise.agent_id is None and promise.is_callback
    assert answer == (
        f"END We will call you back by 23/11 14:00. Ref {ticket.reference}. An SMS confirms it."
    )
    assert ticket.customer_id == person.id and ticket.channel == Channel.USSD
    assert [r.kind for r in outbox_rows()] == ["callback"]
    kinds = db.session.scalars(select(Event.kind).where(Event.ticket_id == ticket.id)).all()
    assert "callback_requested" in kinds


def test_rating_the_last_closed_ticket_goes_through_answers(client, desk):
    person = customer(CUSTOMER, Language.SW)
    older = closed_ticket(person, "Jiko")
    ticket = closed_ticket(person, "Friji haipoi")
    phone = Handset(client, CUSTOMER)
    assert phone.run("4") == (
        f"CON Tathmini {ticket.reference} (Friji haipoi):\n1 Mbaya sana\n2 Mbaya\n3 Wastani\n"
        "4 Nzuri\n5 Nzuri sana"
    )
    assert phone.press("7").startswith("CON Chaguo si sahihi.\nTathmini")
    assert phone.press("4") == f"END Asante kwa kutathmini {ticket.reference} 4/5."
    db.session.expire_all()
    assert (ticket.satisfaction_score, older.satisfaction_score) == (4, None)
    rated = db.session.scalars(select(Event).where(Event.kind == "rated")).all()
    assert [(e.ticket_id, e.data["score"]) for e in rated] == [(ticket.id, 4)]
    assert ticket.messages[-1].body == "4" and ticket.messages[-1].channel == Channel.USSD
    assert phone.run("4") == f"END {ticket.reference} tayari imepewa alama 4/5. Asante!"
    assert phone.run("4", "2").startswith(f"END {ticket.reference} tayari")
    db.session.expire_all()
    assert ticket.satisfaction_score == 4


def test_nothing_to_show_or_rate_for_a_stranger_and_nothing_is_created(client, desk):
    phone = Handset(client, STRANGER)
    assert (
        phone.run("1")
        == "END You have no tickets with us. Dial again and choose 2 to report a problem."
    )
    assert phone.run("4") == "END You have no closed ticket to rate."
    assert phone.run("4", "5") == "END You have no closed ticket to rate."
    assert counts()["customers"] == 0 and ticket_count() == 0


# -- wrong and absurd input ------------------------------------------------------------------


def test_a_wrong_choice_re_asks_the_same_screen_and_the_walk_goes_on(client, desk):
    customer(CUSTOMER, Language.EN)
    phone = Handset(client, CUSTOMER)
    menu = screen_of(phone.run())
    assert phone.run("7") == f"CON Invalid choice.\n{menu}"
    categories = screen_of(phone.run("2"))
    assert phone.run("2", "5") == f"CON Invalid choice.\n{categories}"
    assert phone.run("2", "11") == f"CON Invalid choice.\n{categories}"
    assert phone.run("2", "1", "?!").startswith("CON Please type a few words.\nType a short")
    assert phone.run("7", "9", "1").startswith("END You have no tickets")  # then a right one
    assert phone.run("1", "2").startswith("END This session has ended")
    assert ticket_count() == 0


ABSURD = [
    "*" * 400,
    "**",
    "1**",
    "2**",
    "*1",
    "x" * 501,
    "9" * 500,
    "٣",
    "🙏*🙏",
    "1\x00",
    "\x00",
    "2*1*\x00\x00",
    "4*\x00",
    "0*" * 250,
    "2*1*" + "é" * 300,
    "'; DROP TABLE tickets; --",
    "\r\n",
    " ",
]


@pytest.mark.parametrize("text", ABSURD)
def test_absurd_text_gets_a_screen_never_an_error(client, desk, text):
    for number in (CUSTOMER, STRANGER):
        phone = Handset(client, number)
        phone.session_id = f"ATUid_absurd{next(_sessions)}"
        answer = phone.step(text)
        fits(answer)
        row = session_row(phone.session_id)
        assert row.steps == 1 and "\x00" not in row.last_text and len(row.last_text) <= 500
    assert ticket_count() <= 2  # "2*1*ééé..." is a real description: one ticket per caller


def test_a_session_text_longer_than_the_log_keeps_is_refused_with_a_screen(client, desk):
    phone = Handset(client, CUSTOMER)
    phone.session_id = "ATUid_long"
    answer = phone.step("2*1*" + "fridge broken " * 40)
    assert answer == "END Samahani, piga tena. Sorry, please dial again."
    row = session_row("ATUid_long")
    assert row.outcome == "unreadable" and len(row.last_text) == 500
    assert ticket_count() == 0


def test_a_bad_phone_number_gets_an_apology_and_is_logged(client, desk):
    for number in ("", "hello", "+2547", "+254" + "7" * 40):
        session_id = f"ATUid_bad{next(_sessions)}"
        response = post(client, session_id, number, "2*1*fridge broken")
        assert response.status_code == 200
        assert response.get_data(as_text=True).startswith("END Samahani, nambari yako")
        assert session_row(session_id).outcome == "bad_phone"
    assert counts()["customers"] == 0 and ticket_count() == 0


@pytest.mark.parametrize(
    "path", ["/webhooks/africastalking/ussd", "/webhooks/africastalking/ussd/events"]
)
@pytest.mark.parametrize("key", [None, "", "wrong", SECRET + "x", SECRET.upper()])
def test_a_missing_or_wrong_key_is_refused_and_changes_nothing(client, desk, path, key):
    url = path if key is None else f"{path}?{urlencode({'key': key})}"
    response = post(client, "ATUid_key", CUSTOMER, "3", path=url, status="Success")
    assert response.status_code == 403
    assert session_row("ATUid_key") is None and ticket_count() == 0


@pytest.mark.parametrize("path", [MENU, EVENTS])
def test_no_session_id_or_an_oversized_body_is_refused(client, desk, path):
    for session_id in ("", " ", "x" * 101, "ATUid\x00", "ATUid\n1"):
        assert post(client, session_id, CUSTOMER, "3", path=path).status_code == 400
    huge = post(client, "ATUid_huge", CUSTOMER, "2*1*" + "x" * 20_000, path=path)
    assert huge.status_code == 413
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(UssdSession)) == 0
    assert ticket_count() == 0


@pytest.mark.config(AT_WEBHOOK_SECRET="")
def test_the_console_backend_development_key_is_accepted(client, desk):
    from ticketing.channels import africastalking

    with client.application.test_request_context():
        key = africastalking.webhook_secret()
    response = post(
        client, "ATUid_dev", CUSTOMER, "", path=f"/webhooks/africastalking/ussd?key={key}"
    )
    assert response.status_code == 200 and response.get_data(as_text=True).startswith("CON ")


# -- repeats: the gateway may send the final request twice ------------------------------------


@pytest.mark.parametrize("choices", [("2", "1", "fridge not cooling"), ("2", "3", "0"), ("3",)])
def test_the_same_final_request_twice_acts_once_and_answers_the_same(client, desk, choices):
    phone = Handset(client, CUSTOMER)
    first = phone.run(*choices)
    before = counts()
    assert phone.step() == first
    assert counts() == before and ticket_count() == 1
    assert phone.step("1*2*3").startswith("END This session has ended")
    assert phone.step() == first  # and still the same answer after that
    assert counts() == before
    row = session_row(phone.session_id)
    assert row.steps == len(choices) + 4 and row.ticket_id == newest_ticket().id


def test_the_same_rating_request_twice_rates_once(client, desk):
    ticket = closed_ticket(customer(CUSTOMER, Language.EN), "Fridge")
    phone = Handset(client, CUSTOMER)
    first = phone.run("4", "5")
    assert first == f"END Thank you for rating {ticket.reference} 5/5."
    assert phone.step() == first
    db.session.expire_all()
    assert ticket.satisfaction_score == 5
    assert db.session.scalar(select(func.count()).where(Event.kind == "rated")) == 1
    assert len([m for m in ticket.messages if m.channel == Channel.USSD]) == 1


def test_simultaneous_copies_of_the_final_request_open_one_ticket(live_server, client, desk):
    """The session's row exists already (she dialled), so only its lock orders the copies."""
    dialled = Handset(client, CUSTOMER)
    dialled.session_id = "ATUid_race"
    assert dialled.step("").startswith("CON ")
    form = urlencode(
        {
            "sessionId": "ATUid_race",
            "serviceCode": "*384*123#",
            "phoneNumber": CUSTOMER,
            "text": "2*1*fridge not cooling",
        }
    ).encode()
    answers, start = [], threading.Barrier(4)

    def send():
        start.wait()
        request = Request(live_server.url + MENU, data=form, method="POST")
        with urlopen(request, timeout=30) as response:
            answers.append(response.read().decode())

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 4 and len(set(answers)) == 1, answers
    assert ticket_count() == 1 and newest_ticket().reference in answers[0]
    assert session_row("ATUid_race").steps == 5


# -- the session log -----------------------------------------------------------------------


def test_every_step_is_logged_on_the_session_row(client, desk):
    phone = Handset(client, STRANGER)
    phone.dial()
    row = session_row(phone.session_id)
    assert (row.phone, row.service_code, row.network_code) == (STRANGER, "*384*123#", "63902")
    assert (row.steps, row.last_text, row.outcome, row.customer_id) == (1, "", "menu", None)
    phone.press("2")
    phone.press("9")
    assert (session_row(phone.session_id).steps, session_row(phone.session_id).outcome) == (
        3,
        "categories",
    )
    phone.press("1")
    phone.press("fridge*broken")  # a `*` the caller typed stays in their words
    row = session_row(phone.session_id)
    ticket = newest_ticket()
    assert ticket.subject == "fridge*broken"
    assert (row.steps, row.last_text, row.outcome) == (5, "2*9*1*fridge*broken", "reported")
    assert (row.customer_id, row.ticket_id) == (ticket.customer_id, ticket.id)
    assert row.ended_at is None


def test_the_end_of_session_notification_is_recorded(client, desk):
    phone = Handset(client, CUSTOMER)
    phone.run("1")
    fields = {
        "status": "Failed",
        "errorMessage": "USSD session timed out",
        "durationInMillis": "20123",
        "hopsCount": "2",
        "input": "1",
        "lastAppResponse": "END ...",
        "cost": "KES 0.0000",
        "date": "2026-11-23 10:00:05",
    }
    response = post(client, phone.session_id, CUSTOMER, "", path=EVENTS, **fields)
    assert response.status_code == 200
    row = session_row(phone.session_id)
    assert (row.end_status, row.end_reason, row.ended_at) == (
        "Failed",
        "USSD session timed out",
        MONDAY_10_NAIROBI,
    )
    assert row.steps == 2 and row.outcome == "no_tickets"  # the menu's record stands
    assert (
        post(client, "ATUid_never_seen", CUSTOMER, "", path=EVENTS, status="Success").status_code
        == 200
    )
    unknown = session_row("ATUid_never_seen")
    assert (unknown.end_status, unknown.end_reason, unknown.steps) == ("Success", None, 0)
    again = post(client, "ATUid_never_seen", "", "", path=EVENTS, status="x" * 500)
    assert again.status_code == 200 and len(session_row("ATUid_never_seen").end_status) == 32


# -- Wanjiku's story -----------------------------------------------------------------------


@pytest.fixture
def at_sms_app(sms_app):
    """Texts go out through the Twilio stub; USSD is keyed with our secret."""
    sms_app.config["AT_WEBHOOK_SECRET"] = SECRET
    return sms_app


def test_wanjiku_reports_checks_asks_for_a_call_and_rates_over_ussd(
    at_sms_app, desk, run_jobs, twilio, clock
):
    otieno, client = desk, at_sms_app.test_client()
    phone = Handset(client, CUSTOMER)
    # She dials, reports "fridge not cooling" as an after-sale problem, in English.
    assert phone.run("2", "1", "fridge not cooling").startswith("END Thank you. Your ref is FT-")
    ticket = newest_ticket()
    assert (ticket.channel, ticket.category, ticket.assignee_id) == (
        Channel.USSD,
        Category.AFTER_SALE,
        otieno.id,
    )
    assert ticket.department.name == "After-sales service"
    run_jobs()
    [ack] = twilio.sent_to(CUSTOMER)
    assert f"Ref {ticket.reference}" in ack

    # Later she dials again and sees its status.
    clock.advance(hours=1)
    status = fits(phone.run("1"))
    assert status == f"Your tickets:\n{ticket.reference} Received: answer by 24/11 09:00"

    # She asks for a call back: the department owes her a call, she gets an SMS.
    callback = phone.run("3")
    call = newest_ticket()  # the department's call-back ticket (callbacks.request)
    assert callback.startswith("END We will call you back by ") and call.reference in callback
    run_jobs()
    assert twilio.sent_to(CUSTOMER)[-1].startswith(f"Ref {call.reference}: we will call you back")
    lines = fits(phone.run("1")).splitlines()
    assert lines[1].startswith(f"{call.reference} Received: next step by ")
    assert lines[2].startswith(f"{ticket.reference} ")

    # Otieno fixes it and closes it; she rates it 4 over USSD.
    db.session.expire_all()
    lifecycle.reply(ticket, by=otieno, body="The technician fixed the fridge today.")
    lifecycle.close(ticket, by=otieno)
    db.session.commit()
    run_jobs()
    assert f"\n{ticket.reference} Closed" in fits(phone.run("1"))
    assert phone.run("4", "4") == f"END Thank you for rating {ticket.reference} 4/5."
    db.session.expire_all()
    assert ticket.satisfaction_score == 4 and ticket.status == Status.CLOSED
    sessions = db.session.scalars(select(UssdSession).order_by(UssdSession.id)).all()
    assert [s.outcome for s in sessions] == [
        "reported",
        "status",
        "callback",
        "status",
        "status",
        "rated",
    ]
    assert {s.customer_id for s in sessions} == {ticket.customer_id}


def test_a_known_caller_who_switches_language_and_acts_is_answered_in_it_from_now_on(client, desk):
    person = customer(CUSTOMER, Language.EN)
    answer = Handset(client, CUSTOMER).run("0*3")  # Kiswahili, then "call me back"
    assert answer.startswith("END ")
    db.session.expire_all()
    assert db.session.get(Customer, person.id).language == Language.SW
    [sms] = outbox_rows()
    assert sms.kind == "callback" and sms.body.startswith("Kumb. ")
    changed = db.session.scalar(select(Event.data).where(Event.kind == "language_changed"))
    assert changed == {"to": "sw", "source": "USSD"}


def test_switching_language_only_to_look_changes_nothing(client, desk):
    person = customer(CUSTOMER, Language.EN)
    Handset(client, CUSTOMER).run("0*1")  # Kiswahili, then the status of my tickets
    db.session.expire_all()
    assert db.session.get(Customer, person.id).language == Language.EN
