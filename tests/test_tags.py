"""Tags: which names are accepted, how they are written (one event a change), and where
agents see and use them (the ticket page, the queue filter)."""

import re

import pytest
from harness import seen
from sqlalchemy import func, select

from ticketing import lifecycle, tags
from ticketing.models import Customer, Event, Ticket, TicketTag
from ticketing.models.enums import Channel, Role


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("Billing", "billing"),
        ("  m-pesa ", "m-pesa"),
        ("repeat_caller", "repeat_caller"),
        ("X" * 40, "x" * 40),
        ("2024", "2024"),
    ],
)
def test_names_are_trimmed_and_lowercased(typed, stored):
    assert tags.normalise(typed) == stored


@pytest.mark.parametrize(
    "typed, code",
    [
        ("", "tag_empty"),
        ("   ", "tag_empty"),
        (None, "tag_empty"),
        ("x" * 41, "tag_too_long"),
        ("a b", "tag_bad_characters"),
        ("<script>", "tag_bad_characters"),
        ("a,b", "tag_bad_characters"),
        ("%", "tag_bad_characters"),
        ("dr'op", "tag_bad_characters"),
    ],
)
def test_bad_names_are_refused_with_a_code(typed, code):
    with pytest.raises(tags.TagError) as refused:
        tags.normalise(typed)
    assert refused.value.code == code and isinstance(refused.value, ValueError)
    assert str(refused.value)  # words for the agent


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("Friji", "friji"),
        ("FRIJI", "friji"),
        ("ｆｒｉｊｉ", "friji"),  # full-width letters, as some phone keyboards type them
        ("Malipo_ya_HARAKA", "malipo_ya_haraka"),
        ("Straße", "strasse"),
        ("fürst", "fürst"),
        ("cafe\u0301", "café"),  # a decomposed accent is composed
        ("CAFÉ", "café"),
        ("مرحبا", "مرحبا"),  # Arabic
        ("ثلاجة-معطلة", "ثلاجة-معطلة"),
        ("नमस्ते", "नमस्ते"),  # Devanagari vowel signs are marks
        ("Ὀδυσσεύς", "ὀδυσσεύσ"),  # Greek final sigma folds like any sigma
        ("٣٤", "٣٤"),  # Arabic-Indic digits
    ],
)
def test_names_in_any_script_are_folded_to_one_tag(typed, stored):
    assert tags.normalise(typed) == stored


@pytest.mark.parametrize(
    "typed, code",
    [
        ("fri\u200bji", "tag_invisible_characters"),  # zero-width space
        ("fri\u200dji", "tag_invisible_characters"),  # zero-width joiner
        ("\ufeffriji", "tag_invisible_characters"),  # byte order mark
        ("\u202efriji", "tag_invisible_characters"),  # right-to-left override
        ("friji\u2066", "tag_invisible_characters"),  # left-to-right isolate
        ("\u200fمرحبا", "tag_invisible_characters"),  # right-to-left mark
        ("fri\u00adji", "tag_invisible_characters"),  # soft hyphen
        ("friji\ufe0e", "tag_invisible_characters"),  # a text-style variation selector
        ("a\x07b", "tag_invisible_characters"),
        ("🧊", "tag_emoji"),
        ("friji🧊", "tag_emoji"),
        ("❤️", "tag_emoji"),
        ("👍🏽", "tag_emoji"),
        ("👩\u200d🔧", "tag_emoji"),  # a joined emoji is an emoji first
        ("🇰🇪", "tag_emoji"),
        ("a.b", "tag_bad_characters"),
        ("a^b", "tag_bad_characters"),
        ("٪", "tag_bad_characters"),  # Arabic percent sign
    ],
)
def test_invisible_characters_and_emoji_are_refused_with_their_codes(typed, code):
    with pytest.raises(tags.TagError) as refused:
        tags.normalise(typed)
    assert refused.value.code == code and str(refused.value)


def test_parse_splits_on_arabic_commas_too():
    assert tags.parse("Friji، FRIJI,friji مرحبا") == ["friji", "مرحبا"]


def test_parse_splits_on_commas_and_spaces_and_keeps_each_once():
    assert tags.parse("Billing, m-pesa  refund,billing,,") == ["billing", "m-pesa", "refund"]
    assert tags.parse("") == [] and tags.parse(" , ") == []
    with pytest.raises(tags.TagError):
        tags.parse("fine, not;fine")


@pytest.fixture
def ticket(db, department):
    department("General")
    customer = Customer(name="Amina", phone="+254722000003")
    db.session.add(customer)
    ticket = lifecycle.open_ticket(
        customer, subject="Refund", body="Refund me", channel=Channel.SMS
    )
    db.session.commit()
    return ticket


def tag_events(db, ticket) -> list[Event]:
    return db.session.scalars(
        select(Event).where(Event.ticket_id == ticket.id, Event.kind == "tagged")
    ).all()


def test_a_change_writes_one_event_and_no_change_writes_none(db, ticket, staff):
    agent = staff("achieng", departments=[ticket.department])
    assert lifecycle.tag(ticket, add=["Billing", "m-pesa", "billing"], by=agent) is True
    db.session.commit()
    assert tags.of(ticket) == ["billing", "m-pesa"]
    [event] = tag_events(db, ticket)
    assert event.data == {"added": ["billing", "m-pesa"]} and event.actor == agent

    assert lifecycle.tag(ticket, add=["BILLING"], remove=["unknown"], by=agent) is False
    assert lifecycle.tag(ticket, add=["x"], remove=["x"], by=agent) is False
    db.session.commit()
    assert len(tag_events(db, ticket)) == 1

    assert lifecycle.tag(ticket, add=["refund"], remove=["m-pesa"], by=None) is True
    db.session.commit()
    assert tags.of(ticket) == ["billing", "refund"]
    assert tag_events(db, ticket)[-1].data == {"added": ["refund"], "removed": ["m-pesa"]}
    assert db.session.scalar(select(func.count()).select_from(TicketTag)) == 2


def test_a_bad_name_or_too_many_changes_nothing(db, ticket):
    with pytest.raises(tags.TagError):
        lifecycle.tag(ticket, add=["fine", "not fine"], by=None)
    with pytest.raises(tags.TagError) as refused:
        lifecycle.tag(ticket, add=[f"t{n}" for n in range(21)], by=None)
    assert refused.value.code == "tag_too_many"
    db.session.rollback()
    assert tags.of(ticket) == [] and tag_events(db, ticket) == []


def test_known_suggests_names_in_use_most_used_first(db, ticket, department):
    other = lifecycle.open_ticket(
        ticket.customer, subject="Again", body="Refund again", channel=Channel.SMS
    )
    lifecycle.tag(ticket, add=["refund", "repeat_caller", "billing"], by=None)
    lifecycle.tag(other, add=["repeat_caller"], by=None)
    db.session.commit()
    assert tags.known("re") == ["repeat_caller", "refund"]
    assert tags.known("", limit=1) == ["repeat_caller"]
    assert tags.known("re_") == [] and tags.known("%") == [] and tags.known("zz") == []


@pytest.fixture
def desk(db, ticket, department, staff):
    billing = department("Billing")
    return {
        "achieng": staff("achieng", departments=[ticket.department]),
        "kamau": staff("kamau", departments=[billing]),
        "grace": staff("grace", role=Role.SUPERVISOR),
    }


def test_an_agent_adds_and_removes_tags_on_the_ticket_page(db, client, login, ticket, desk):
    login(client, desk["achieng"])
    url = f"/agent/tickets/{ticket.id}/tags"
    page = client.post(
        url, data={"seen": seen(ticket), "add": "Billing m-pesa"}, follow_redirects=True
    )
    assert "Tags saved." in page.text and 'aria-label="Remove tag m-pesa"' in page.text
    page = client.post(url, data={"seen": seen(ticket), "remove": "m-pesa"}, follow_redirects=True)
    db.session.expire_all()
    assert tags.of(db.session.get(Ticket, ticket.id)) == ["billing"]
    assert len(tag_events(db, ticket)) == 2

    refused = client.post(url, data={"seen": seen(ticket), "add": "<b>bold</b>"})
    assert refused.status_code == 400 and "is not a tag" in refused.text
    assert "<b>bold" not in refused.text
    too_long = client.post(url, data={"seen": seen(ticket), "add": "a" * 401})
    assert too_long.status_code == 400
    db.session.expire_all()
    assert tags.of(db.session.get(Ticket, ticket.id)) == ["billing"]


def test_a_tag_change_on_a_changed_ticket_is_held_back(db, client, login, ticket, desk):
    login(client, desk["achieng"])
    old = seen(ticket)
    lifecycle.note(ticket, by=desk["grace"], body="Called the bank")
    db.session.commit()
    response = client.post(f"/agent/tickets/{ticket.id}/tags", data={"seen": old, "add": "x"})
    assert response.status_code == 409 and "The tags have not been changed" in response.text
    assert tags.of(db.session.get(Ticket, ticket.id)) == [] and tag_events(db, ticket) == []


def test_an_agent_of_another_department_cannot_tag(db, client, login, ticket, desk):
    login(client, desk["kamau"])
    response = client.post(
        f"/agent/tickets/{ticket.id}/tags", data={"seen": seen(ticket), "add": "mine"}
    )
    assert response.status_code == 404 and tag_events(db, ticket) == []


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_tagging_needs_the_csrf_token(db, client, ticket, desk):
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/auth/login").text)
    client.post(
        "/auth/login",
        data={
            "email": desk["achieng"].email,
            "password": "correct horse battery",
            "csrf_token": token.group(1),
        },
    )
    response = client.post(
        f"/agent/tickets/{ticket.id}/tags", data={"seen": seen(ticket), "add": "x"}
    )
    assert response.status_code == 400 and tag_events(db, ticket) == []


def test_the_queue_filters_by_tag_and_shows_tags_on_rows(db, client, login, ticket, desk):
    other = lifecycle.open_ticket(
        ticket.customer, subject="Another thing", body="Something else", channel=Channel.SMS
    )
    lifecycle.tag(ticket, add=["refund"], by=None)
    lifecycle.tag(other, add=["delivery"], by=None)
    db.session.commit()
    login(client, desk["grace"])
    page = client.get("/agent/", query_string={"view": "all", "tag": "Refund"}).text
    assert ticket.reference in page and other.reference not in page
    assert 'class="tag"' in page and ">refund</a>" in page
    everything = client.get("/agent/", query_string={"view": "all", "tag": "<script>"}).text
    assert ticket.reference in everything and other.reference in everything
    assert "<script>" not in everything
    none = client.get("/agent/", query_string={"view": "all", "tag": "unknown"}).text
    assert ticket.reference not in none


def test_tags_in_any_script_on_the_page_the_queue_and_the_api(db, client, login, ticket, desk):
    login(client, desk["achieng"])
    url = f"/agent/tickets/{ticket.id}/tags"
    page = client.post(
        url, data={"seen": seen(ticket), "add": "Friji مرحبا"}, follow_redirects=True
    )
    assert "Tags saved." in page.text
    page = client.post(url, data={"seen": seen(ticket), "add": "FRIJI"}, follow_redirects=True)
    assert "The tags were already so." in page.text
    for typed, words in (("fri\u200bji", "invisible characters"), ("friji🧊", "emoji")):
        refused = client.post(url, data={"seen": seen(ticket), "add": typed})
        assert refused.status_code == 400 and words in refused.text
    db.session.expire_all()
    assert tags.of(db.session.get(Ticket, ticket.id)) == ["friji", "مرحبا"]
    assert len(tag_events(db, ticket)) == 1
    assert tags.known("FR") == ["friji"] and tags.known("مر") == ["مرحبا"]
    assert tags.known("fri\u200b") == []

    found = client.get("/agent/", query_string={"view": "all", "tag": "ＦＲＩＪＩ"}).text
    assert ticket.reference in found
    found = client.get("/agent/", query_string={"view": "all", "tag": "مرحبا"}).text
    assert ticket.reference in found
