"""The JSON API: bearer tokens, filters, the same lifecycle as the pages, stable error codes."""

import json

import pytest
from sqlalchemy import func, select

from ticketing import api_params, api_schemas
from ticketing.models import Customer, Event, Ticket
from ticketing.models.enums import Role
from ticketing.openapi import DOCUMENT
from ticketing.security import issue_token


@pytest.fixture
def api(db, client, department, staff):
    billing = department("Billing", keywords="refund, charged")
    sales = department("Sales", keywords="order")
    kamau = staff("kamau", departments=[billing])
    grace = staff("grace", role=Role.SUPERVISOR)
    tokens = {"kamau": issue_token(kamau), "grace": issue_token(grace)}
    db.session.commit()

    def call(method, path, who="kamau", **kwargs):
        headers = {"Authorization": f"Bearer {tokens[who]}"} | kwargs.pop("headers", {})
        return client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

    call.sales = sales
    return call


NEW = {
    "subject": "Charged twice",
    "body": "I was charged twice for order 11",
    "customer": {"name": "Brian", "email": "Brian@Example.co.ke"},
}


def test_create_read_reply_and_close(db, api, run_jobs):
    created = api("POST", "/tickets", json=NEW)
    assert created.status_code == 201
    ticket = created.json
    assert ticket["reference"].startswith("FT-") and ticket["department"] == "Billing"
    assert ticket["customer"]["email"] == "brian@example.co.ke" and ticket["channel"] == "api"
    reply = api("POST", f"/tickets/{ticket['reference']}/replies", json={"body": "Refunded."})
    assert reply.status_code == 201 and reply.json["direction"] == "outbound"
    assert api("POST", f"/tickets/{ticket['id']}/notes", json={"body": "done"}).status_code == 201
    closed = api("PATCH", f"/tickets/{ticket['id']}", json={"status": "closed", "note": "ok"})
    assert closed.json["status"] == "closed"
    refused = api("POST", f"/tickets/{ticket['id']}/replies", json={"body": "again"})
    assert refused.status_code == 409 and refused.json["error"]["code"] == "invalid_transition"
    read = api("GET", f"/tickets/{ticket['reference']}").json
    assert [m["internal"] for m in read["messages"]] == [False, False, True]
    run_jobs()
    assert api("GET", f"/tickets/{ticket['id']}").json["messages"][1]["delivery"] == "delivered"


def test_idempotency_key_creates_once(db, api):
    first = api("POST", "/tickets", json=NEW, headers={"Idempotency-Key": "order-11"})
    again = api("POST", "/tickets", json=NEW, headers={"Idempotency-Key": "order-11"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json["id"] == again.json["id"]
    assert db.session.scalar(select(func.count(Ticket.id))) == 1


def test_list_filters_and_department_scope(db, api):
    api("POST", "/tickets", json=NEW)
    api(
        "POST",
        "/tickets",
        json=NEW
        | {
            "subject": "Order late",
            "body": "order 12 is late",
            "customer": {"phone": "0722000003"},
        },
    )
    mine = api("GET", "/tickets").json
    assert [t["department"] for t in mine["tickets"]] == ["Billing"]
    everything = api("GET", "/tickets", who="grace").json
    assert everything["total"] == 2
    by_phone = api("GET", "/tickets", who="grace", query_string={"phone": "+254722000003"}).json
    assert [t["subject"] for t in by_phone["tickets"]] == ["Order late"]
    by_email = api(
        "GET", "/tickets", who="grace", query_string={"email": "brian@example.co.ke"}
    ).json
    assert [t["subject"] for t in by_email["tickets"]] == ["Charged twice"]
    since = api("GET", "/tickets", who="grace", query_string={"updated_since": "2999-01-01"}).json
    assert since["total"] == 0
    other = db.session.scalar(select(Ticket).where(Ticket.subject == "Order late"))
    assert api("GET", f"/tickets/{other.id}").status_code == 404


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"subject": "x", "customer": {"email": "a@b.co"}}, 422, "missing_field"),
        ({"subject": "x", "body": "y", "customer": {}}, 422, "missing_contact"),
        ({"subject": "x", "body": "y", "customer": {"email": "nope"}}, 422, "invalid_contact"),
        (
            {"subject": "x", "body": "y", "priority": "asap", "customer": {"phone": "0722000003"}},
            422,
            "invalid_value",
        ),
        ({"subject": "x" * 201, "body": "y", "customer": {"phone": "0722000003"}}, 422, "too_long"),
        ([1, 2], 400, "invalid_json"),
    ],
)
def test_bad_requests_get_stable_error_codes(db, api, body, status, code):
    response = api("POST", "/tickets", json=body)
    assert response.status_code == status and response.json["error"]["code"] == code
    assert db.session.scalar(select(func.count(Customer.id))) == 0


def test_missing_or_wrong_token_is_401(client):
    assert client.get("/api/v1/tickets").json["error"]["code"] == "unauthorized"
    wrong = client.get("/api/v1/tickets", headers={"Authorization": "Bearer ft_nope"})
    assert wrong.status_code == 401


def test_bad_filters_and_unknown_ticket(api):
    assert api("GET", "/tickets", query_string={"phone": "12"}).status_code == 400
    assert api("GET", "/tickets", query_string={"updated_since": "yesterday"}).status_code == 400
    assert api("GET", "/tickets/FT-ZZZZZ").json["error"]["code"] == "not_found"


def test_openapi_document_lists_the_endpoints(client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.")
    assert {"/tickets", "/tickets/{ref}", "/tickets/{ref}/replies"} <= set(document["paths"])


def test_the_document_is_built_from_the_validating_schemas(client):
    """Bodies, query strings and the Idempotency-Key header are checked against the very
    schemas the document publishes (ticketing.api_schemas and ticketing.api_params)."""
    document = json.loads(json.dumps(client.get("/api/v1/openapi.json").json))
    same = json.loads(json.dumps(DOCUMENT))
    assert document == same and document["components"]["schemas"] == json.loads(
        json.dumps(api_schemas.COMPONENTS)
    )
    paths = document["paths"]

    def query(path: str) -> dict:
        return {
            p["name"]: p["schema"] for p in paths[path]["get"]["parameters"] if p["in"] == "query"
        }

    for path, params in (
        ("/tickets", api_params.LIST),
        ("/reports/summary", api_params.SCOPE),
        ("/reports/{table}", api_params.SCOPE),
        ("/reports/tickets", api_params.FIGURE),
    ):
        assert query(path) == json.loads(json.dumps(params)), path
    header = paths["/tickets"]["post"]["parameters"][0]
    assert header["schema"] == json.loads(json.dumps(api_params.IDEMPOTENCY_KEY))


def test_query_strings_and_headers_are_held_to_the_document(api):
    for query in (
        {"status": "nope"},
        {"per_page": "0"},
        {"page": "x"},
        {"status": ["new", "open"]},
    ):
        refused = api("GET", "/tickets", query_string=query)
        assert refused.status_code == 400 and refused.json["error"]["code"] == "invalid_filter"
    assert (
        api("GET", "/tickets", query_string={"status": "nope"}).json["error"]["field"] == "status"
    )
    ancient = api("GET", "/tickets", query_string={"updated_since": "1900-01-01T00:00:00z"})
    assert ancient.status_code == 200  # before any ticket: every one, not an error
    for key in ('"', "#fp:mine", 'key"'):
        refused = api("POST", "/tickets", json=NEW, headers={"Idempotency-Key": key})
        assert refused.status_code == 400, key
        assert refused.json["error"]["code"] == "invalid_idempotency_key"


def test_unusable_bodies_and_methods_get_their_documented_status(api, client):
    not_json = api("POST", "/tickets", data="subject=x", content_type="text/plain")
    assert (
        not_json.status_code == 415 and not_json.json["error"]["code"] == "unsupported_media_type"
    )
    lone = api(
        "POST",
        "/tickets",
        data='{"subject": "\\ud800", "body": "x"}',
        content_type="application/json",
    )
    assert lone.status_code == 400 and lone.json["error"]["code"] == "bad_input"
    empty = api("POST", "/tickets", json=NEW | {"customer": {"email": "", "phone": "0722000003"}})
    assert empty.status_code == 422 and empty.json["error"]["code"] == "invalid_contact"
    for method, path in (
        ("DELETE", "/api/v1/tickets"),
        ("TRACE", "/api/v1/tickets/1"),
        ("PUT", "/support"),
    ):
        answer = client.open(path, method=method)
        assert answer.status_code == 405 and answer.headers["Allow"], (method, path)
    assert set(client.delete("/api/v1/tickets").headers["Allow"].split(", ")) == {
        "GET",
        "HEAD",
        "OPTIONS",
        "POST",
    }


def test_an_unknown_assignee_is_422(api):
    ticket = api("POST", "/tickets", json=NEW).json
    answer = api("PATCH", f"/tickets/{ticket['id']}", json={"assignee_id": 2**31 - 1})
    assert answer.status_code == 422 and answer.json["error"]["code"] == "invalid_assignee"


@pytest.mark.parametrize(
    "moment, total",
    [("0001-01-01T00:00:00+05:00", 1), ("9999-12-31T23:59:59-05:00", 0), ("1969-07-20", 1)],
)
def test_times_at_the_ends_of_the_calendar_are_clamped(api, moment, total):
    """Valid RFC 3339 times whose UTC overflows (a 500 once) mean "ever" and "never"."""
    api("POST", "/tickets", json=NEW)
    answer = api("GET", "/tickets", query_string={"updated_since": moment})
    assert answer.status_code == 200 and answer.json["total"] == total


# -- tags: listed on tickets, a filter on the list, set with PATCH


def tagged_events(db) -> list[Event]:
    db.session.expire_all()
    return db.session.scalars(select(Event).where(Event.kind == "tagged")).all()


def test_patch_sets_tags_and_the_list_filters_by_them(db, api):
    first = api("POST", "/tickets", json=NEW).json
    second = api("POST", "/tickets", json=NEW | {"subject": "Refund please"}).json
    assert first["tags"] == []
    changed = api(
        "PATCH", f"/tickets/{first['reference']}", json={"tags": {"add": ["Refund", "vip"]}}
    )
    assert changed.status_code == 200 and changed.json["tags"] == ["refund", "vip"]
    assert len(tagged_events(db)) == 1

    found = api("GET", "/tickets", query_string={"tag": "REFUND"}).json
    assert [t["reference"] for t in found["tickets"]] == [first["reference"]]
    assert found["tickets"][0]["tags"] == ["refund", "vip"]
    assert api("GET", "/tickets", query_string={"tag": "none"}).json["total"] == 0
    assert api("GET", "/tickets").json["total"] == 2

    again = api("PATCH", f"/tickets/{first['reference']}", json={"tags": {"remove": ["vip"]}})
    assert again.json["tags"] == ["refund"] and len(tagged_events(db)) == 2
    same = api("PATCH", f"/tickets/{second['reference']}", json={"tags": {"remove": ["vip"]}})
    assert same.status_code == 200 and len(tagged_events(db)) == 2


def test_bad_tags_are_refused_and_change_nothing(db, api):
    ref = api("POST", "/tickets", json=NEW).json["reference"]
    for tags in (
        {"add": ["not ok"]},
        {"add": ["x" * 41]},
        {"add": [f"t{n}" for n in range(21)]},
        {"add": "vip"},
        {"wipe": True},
    ):
        response = api("PATCH", f"/tickets/{ref}", json={"tags": tags})
        assert response.status_code == 422, tags
    for value in ("not ok", "x" * 41, "<b>"):
        response = api("GET", "/tickets", query_string={"tag": value})
        assert response.status_code == 400 and response.json["error"]["code"] == "invalid_filter"
    assert tagged_events(db) == []
    assert api("GET", f"/tickets/{ref}").json["tags"] == []


def test_tags_in_any_script_fold_and_emoji_or_invisible_ones_are_refused_by_code(db, api):
    ref = api("POST", "/tickets", json=NEW).json["reference"]
    changed = api("PATCH", f"/tickets/{ref}", json={"tags": {"add": ["Friji", "FRIJI", "مرحبا"]}})
    assert changed.status_code == 200 and changed.json["tags"] == ["friji", "مرحبا"]
    for typed, code in (("🧊", "tag_emoji"), ("fri\u200bji", "tag_invisible_characters")):
        response = api("PATCH", f"/tickets/{ref}", json={"tags": {"add": [typed]}})
        assert response.status_code == 422 and response.json["error"]["code"] == code
    found = api("GET", "/tickets", query_string={"tag": "ＦＲＩＪＩ"}).json
    assert [t["reference"] for t in found["tickets"]] == [ref]
    assert len(tagged_events(db)) == 1


def test_an_unknown_query_parameter_is_refused_not_ignored(db, api):
    """A misspelt filter ("stauts") must not silently list every ticket."""
    response = api("GET", "/tickets", query_string={"stauts": "new"})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "unknown_filter"
    assert api("GET", "/tickets", query_string={"status": "new"}).status_code == 200


def test_an_agent_cannot_tag_another_departments_ticket(db, api):
    other = api(
        "POST",
        "/tickets",
        who="grace",
        json=NEW | {"subject": "Order late", "body": "order 12 is late"},
    ).json
    response = api("PATCH", f"/tickets/{other['reference']}", json={"tags": {"add": ["mine"]}})
    assert response.status_code == 404 and tagged_events(db) == []
