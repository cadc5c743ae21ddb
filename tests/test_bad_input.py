"""Malformed input anywhere gets a 4xx, never a 5xx, and leaves nothing half-stored.

Each case is one request an attacker (or a broken client) sent; BEFORE records what it got
before ticketing/edge.py, the API schemas and the DataError handler.
"""

import json

import pytest
from fakes.twilio_stub import DEFAULT_AUTH_TOKEN, sign
from harness import SUPPORT_FORM
from sqlalchemy import func, select

from ticketing.models import Customer, Event, IdempotencyKey, Message, Ticket
from ticketing.models.enums import Role
from ticketing.security import issue_token

HUGE = "99999999999999999999"  # 20 digits: beyond any database integer
DEEP = "[" * 100_000 + "]" * 100_000
FORM = SUPPORT_FORM
NEW = {
    "subject": "Charged twice",
    "body": "Twice for order 11",
    "customer": {"phone": "0722000003"},
}


@pytest.fixture
def desk(db, web, department, staff, login):
    """A supervisor signed in on one client, their API token, and one ticket to aim at."""
    sales = department("Sales", keywords="delivery, order")
    grace = staff("grace", role=Role.SUPERVISOR, departments=[sales])
    token = issue_token(grace)
    db.session.commit()
    agent = login(web.test_client(), grace)
    anon = web.test_client()
    api = {"Authorization": f"Bearer {token}"}
    created = anon.post("/api/v1/tickets", json=NEW, headers=api)
    assert created.status_code == 201, created.data
    ticket = db.session.get(Ticket, created.json["id"])
    return {"agent": agent, "public": anon, "api": anon, "headers": api, "ticket": ticket}


def counts(db) -> dict:
    db.session.expire_all()
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Ticket, Message, Customer, Event, IdempotencyKey)
    }


def _api_json(body) -> dict:
    return {"data": body if isinstance(body, str) else json.dumps(body)} | {
        "content_type": "application/json"
    }


# (id, who, method, path with {id}/{token}/{ref}, request kwargs)
CASES = [
    # The public form and pages
    ("support-name-nul", "public", "POST", "/support", {"data": FORM | {"name": "Am\x00ina"}}),
    ("support-body-nul", "public", "POST", "/support", {"data": FORM | {"description": "x\x00"}}),
    ("support-subject-esc", "public", "POST", "/support", {"data": FORM | {"subject": "\x1b[2J"}}),
    ("support-query-nul", "public", "GET", "/support?lang=%00", {}),
    ("status-page-file-huge-id", "public", "GET", "/t/{token}/files/" + HUGE, {}),
    # Agent pages
    ("agent-ticket-huge-id", "agent", "GET", "/agent/tickets/" + HUGE, {}),
    ("agent-reply-nul", "agent", "POST", "/agent/tickets/{id}/reply", {"data": {"body": "a\x00"}}),
    ("agent-note-nul", "agent", "POST", "/agent/tickets/{id}/note", {"data": {"body": "\x00"}}),
    (
        "agent-status-note-nul",
        "agent",
        "POST",
        "/agent/tickets/{id}/status",
        {"data": {"status": "open", "note": "n\x00"}},
    ),
    (
        "agent-assign-huge",
        "agent",
        "POST",
        "/agent/tickets/{id}/assign",
        {"data": {"assignee_id": HUGE}},
    ),
    (
        "agent-transfer-huge",
        "agent",
        "POST",
        "/agent/tickets/{id}/transfer",
        {"data": {"department_id": HUGE}},
    ),
    (
        "agent-merge-nul",
        "agent",
        "POST",
        "/agent/tickets/{id}/merge",
        {"data": {"target": "FT\x00"}},
    ),
    ("agent-file-huge-id", "agent", "GET", "/agent/files/" + HUGE, {}),
    ("queue-page-huge", "agent", "GET", "/agent/?page=" + HUGE, {}),
    ("queue-department-huge", "agent", "GET", "/agent/?department=" + HUGE, {}),
    ("queue-assignee-huge", "agent", "GET", "/agent/?assignee=" + HUGE, {}),
    ("search-nul", "agent", "GET", "/agent/?q=abc%00", {}),
    ("search-control", "agent", "GET", "/agent/?q=%1b%07", {}),
    # The API
    ("api-customer-string", "api", "POST", "/api/v1/tickets", _api_json(NEW | {"customer": "x"})),
    (
        "api-customer-email-number",
        "api",
        "POST",
        "/api/v1/tickets",
        _api_json(NEW | {"customer": {"email": 5}}),
    ),
    (
        "api-priority-object",
        "api",
        "POST",
        "/api/v1/tickets",
        _api_json(NEW | {"priority": {"a": 1}}),
    ),
    ("api-category-list", "api", "POST", "/api/v1/tickets", _api_json(NEW | {"category": ["x"]})),
    ("api-subject-number", "api", "POST", "/api/v1/tickets", _api_json(NEW | {"subject": 5})),
    ("api-subject-nul", "api", "POST", "/api/v1/tickets", _api_json(NEW | {"subject": "a\x00b"})),
    (
        "api-body-unit-separator",
        "api",
        "POST",
        "/api/v1/tickets",
        _api_json(NEW | {"body": "a\x1fb"}),
    ),
    (
        "api-name-too-long",
        "api",
        "POST",
        "/api/v1/tickets",
        _api_json(NEW | {"customer": {"phone": "0722000003", "name": "n" * 500}}),
    ),
    ("api-unknown-field", "api", "POST", "/api/v1/tickets", _api_json(NEW | {"sla": "now"})),
    ("api-deep-json", "api", "POST", "/api/v1/tickets", _api_json(DEEP)),
    (
        "api-deep-object",
        "api",
        "POST",
        "/api/v1/tickets",
        _api_json('{"a":' * 50_000 + "1" + "}" * 50_000),
    ),
    ("api-not-json", "api", "POST", "/api/v1/tickets", _api_json("{nope")),
    ("api-reply-nul", "api", "POST", "/api/v1/tickets/{id}/replies", _api_json({"body": "\x00"})),
    ("api-note-list", "api", "POST", "/api/v1/tickets/{id}/notes", _api_json({"body": ["x"]})),
    (
        "api-patch-priority-object",
        "api",
        "PATCH",
        "/api/v1/tickets/{id}",
        _api_json({"priority": {}}),
    ),
    (
        "api-patch-status-list",
        "api",
        "PATCH",
        "/api/v1/tickets/{id}",
        _api_json({"status": ["open"]}),
    ),
    (
        "api-patch-assignee-huge",
        "api",
        "PATCH",
        "/api/v1/tickets/{id}",
        _api_json({"assignee_id": int(HUGE)}),
    ),
    (
        "api-patch-assignee-text",
        "api",
        "PATCH",
        "/api/v1/tickets/{id}",
        _api_json({"assignee_id": "abc"}),
    ),
    (
        "api-patch-note-number",
        "api",
        "PATCH",
        "/api/v1/tickets/{id}",
        _api_json({"status": "open", "note": 5}),
    ),
    ("api-ticket-huge-id", "api", "GET", "/api/v1/tickets/" + HUGE, {}),
    ("api-ticket-superscript-id", "api", "GET", "/api/v1/tickets/%C2%B2", {}),
    ("api-ticket-nul-ref", "api", "GET", "/api/v1/tickets/FT-%00", {}),
    # updated_since in year 1 or 9999 (a 500 once) is a valid RFC 3339 time, now clamped and
    # answered 200: tests/test_api.py::test_times_at_the_ends_of_the_calendar_are_clamped.
    ("api-since-long", "api", "GET", "/api/v1/tickets?updated_since=" + "1" * 5000, {}),
    ("api-page-huge", "api", "GET", "/api/v1/tickets?page=" + HUGE, {}),
    ("api-per-page-huge", "api", "GET", "/api/v1/tickets?per_page=" + HUGE, {}),
    ("api-department-huge", "api", "GET", "/api/v1/tickets?department_id=" + HUGE, {}),
    ("api-status-nul", "api", "GET", "/api/v1/tickets?status=open%00", {}),
    ("api-email-nul", "api", "GET", "/api/v1/tickets?email=a%00@b.co", {}),
    (
        "api-idempotency-key-unprintable",
        "api",
        "POST",
        "/api/v1/tickets",
        _api_json(NEW) | {"headers": {"Idempotency-Key": "k\x7f"}},
    ),
]

# What each case got before this work, on SQLite / PostgreSQL ("+stored": the bad value
# was kept). Each with a 500 or "+stored" fails on that code.
BEFORE = {
    "support-name-nul": "302+stored / 500",
    "support-body-nul": "302+stored / 500",
    "support-subject-esc": "302+stored / 302+stored",
    "support-query-nul": "200 / 200",
    "status-page-file-huge-id": "500 / 500",
    "agent-ticket-huge-id": "500 / 500",
    "agent-reply-nul": "302+stored / 500",
    "agent-note-nul": "302+stored / 500",
    "agent-status-note-nul": "302+stored / 302+stored",
    "agent-assign-huge": "500 / 500",
    "agent-transfer-huge": "500 / 500",
    "agent-merge-nul": "400 / 500",
    "agent-file-huge-id": "500 / 500",
    "queue-page-huge": "500 / 500",
    "queue-department-huge": "500 / 500",
    "queue-assignee-huge": "500 / 500",
    "search-nul": "200 / 500",
    "search-control": "200 / 200",
    "api-customer-string": "500 / 500",
    "api-customer-email-number": "500 / 500",
    "api-priority-object": "500 / 500",
    "api-category-list": "500 / 500",
    "api-subject-number": "422 / 422",
    "api-subject-nul": "201+stored / 500",
    "api-body-unit-separator": "201+stored / 201+stored",
    "api-name-too-long": "201+stored / 201+stored",
    "api-unknown-field": "201+stored / 201+stored",
    "api-deep-json": "500 / 500",
    "api-deep-object": "500 / 500",
    "api-not-json": "400 / 400",
    "api-reply-nul": "201+stored / 500",
    "api-note-list": "422 / 422",
    "api-patch-priority-object": "500 / 500",
    "api-patch-status-list": "500 / 500",
    "api-patch-assignee-huge": "500 / 500",
    "api-patch-assignee-text": "400 / 500",
    "api-patch-note-number": "200+stored / 200+stored",
    "api-ticket-huge-id": "500 / 500",
    "api-ticket-superscript-id": "500 / 500",
    "api-ticket-nul-ref": "404 / 500",
    "api-since-long": "200 / 200",
    "api-page-huge": "500 / 500",
    "api-per-page-huge": "200 / 200",
    "api-department-huge": "500 / 500",
    "api-status-nul": "422 / 422",
    "api-email-nul": "400 / 400",
    "api-idempotency-key-unprintable": "201+stored / 201+stored",
}


@pytest.mark.parametrize(
    "who, method, path, kwargs", [case[1:] for case in CASES], ids=[c[0] for c in CASES]
)
def test_malformed_input_gets_a_4xx_and_stores_nothing(db, desk, who, method, path, kwargs):
    ticket = desk["ticket"]
    url = path.format(id=ticket.id, token=ticket.token, ref=ticket.reference)
    kwargs = dict(kwargs)
    headers = kwargs.pop("headers", {}) | (desk["headers"] if who == "api" else {})
    before = counts(db)
    response = desk[who].open(url, method=method, headers=headers, **kwargs)
    assert 400 <= response.status_code < 500, (response.status_code, response.data[:300])
    assert counts(db) == before
    if url.startswith("/api/"):
        assert response.json["error"]["code"]


def test_api_errors_name_the_field(db, desk):
    bad = desk["api"].post(
        "/api/v1/tickets", headers=desk["headers"], json=NEW | {"customer": {"phone": 7}}
    )
    assert bad.status_code == 422
    assert bad.json["error"] == bad.json["error"] | {
        "code": "invalid_type",
        "field": "customer.phone",
    }
    missing = desk["api"].post("/api/v1/tickets", headers=desk["headers"], json={"subject": "x"})
    assert (missing.json["error"]["code"], missing.json["error"]["field"]) == (
        "missing_field",
        "body",
    )
    wrong = desk["api"].post(
        "/api/v1/tickets", headers=desk["headers"], json=NEW | {"priority": "asap"}
    )
    assert wrong.json["error"]["field"] == "priority" and "urgent" in wrong.json["error"]["message"]


def test_the_published_schema_is_the_one_enforced(client, db, desk):
    """The OpenAPI components are the validators' schemas, and real answers match them."""
    from jsonschema import Draft202012Validator

    from ticketing import api_schemas

    document = client.get("/api/v1/openapi.json").json
    assert document["components"]["schemas"] == json.loads(json.dumps(api_schemas.COMPONENTS))
    created = document["paths"]["/tickets"]["post"]["requestBody"]["content"]
    assert created["application/json"]["schema"] == {"$ref": "#/components/schemas/NewTicket"}
    ticket = desk["api"].get(f"/api/v1/tickets/{desk['ticket'].id}", headers=desk["headers"])
    Draft202012Validator(api_schemas.TICKET).validate(ticket.json)
    listed = desk["api"].get("/api/v1/tickets", headers=desk["headers"])
    Draft202012Validator(api_schemas.TICKET_PAGE).validate(listed.json)


def test_good_input_with_tabs_newlines_and_unicode_still_passes(db, desk):
    from ticketing import edge

    body = "Line one\n\tindented\r\nHabari, ümlaut, emoji 🙂, [brackets] {braces}"
    created = desk["api"].post(
        "/api/v1/tickets", headers=desk["headers"], json=NEW | {"body": body}
    )
    assert created.status_code == 201 and created.json["messages"][0]["body"] == body
    nested = {"a": [[[[[[[[1]]]]]]]]}
    assert edge.json_depth(json.dumps(nested).encode()) == 9
    assert edge.json_depth(b'{"text": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}') == 1
    queue = desk["agent"].get("/agent/?q=Charged&page=2&department=1")
    assert queue.status_code == 200


def test_a_signed_webhook_with_a_huge_outbox_id_is_refused_not_crashed(db, desk):
    url = "/webhooks/twilio/status?outbox=" + HUGE
    params = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "delivered"}
    signature = sign("http://fuatilia.test" + url, params, DEFAULT_AUTH_TOKEN)
    before = counts(db)
    response = desk["public"].post(url, data=params, headers={"X-Twilio-Signature": signature})
    assert 400 <= response.status_code < 500
    assert counts(db) == before


def test_the_500_page_claims_nothing_untrue(web):
    from ticketing.views import errors

    with web.test_request_context("/support"):
        page = errors._page(500, None)
    assert "Nothing you sent is lost" not in page
    assert "it may not have reached us: please try again in a minute" in page


def test_the_last_line_turns_a_value_the_database_refuses_into_a_400(db, web):
    """Behind the edge: an out-of-range or over-long value that still reaches the database."""
    from sqlalchemy import text
    from sqlalchemy.exc import DataError

    from ticketing.extensions import db as database

    def overflow():
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    def data_error():
        raise DataError("INSERT ...", {}, Exception("value too long for type character varying"))

    web.add_url_rule("/agent-free/overflow", view_func=overflow)
    web.add_url_rule("/api/v1-free/data-error", view_func=data_error)
    client = web.test_client()
    page = client.get("/agent-free/overflow")
    assert page.status_code == 400 and "out of range or too long" in page.get_data(as_text=True)
    answer = client.get("/api/v1-free/data-error")
    assert answer.status_code == 400 and answer.json["error"]["code"] == "bad_request"
    with web.app_context():
        assert database.session.execute(text("SELECT 1")).scalar() == 1
