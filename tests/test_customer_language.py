"""The customer's own pages speak the customer's language (English or Kiswahili), and the status
page tells them everything we sent them, what we promised and what happens next."""

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from harness import CUSTOMER, PASSWORD, SUPPORT_FORM, WEEKDAYS, page_text, targets, text_of
from sqlalchemy import select

from ticketing import lifecycle, promises
from ticketing.models import Customer, Outbox, Ticket
from ticketing.models.enums import Channel, Language, OutboxStatus, Status

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "ticketing" / "translations" / "sw" / "LC_MESSAGES"
SWAHILI = {"Accept-Language": "sw-KE,sw;q=0.9"}
TUESDAY_10 = datetime(2026, 12, 1, 7, 0)  # naive UTC: Tuesday 1 December, 10:00 in Nairobi
FORM = SUPPORT_FORM


@pytest.fixture
def desk(department, staff):
    return staff("achieng", departments=[department("Sales", keywords="delivery")])


def ticket_for(db, language: Language, *, phone=CUSTOMER, name="Wanjiku") -> Ticket:
    person = Customer(name=name, phone=phone, language=language)
    db.session.add(person)
    ticket = lifecycle.open_ticket(
        person, subject="Friji haipoi", body="Friji yangu haipoi tangu jana.", channel=Channel.SMS
    )
    db.session.commit()
    return ticket


def html_lang(page: str) -> str:
    return page.split('<html lang="', 1)[1].split('"', 1)[0]


# --- Which language ------------------------------------------------------------------------


def test_a_swahili_customers_status_page_speaks_kiswahili(db, client, desk, run_jobs):
    ticket = ticket_for(db, Language.SW)
    page = client.get(f"/t/{ticket.token}").text
    assert html_lang(page) == "sw"
    words = page_text(page)
    for swahili in ("Mazungumzo", "Hatua inayofuata", "Idara", "Ilifunguliwa", "Jibu lako", "Tuma"):
        assert swahili in words, swahili
    assert "Conversation" not in words and "Department" not in words
    assert "English | Kiswahili" in words  # the toggle


def test_an_english_customer_sees_english_even_from_a_swahili_browser(db, client, desk):
    ticket = ticket_for(db, Language.EN)
    page = client.get(f"/t/{ticket.token}", headers=SWAHILI).text
    assert html_lang(page) == "en"
    assert "Conversation" in page_text(page) and "Mazungumzo" not in page_text(page)


def test_the_browser_language_chooses_on_the_support_form(client):
    page = client.get("/support", headers=SWAHILI).text
    assert html_lang(page) == "sw"
    words = page_text(page)
    assert "Wasiliana na huduma kwa wateja" in words and "Jina lako" in words
    assert "Lugha ya ujumbe wetu kwako" in words and "Usafirishaji" in words
    assert '<option selected value="sw">' in page  # they read Kiswahili, so we offer to write in it
    english = client.application.test_client().get("/support").text
    assert html_lang(english) == "en" and "Contact support" in page_text(english)
    assert '<option selected value="en">' in english


def test_the_customers_choice_overrides_and_sticks_for_the_session(db, client, desk):
    assert html_lang(client.get("/support?lang=en", headers=SWAHILI).text) == "en"
    again = client.get("/support", headers=SWAHILI).text
    assert html_lang(again) == "en" and "Contact support" in page_text(again)
    ticket = ticket_for(db, Language.SW)
    status = client.get(f"/t/{ticket.token}").text  # their choice beats the customer's language
    assert html_lang(status) == "en" and "Conversation" in page_text(status)
    switched = client.get(f"/t/{ticket.token}?lang=sw").text
    assert html_lang(switched) == "sw" and "Mazungumzo" in page_text(switched)
    assert html_lang(client.get("/support").text) == "sw"


def test_staff_pages_stay_english_whatever_the_session_chose(client, desk):
    client.get("/support?lang=sw")
    client.post("/auth/login", data={"email": desk.email, "password": PASSWORD})
    page = client.get("/agent/").text
    assert html_lang(page) == "en"
    assert "Sign out" in page


def test_form_errors_come_in_kiswahili(db, client, desk):
    bad = FORM | {"name": "", "phone": "12345", "subject": "x" * 201}
    response = client.post("/support", data=bad, headers=SWAHILI)
    assert response.status_code == 400
    words = page_text(response.text)
    assert "Tafadhali tuambie jina lako." in words
    assert "si namba sahihi ya simu. Tumia mfumo kama 0712 345 678." in words
    assert "Sehemu hii isizidi herufi 200." in words
    assert "Hitilafu:" in words and "Please tell us your name." not in words
    assert db.session.scalar(select(Ticket)) is None
    nothing = client.post("/support", data=FORM | {"phone": ""}, headers=SWAHILI)
    assert "Weka barua pepe au namba ya simu ili tuweze kukujibu." in page_text(nothing.text)


def test_a_ticket_opened_in_kiswahili_thanks_the_customer_in_kiswahili(db, client, desk):
    response = client.post("/support", data=FORM | {"language": "sw"}, follow_redirects=True)
    assert html_lang(response.text) == "sw"
    ticket = db.session.scalar(select(Ticket))
    assert f"Asante. Namba yako ya kumbukumbu ni {ticket.reference}." in page_text(response.text)
    replied = client.post(f"/t/{ticket.token}/reply", data={"body": ""})
    assert replied.status_code == 400 and "Tafadhali andika ujumbe." in page_text(replied.text)


def test_error_pages_speak_the_browsers_language(client):
    response = client.get("/no/such/page", headers=SWAHILI)
    assert response.status_code == 404 and html_lang(response.text) == "sw"
    assert "Haikupatikana" in page_text(response.text)
    assert "Not found" in client.application.test_client().get("/no/such/page").text


# --- What the status page tells -------------------------------------------------------------


def test_the_status_page_lists_what_we_sent_promised_and_what_is_next(
    db, client, desk, run_jobs, clock
):
    clock.set(TUESDAY_10)
    ticket = ticket_for(db, Language.EN)
    run_jobs()
    ack = db.session.scalar(select(Outbox).where(Outbox.kind == "received"))
    assert ack.status == OutboxStatus.DELIVERED and ack.customer_id == ticket.customer_id
    page = client.get(f"/t/{ticket.token}").text
    conversation = text_of(page, "conversation")
    first_line = ack.body.splitlines()[0]
    assert first_line in conversation and "We sent you" in conversation
    assert conversation.index("Friji yangu haipoi") < conversation.index(first_line)
    assert "We aim to answer by" in page_text(page)
    assert text_of(page, "next-step").startswith("What happens next We will answer by")

    promises.add_promise(
        ticket, by=desk, description="Call you back", due_at=datetime(2026, 12, 3, 9, 0)
    )
    lifecycle.reply(ticket, by=desk, body="A technician will call you.")
    db.session.commit()
    run_jobs()
    page = client.get(f"/t/{ticket.token}").text
    words = page_text(page)
    assert "We aim to answer by" not in words  # answered: the first-response aim is past
    assert "Call you back by Thu 3 Dec 2026, 12:00" in text_of(page, "promises")  # Nairobi time
    assert text_of(page, "next-step") == "What happens next We will get back to you by Thu 12:00"
    assert text_of(page, "conversation").count("A technician will call you.") == 1  # not twice


def test_staff_alerts_and_suppressed_drafts_stay_off_the_status_page(db, client, desk, run_jobs):
    ticket = ticket_for(db, Language.EN)
    db.session.add_all(
        [
            Outbox(
                channel=Channel.EMAIL,
                kind="breach",
                recipient=desk.email,
                body="STAFF ONLY: breach",
                ticket=ticket,
                user_id=desk.id,
                status=OutboxStatus.SENT,
            ),
            Outbox(
                channel=Channel.SMS,
                kind="reminder",
                recipient=CUSTOMER,
                body="NEVER SENT: reminder",
                ticket=ticket,
                customer_id=ticket.customer_id,
                status=OutboxStatus.SUPPRESSED,
            ),
        ]
    )
    db.session.commit()
    words = page_text(client.get(f"/t/{ticket.token}").text)
    assert "STAFF ONLY" not in words and "NEVER SENT" not in words


@pytest.mark.parametrize(
    "status, english, swahili",
    [
        (Status.PENDING_CUSTOMER, "We are waiting for your answer", "Tunasubiri jibu lako"),
        (Status.CLOSED, "Closed", "Imefungwa"),
    ],
)
def test_the_next_step_in_plain_words(db, web, desk, status, english, swahili):
    ticket = ticket_for(db, Language.EN)
    lifecycle.set_status(ticket, status, by=desk)
    db.session.commit()
    page = web.test_client().get(f"/t/{ticket.token}").text
    assert text_of(page, "next-step") == f"What happens next {english}"
    in_swahili = web.test_client().get(f"/t/{ticket.token}?lang=sw").text
    assert text_of(in_swahili, "next-step") == f"Hatua inayofuata {swahili}"


def test_the_charter_speaks_kiswahili_too(db, client, department):
    department(
        "Billing",
        description="Payments and refunds.",
        targets=targets(4 * 60, 16 * 60),
        working_hours=WEEKDAYS,
    )
    page = client.get("/charter", headers=SWAHILI).text
    assert html_lang(page) == "sw"
    words = page_text(page)
    assert "Mkataba wetu wa huduma kwa wateja" in words and "Mwezi huu: jibu la kwanza" in words
    assert "Kipaumbele cha dharura" in words and "Ndani ya muda tulioahidi" in words
    assert "Jibu la kwanza ndani ya saa 4 za kazi" in words  # normal: 4 working hours
    assert "Jibu la kwanza ndani ya saa 1 ya kazi" in words  # urgent: a quarter of it
    assert "Kutatuliwa ndani ya saa 16 za kazi" in words and "working" not in words
    assert "Payments and refunds." in words  # the department's own words stay as written
    english = page_text(client.get("/charter?lang=en").text)
    assert "Our service charter" in english and "Urgent priority" in english
    assert "First answer within 4 working hours" in english and "1 working hour" in english


# --- The catalogue ----------------------------------------------------------------------------


def plain(text):
    """A catalogue id or string; plural forms (lists or tuples, by reader) as a tuple."""
    return tuple(text) if isinstance(text, list | tuple) else text


def test_the_catalogue_translates_every_customer_string_and_is_compiled():
    with (CATALOGUE / "messages.po").open("rb") as po, (CATALOGUE / "messages.mo").open("rb") as mo:
        source, compiled = read_po(po, locale="sw"), read_mo(mo)
    translations = {plain(m.id): plain(m.string) for m in source if m.id}
    untranslated = [
        k for k, v in translations.items() if not all(v if isinstance(v, tuple) else [v])
    ]
    assert not untranslated, untranslated
    assert {plain(m.id): plain(m.string) for m in compiled if m.id} == translations, (
        "run `make translations`"
    )
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options = parse_mapping_cfg(cfg)
    extracted = {
        plain(message[2])
        for message in extract_from_dir(
            str(ROOT),
            method_map,
            options,
            keywords={"_": None, "_l": None, "gettext": None, "ngettext": (1, 2)},
        )
    }
    assert extracted <= set(translations), f"not in the catalogue: {extracted - set(translations)}"


# --- A 360 px phone ---------------------------------------------------------------------------


@pytest.mark.browser
def test_the_customer_pages_fit_a_360_px_phone(db, live_server, browser, desk, run_jobs):
    ticket = ticket_for(db, Language.SW)
    long_word = "https://fuatilia.example/" + "a" * 120
    lifecycle.reply(ticket, by=desk, body=f"Angalia hapa: {long_word}")
    promises.add_promise(
        ticket,
        by=desk,
        description="Tutakupigia simu kuhusu " + "ukarabati" * 12,
        due_at=ticket.created_at + timedelta(days=2),
    )
    db.session.commit()
    run_jobs()
    page = browser.new_page(viewport={"width": 360, "height": 740})
    try:
        for path in (f"/t/{ticket.token}", "/support", "/charter", f"/t/{ticket.token}?lang=en"):
            page.goto(f"{live_server.url}{path}")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 360, (path, width)
        page.goto(f"{live_server.url}/support")
        page.click("button[type=submit]")  # the form with its errors, in English now
        page.wait_for_selector(".error")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        page.close()
