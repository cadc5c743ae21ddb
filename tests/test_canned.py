"""Canned responses and macros: text filled in for the ticket in its customer's language,
hostile text refused when saved, who sees which, and a macro's changes made through the
lifecycle (one event each, the same messages as by hand, all or nothing), on the pages and
through the API."""

import re
from types import SimpleNamespace

import pytest
from harness import MONDAY_10_NAIROBI, PASSWORD, seen
from sqlalchemy import func, select

from ticketing import canned, lifecycle
from ticketing.models import AuditEntry, CannedResponse, CannedScope, Customer, Event, Outbox
from ticketing.models.enums import AuditAction, Channel, Language, Priority, Role, Status
from ticketing.security import issue_token

BOTH = {
    "body_en": "Hello {{ customer_name }}, {{ reference }} is with {{ department }}; "
    "answer by {{ due_time }}. {{ agent_name }}",
    "body_sw": "Habari {{ customer_name }}, {{ reference }} iko na {{ department }}; "
    "jibu kabla ya {{ due_time }}. {{ agent_name }}",
}


@pytest.fixture
def desk(db, department, staff, web, login, clock):
    """Repairs (Akinyi, Baraka) and Sales (Chege); Grace supervises. Amina reads Kiswahili and
    wrote by SMS, Brian English by email; both tickets are in Repairs. Chege has a Sales one."""
    clock.set(MONDAY_10_NAIROBI)
    repairs, sales = department("Repairs"), department("Sales")
    people = SimpleNamespace(repairs=repairs, sales=sales)
    people.akinyi = staff("akinyi", departments=[repairs])
    people.baraka = staff("baraka", departments=[repairs])
    people.chege = staff("chege", departments=[sales])
    people.grace = staff("grace", role=Role.SUPERVISOR)
    amina = Customer(name="Amina Hassan", phone="+254712345678", language=Language.SW)
    brian = Customer(name="Brian Otieno", email="brian@example.co.ke", language=Language.EN)
    db.session.add_all([amina, brian])
    opened = [
        (amina, Channel.SMS, repairs),
        (brian, Channel.EMAIL, repairs),
        (brian, Channel.EMAIL, sales),
    ]
    people.amina_ticket, people.brian_ticket, people.sales_ticket = (
        lifecycle.open_ticket(
            who, subject="Fridge", body="Not cooling", channel=channel, department=place
        )
        for who, channel, place in opened
    )
    db.session.commit()
    for name in ("akinyi", "baraka", "chege", "grace"):
        setattr(people, f"{name}_web", login(web.test_client(), getattr(people, name)))
    return people


def make(db, owner=None, scope=CannedScope.EVERYONE, department=None, **fields):
    """A response saved through ticketing.canned, as the pages save it."""
    values = {"title": "Thanks", "body_en": "", "body_sw": ""} | fields
    row = canned.save(
        None,
        canned.Fields(scope=scope, department=department, **values),
        by=owner,
    )
    db.session.commit()
    return row


def picker(client, ticket) -> dict:
    answer = client.get(f"/agent/tickets/{ticket.id}/canned")
    assert answer.status_code == 200
    return {item["title"]: item for item in answer.get_json()["responses"]}


def test_placeholders_are_filled_in_the_customers_language(db, desk):
    make(db, desk.grace, **BOTH)
    amina, brian = desk.amina_ticket, desk.brian_ticket
    for_amina = picker(desk.akinyi_web, amina)["Thanks"]
    assert for_amina["language"] == "sw" and for_amina["note"] == ""
    assert for_amina["text"] == (
        f"Habari Amina Hassan, {amina.reference} iko na Repairs; "
        f"jibu kabla ya {_local(amina.due_at)}. Akinyi"
    )
    for_brian = picker(desk.baraka_web, brian)["Thanks"]
    assert for_brian["language"] == "en"
    assert for_brian["text"].startswith(f"Hello Brian Otieno, {brian.reference} is with Repairs")
    assert for_brian["text"].endswith(". Baraka")


def _local(moment) -> str:
    from ticketing.templating import localtime

    return localtime(moment)


def test_a_missing_language_falls_back_with_a_visible_note(db, desk):
    make(db, desk.grace, body_en="Your reference is {{ reference }}.")
    item = picker(desk.akinyi_web, desk.amina_ticket)["Thanks"]
    assert item["language"] == "en"
    assert item["text"] == f"Your reference is {desk.amina_ticket.reference}."
    assert "No Kiswahili text" in item["note"] and "Amina Hassan reads Kiswahili" in item["note"]


HOSTILE = [
    ("{{ ''.__class__ }}", "getattr"),
    ("{{ customer_name.__class__.__mro__ }}", "getattr"),
    ("{% for x in range(10) %}x", "not a valid template"),
    ("{% for a in range(99999) %}{% for b in range(99999) %}x{% endfor %}{% endfor %}", "for"),
    ("{{ 'x' * 10000 }}", "mul"),
    ("{{ customer_name|center(100000000) }}", "Unknown filter"),
    ("{{ lipsum() }}", "call"),
    ("{{ config }}", "Unknown placeholder"),
    ("{% set x = 1 %}", "assign"),
    ("{% include 'base.html' %}", "include"),
    ("Hello {{ customer_name", "not a valid template"),
    ("x" * 5001, "longer than"),
]


def test_hostile_or_broken_text_is_refused_when_saved(db, desk):
    for text, why in HOSTILE:
        for language in ("body_en", "body_sw"):
            form = {"title": "Evil", "scope": "personal", language: text}
            answer = desk.akinyi_web.post("/agent/canned/new", data=form)
            assert answer.status_code == 400, text
            page = answer.get_data(as_text=True)
            assert "Not saved" in page and why.lower() in page.lower(), text
    assert db.session.scalar(select(func.count(CannedResponse.id))) == 0


def test_allowed_text_renders_safely_even_when_a_placeholder_is_empty(db, desk):
    text = "{% if customer_name %}Dear {{ customer_name|title }}{% else %}Hello{% endif %}, <b>"
    make(db, desk.grace, body_en=text, body_sw=text)
    nameless = Customer(phone="+254700111222", language=Language.EN)
    ticket = lifecycle.open_ticket(
        nameless, subject="x", body="x", channel=Channel.SMS, department=desk.repairs
    )
    db.session.commit()
    assert picker(desk.akinyi_web, ticket)["Thanks"]["text"] == "Hello, <b>"
    assert picker(desk.akinyi_web, desk.brian_ticket)["Thanks"]["text"] == "Dear Brian Otieno, <b>"


def test_an_agent_keeps_personal_ones_that_nobody_else_sees(db, desk):
    form = {"title": "My sign-off", "scope": "personal", "body_en": "Asante, {{ agent_name }}"}
    assert desk.akinyi_web.post("/agent/canned/new", data=form).status_code == 302
    mine = db.session.scalar(select(CannedResponse))
    assert mine.owner_id == desk.akinyi.id and mine.scope == CannedScope.PERSONAL
    assert "My sign-off" in desk.akinyi_web.get("/agent/canned").get_data(as_text=True)
    assert "My sign-off" in picker(desk.akinyi_web, desk.brian_ticket)
    # Baraka works in the same department and still sees nothing of it
    assert "My sign-off" not in desk.baraka_web.get("/agent/canned").get_data(as_text=True)
    assert "My sign-off" not in picker(desk.baraka_web, desk.brian_ticket)
    assert desk.baraka_web.get(f"/agent/canned/{mine.id}").status_code == 404
    assert desk.baraka_web.post(f"/agent/canned/{mine.id}/delete").status_code == 404
    assert desk.grace_web.get(f"/agent/canned/{mine.id}").status_code == 404
    assert db.session.get(CannedResponse, mine.id) is not None


def test_agents_cannot_share_and_supervisors_share_with_one_department(db, desk):
    shared = {"title": "Parts", "scope": "department", "department_id": desk.repairs.id}
    shared["body_en"] = "The part is ordered."
    assert desk.akinyi_web.post("/agent/canned/new", data=shared).status_code == 400
    assert db.session.scalar(select(func.count(CannedResponse.id))) == 0
    assert desk.grace_web.post("/agent/canned/new", data=shared).status_code == 302
    row = db.session.scalar(select(CannedResponse))
    assert row.department_id == desk.repairs.id and row.owner_id is None
    assert "Parts" in picker(desk.akinyi_web, desk.brian_ticket)
    assert "Parts" not in picker(desk.chege_web, desk.sales_ticket)
    assert desk.chege_web.get(f"/agent/tickets/{desk.brian_ticket.id}/canned").status_code == 404
    # an agent cannot edit the shared one either
    assert desk.akinyi_web.post(f"/agent/canned/{row.id}/delete").status_code == 404
    entry = _settings_changed(db)[0]
    assert entry.target == f"canned:{row.id}" and entry.detail["setting"] == "canned_response"
    assert entry.detail["change"] == "added" and entry.actor_id == desk.grace.id


def test_editing_and_deleting_are_audited(db, desk):
    row = make(db, desk.akinyi, scope=CannedScope.PERSONAL, body_en="Old")
    form = {"title": "Thanks", "scope": "personal", "body_en": "New {{ reference }}"}
    assert desk.akinyi_web.post(f"/agent/canned/{row.id}", data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(CannedResponse, row.id).body_en == "New {{ reference }}"
    assert desk.akinyi_web.post(f"/agent/canned/{row.id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(func.count(CannedResponse.id))) == 0
    changes = _settings_changed(db)
    assert [entry.detail["change"] for entry in changes] == ["changed", "removed"]
    assert changes[0].detail["changes"]["body_en"] == ["Old", "New {{ reference }}"]


def _settings_changed(db) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.action == AuditAction.SETTING_CHANGED)
    return db.session.scalars(query.order_by(AuditEntry.id)).all()


def _macro(db, desk, **actions):
    return make(db, desk.grace, title="Waiting for parts", body_en="Parts ordered.", **actions)


def _events(db, ticket) -> list[str]:
    db.session.expire_all()
    query = select(Event.kind).where(Event.ticket_id == ticket.id).order_by(Event.id)
    return db.session.scalars(query).all()


def _owed(db, ticket) -> list[tuple[str, str]]:
    db.session.expire_all()
    rows = db.session.scalars(select(Outbox).where(Outbox.ticket_id == ticket.id))
    return sorted((row.kind, row.recipient) for row in rows)


def test_a_macro_makes_one_event_per_change_and_sends_what_a_manual_change_sends(db, desk, staff):
    daudi = staff("daudi", departments=[desk.repairs])  # joined after both tickets came in
    macro = _macro(
        db,
        desk,
        set_status=Status.PENDING_CUSTOMER,
        set_priority=Priority.HIGH,
        set_assignee=daudi,
    )
    ticket, twin = desk.brian_ticket, desk.amina_ticket
    before = _events(db, ticket)
    url = f"/agent/tickets/{ticket.id}/canned/{macro.id}/apply"
    answer = desk.akinyi_web.post(url, data={"seen": seen(ticket)})
    assert answer.status_code == 302
    db.session.expire_all()
    assert (ticket.status, ticket.priority, ticket.assignee) == (
        Status.PENDING_CUSTOMER,
        Priority.HIGH,
        daudi,
    )
    new = _events(db, ticket)[len(before) :]
    assert sorted(new) == sorted(["assigned", "priority", "status"])
    # by hand, on a ticket in the same state, the same steps owe the same messages
    twin_before = _owed(db, twin)
    lifecycle.assign(twin, daudi, by=desk.akinyi)
    lifecycle.set_priority(twin, Priority.HIGH, by=desk.akinyi)
    lifecycle.set_status(twin, Status.PENDING_CUSTOMER, by=desk.akinyi)
    db.session.commit()
    by_hand = [kind for kind, _ in _owed(db, twin) if (kind, _) not in twin_before]
    by_macro = [kind for kind, _ in _owed(db, ticket)]
    assert sorted(by_macro) == sorted(["received", *by_hand])


def test_a_macro_with_the_reply_applies_when_the_reply_is_sent(db, desk):
    macro = _macro(db, desk, set_priority=Priority.URGENT)
    ticket = desk.brian_ticket
    form = {"body": "Parts ordered.", "status": "", "seen": seen(ticket), "macro_id": macro.id}
    answer = desk.akinyi_web.post(f"/agent/tickets/{ticket.id}/reply", data=form)
    assert answer.status_code == 302
    db.session.expire_all()
    assert ticket.priority == Priority.URGENT
    assert "reply" in [kind for kind, _ in _owed(db, ticket)]


def test_a_macro_that_cannot_apply_here_changes_nothing(db, desk):
    ticket = desk.brian_ticket
    outside = _macro(db, desk, set_priority=Priority.HIGH, set_assignee=desk.chege)
    before, owed = _events(db, ticket), _owed(db, ticket)
    url = f"/agent/tickets/{ticket.id}/canned/{outside.id}/apply"
    answer = desk.akinyi_web.post(url, data={"seen": seen(ticket)})
    assert answer.status_code == 400
    assert "Chege, who is not in Repairs; nothing was changed" in answer.get_data(as_text=True)
    form = {"body": "Hello", "status": "", "seen": seen(ticket), "macro_id": outside.id}
    assert desk.akinyi_web.post(f"/agent/tickets/{ticket.id}/reply", data=form).status_code == 400
    db.session.expire_all()
    assert ticket.priority == Priority.NORMAL and ticket.assignee != desk.chege
    assert _events(db, ticket) == before and _owed(db, ticket) == owed


def test_an_impossible_status_move_is_refused_whole(db, desk):
    ticket = desk.brian_ticket
    lifecycle.close(ticket, by=desk.akinyi)
    db.session.commit()
    macro = _macro(db, desk, set_status=Status.RESOLVED, set_priority=Priority.HIGH)
    before = _events(db, ticket)
    url = f"/agent/tickets/{ticket.id}/canned/{macro.id}/apply"
    answer = desk.akinyi_web.post(url, data={"seen": seen(ticket)})
    assert answer.status_code == 400
    assert "cannot move to; nothing was changed" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert ticket.priority == Priority.NORMAL and _events(db, ticket) == before


def test_a_macro_applied_on_a_stale_page_waits_for_confirmation(db, desk):
    macro = _macro(db, desk, set_priority=Priority.HIGH)
    ticket = desk.brian_ticket
    stale = seen(ticket)
    lifecycle.note(ticket, by=desk.baraka, body="Called the customer")
    db.session.commit()
    url = f"/agent/tickets/{ticket.id}/canned/{macro.id}/apply"
    answer = desk.akinyi_web.post(url, data={"seen": stale})
    assert answer.status_code == 409 and "Apply anyway" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert ticket.priority == Priority.NORMAL
    assert desk.akinyi_web.post(url, data={"seen": seen(ticket)}).status_code == 302


def test_someone_elses_macro_cannot_be_applied(db, desk):
    mine = make(
        db, desk.akinyi, scope=CannedScope.PERSONAL, body_en="x", set_priority=Priority.HIGH
    )
    sales = make(db, desk.grace, CannedScope.DEPARTMENT, desk.sales, body_en="y")
    ticket = desk.brian_ticket
    for row in (mine, sales):
        url = f"/agent/tickets/{ticket.id}/canned/{row.id}/apply"
        assert desk.baraka_web.post(url, data={"seen": seen(ticket)}).status_code == 404
    form = {"body": "Hello", "status": "", "seen": seen(ticket), "macro_id": mine.id}
    assert desk.baraka_web.post(f"/agent/tickets/{ticket.id}/reply", data=form).status_code == 400
    assert "reply" not in [kind for kind, _ in _owed(db, ticket)]


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_posts_without_a_csrf_token_are_refused(db, web, department, staff):
    repairs = department("Repairs")
    grace = staff("grace", role=Role.SUPERVISOR)
    brian = Customer(name="Brian", email="brian@example.co.ke")
    ticket = lifecycle.open_ticket(
        brian, subject="Fridge", body="Not cooling", channel=Channel.EMAIL, department=repairs
    )
    db.session.commit()
    macro = make(db, grace, title="Urgent", body_en="x", set_priority=Priority.HIGH)
    client = web.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    signed = {"email": grace.email, "password": PASSWORD, "csrf_token": token}
    assert client.post("/auth/login", data=signed).status_code == 302
    url = f"/agent/tickets/{ticket.id}/canned/{macro.id}/apply"
    for forged in ({}, {"csrf_token": "forged"}):
        assert client.post(url, data={"seen": seen(ticket)} | forged).status_code == 400
        new = {"title": "x", "scope": "personal", "body_en": "x"} | forged
        assert client.post("/agent/canned/new", data=new).status_code == 400
        assert client.post(f"/agent/canned/{macro.id}/delete", data=forged).status_code == 400
    db.session.expire_all()
    assert ticket.priority == Priority.NORMAL
    assert db.session.scalar(select(func.count(CannedResponse.id))) == 1


def test_the_ticket_page_offers_the_picker(db, desk):
    page = desk.akinyi_web.get(f"/agent/tickets/{desk.brian_ticket.id}").get_data(as_text=True)
    assert 'id="canned-open"' in page and "canned.js" in page
    assert re.search(r'<label for="canned-filter">Find a canned response</label>', page)


def _api(web, user):
    token = issue_token(user)
    from ticketing.extensions import db

    db.session.commit()
    client = web.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def test_the_api_lists_renders_and_applies_what_the_user_may_use(db, desk, web):
    shared = make(db, desk.grace, CannedScope.DEPARTMENT, desk.repairs, **BOTH)
    mine = make(db, desk.chege, scope=CannedScope.PERSONAL, title="Mine", body_en="Chege's")
    macro = _macro(db, desk, set_priority=Priority.HIGH, set_status=Status.PENDING_CUSTOMER)
    akinyi, chege = _api(web, desk.akinyi), _api(web, desk.chege)
    ticket = desk.amina_ticket
    listed = {item["title"] for item in akinyi.get("/api/v1/canned").get_json()["canned"]}
    assert listed == {"Thanks", "Waiting for parts"}
    listed = {item["title"] for item in chege.get("/api/v1/canned").get_json()["canned"]}
    assert listed == {"Mine", "Waiting for parts"}
    text = akinyi.get(f"/api/v1/tickets/{ticket.reference}/canned/{shared.id}").get_json()
    assert text["language"] == "sw" and text["text"].startswith("Habari Amina Hassan")
    # Chege works in Sales: neither the Repairs ticket nor its shared text is his
    assert chege.get(f"/api/v1/tickets/{ticket.reference}/canned/{shared.id}").status_code == 404
    sales = desk.sales_ticket.reference
    assert chege.get(f"/api/v1/tickets/{sales}/canned/{shared.id}").status_code == 404
    assert akinyi.get(f"/api/v1/tickets/{ticket.id}/canned/{mine.id}").status_code == 404
    applied = akinyi.post(f"/api/v1/tickets/{ticket.reference}/canned/{macro.id}/apply")
    assert applied.status_code == 200
    assert applied.get_json()["status"] == "pending_customer"
    assert applied.get_json()["priority"] == "high"
    again = akinyi.post(f"/api/v1/tickets/{ticket.reference}/canned/{2**40}/apply")
    assert again.status_code == 404 and again.get_json()["error"]["code"] == "not_found"


def test_the_api_refuses_bad_tokens_and_impossible_macros(db, desk, web):
    macro = _macro(db, desk, set_assignee=desk.chege, set_priority=Priority.HIGH)
    stranger = web.test_client()
    assert stranger.get("/api/v1/canned").status_code == 401
    stranger.environ_base["HTTP_AUTHORIZATION"] = "Bearer ft_not-a-token"
    assert stranger.get("/api/v1/canned").status_code == 401
    ref = desk.brian_ticket.reference
    assert stranger.post(f"/api/v1/tickets/{ref}/canned/{macro.id}/apply").status_code == 401
    akinyi = _api(web, desk.akinyi)
    refused = akinyi.post(f"/api/v1/tickets/{ref}/canned/{macro.id}/apply")
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "invalid_transition"
    db.session.expire_all()
    assert desk.brian_ticket.priority == Priority.NORMAL


def test_a_macro_adds_its_tags_in_one_event_and_bad_tags_are_refused_at_save(db, desk):
    macro = _macro(db, desk, tags=("Warranty", "parts-ordered"))
    assert macro.tags == ["warranty", "parts-ordered"]  # stored as the ticket will carry them
    ticket = desk.brian_ticket
    before = _events(db, ticket)
    url = f"/agent/tickets/{ticket.id}/canned/{macro.id}/apply"
    assert desk.akinyi_web.post(url, data={"seen": seen(ticket)}).status_code == 302
    db.session.expire_all()
    assert [tag.name for tag in ticket.tags] == ["parts-ordered", "warranty"]
    assert _events(db, ticket)[len(before) :] == ["tagged"]
    # applied again, nothing changes and no event is written
    assert desk.akinyi_web.post(url, data={"seen": seen(ticket)}).status_code == 302
    assert _events(db, ticket)[len(before) :] == ["tagged"]
    fields = canned.Fields(
        title="Bad tags",
        scope=CannedScope.EVERYONE,
        department=None,
        body_en="Hi",
        body_sw="",
        tags=("m pesa!", "x" * 41),
    )
    found = canned.problems(fields, desk.grace)
    assert len([problem for problem in found if "tag" in problem.lower()]) == 2, found
