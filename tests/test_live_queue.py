"""The live queue: GET /agent/queue/live?since=... answers what the open queue page polls for:
the view's count, the tickets new or changed since the last poll, and those given to the agent."""

from datetime import timedelta

import pytest
from harness import MONDAY_10_NAIROBI

from ticketing import lifecycle, live
from ticketing.models import Customer
from ticketing.models.enums import Channel

LIVE = "/agent/queue/live"


@pytest.fixture
def desk(db, department, staff, web, login, clock):
    clock.set(MONDAY_10_NAIROBI)
    repairs, sales = department("Repairs"), department("Sales")
    people = {
        "akinyi": staff("akinyi", departments=[repairs]),
        "baraka": staff("baraka", departments=[repairs]),
        "chege": staff("chege", departments=[sales]),
    }
    db.session.commit()
    clients = {name: login(web.test_client(), user) for name, user in people.items()}

    def ticket(subject, department=repairs):
        customer = Customer(name=subject, phone=f"+2547120000{len(subject):02d}")
        db.session.add(customer)
        made = lifecycle.open_ticket(
            customer, subject=subject, body=subject, channel=Channel.SMS, department=department
        )
        db.session.commit()
        return made

    return {"repairs": repairs, "sales": sales, "ticket": ticket, "clients": clients, **people}


def news(client, since, **args) -> dict:
    response = client.get(LIVE, query_string={"since": live.iso(since), **args})
    assert response.status_code == 200, response.data[:300]
    return response.get_json()


def test_new_tickets_appear_for_their_department_only(desk, clock):
    akinyi, chege = desk["clients"]["akinyi"], desk["clients"]["chege"]
    since = clock.advance(minutes=1)
    clock.advance(minutes=1)
    fridge = desk["ticket"]("Fridge")
    desk["ticket"]("Invoice", department=desk["sales"])
    mine = news(akinyi, since, view="departments")
    assert mine["count"] == 1
    assert [item["reference"] for item in mine["changed"]] == [fridge.reference]
    assert mine["changed"][0]["url"] == f"/agent/tickets/{fridge.id}"
    theirs = news(chege, since, view="departments")
    assert theirs["count"] == 1 and fridge.reference not in str(theirs)


def test_since_leaves_out_what_the_page_already_showed(db, desk, clock):
    akinyi = desk["clients"]["akinyi"]
    old = desk["ticket"]("Cooker")
    page_loaded = clock.advance(minutes=5)  # well past the slack
    answer = news(akinyi, page_loaded, view="departments")
    assert answer["count"] == 1 and answer["changed"] == []
    assert answer["now"] == live.iso(page_loaded)  # the next poll's since
    clock.advance(minutes=1)
    lifecycle.note(old, by=desk["baraka"], body="Parts ordered")  # a change to an old ticket
    db.session.commit()
    changed = news(akinyi, page_loaded, view="departments")["changed"]
    assert [item["id"] for item in changed] == [old.id]


def test_a_change_just_before_the_poll_is_still_caught(desk, clock):
    """A row stamped a moment before the last poll but committed after it: the slack."""
    akinyi = desk["clients"]["akinyi"]
    fridge = desk["ticket"]("Fridge")
    polled = MONDAY_10_NAIROBI + live.SLACK - timedelta(seconds=1)
    assert [item["id"] for item in news(akinyi, polled, view="departments")["changed"]] == [
        fridge.id
    ]


def test_the_count_follows_the_view_and_filters(desk):
    akinyi = desk["clients"]["akinyi"]
    desk["ticket"]("Fridge")
    desk["ticket"]("Washing machine")
    since = MONDAY_10_NAIROBI
    assert news(akinyi, since, view="departments")["count"] == 2
    assert news(akinyi, since, view="departments", q="Fridge")["count"] == 1
    assert news(akinyi, since, view="departments", status="closed")["count"] == 0
    page = akinyi.get("/agent/?view=departments").get_data(as_text=True)
    assert "<title>(2) My departments · Fuatilia</title>" in page
    assert 'data-live-url="/agent/queue/live?view=departments"' in page


def test_assignment_by_someone_else_is_announced(db, desk, clock):
    baraka = desk["clients"]["baraka"]
    fridge = desk["ticket"]("Fridge")
    since = clock.advance(minutes=1)
    clock.advance(minutes=1)
    lifecycle.assign(fridge, desk["baraka"], by=desk["akinyi"])
    db.session.commit()
    assigned = news(baraka, since)["assigned"]
    assert [(item["id"], item["by"]) for item in assigned] == [(fridge.id, "Akinyi")]
    assert assigned[0]["words"] == f"{fridge.reference} was assigned to you by Akinyi"
    # Akinyi hears nothing: it is not hers
    assert news(desk["clients"]["akinyi"], since)["assigned"] == []


def test_taking_a_ticket_oneself_is_not_announced(db, desk, clock):
    baraka = desk["clients"]["baraka"]
    fridge = desk["ticket"]("Fridge")
    lifecycle.assign(fridge, None, by=desk["akinyi"])
    db.session.commit()
    since = clock.advance(minutes=1)
    clock.advance(minutes=1)
    lifecycle.assign(fridge, desk["baraka"], by=desk["baraka"])
    db.session.commit()
    assert news(baraka, since)["assigned"] == []


def test_routing_handing_a_new_ticket_over_is_announced(desk, clock):
    since = clock.advance(minutes=1)
    clock.advance(minutes=1)
    fridge = desk["ticket"]("Fridge")  # least-loaded assignment, by nobody
    owner = fridge.assignee.name.lower()
    assigned = news(desk["clients"][owner], since)["assigned"]
    assert [(item["id"], item["by"]) for item in assigned] == [(fridge.id, None)]


@pytest.mark.parametrize(
    "since", [None, "", "yesterday", "2026-13-40T00:00:00", "1" * 50, "2026-11-23T07:00:00+99:00"]
)
def test_a_bad_since_is_400(desk, since):
    args = {} if since is None else {"since": since}
    response = desk["clients"]["akinyi"].get(LIVE, query_string=args)
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_since"


def test_an_offset_since_is_converted_to_utc(desk):
    desk["ticket"]("Fridge")  # 07:00 UTC, 10:00 in Nairobi
    akinyi = desk["clients"]["akinyi"]
    before = akinyi.get(LIVE, query_string={"since": "2026-11-23T09:59:00+03:00"}).get_json()
    after = akinyi.get(LIVE, query_string={"since": "2026-11-23T10:30:00+03:00"}).get_json()
    assert len(before["changed"]) == 1 and after["changed"] == []


def test_an_unknown_view_is_404_and_strangers_sign_in(desk, web):
    assert (
        desk["clients"]["akinyi"].get(LIVE + "?view=nope&since=2026-11-23T07:00:00").status_code
        == 404
    )
    stranger = web.test_client().get(LIVE + "?since=2026-11-23T07:00:00")
    assert stranger.status_code == 302 and "/auth/login" in stranger.headers["Location"]


def test_the_page_polls_with_every_filter_it_got_even_an_empty_status(db, desk):
    """status= (empty) lists every status; the poll must count the same tickets, so the count
    of a report's drill-down into resolved tickets does not fall to 0."""
    akinyi = desk["clients"]["akinyi"]
    ticket = desk["ticket"]("Fridge")
    lifecycle.resolve(ticket, by=desk["akinyi"], note="Fixed")
    db.session.commit()
    page = akinyi.get("/agent/?view=departments&status=").get_data(as_text=True)
    assert 'data-live-url="/agent/queue/live?view=departments&amp;status="' in page
    counted = news(akinyi, MONDAY_10_NAIROBI, view="departments", status="")["count"]
    assert counted == 1 and news(akinyi, MONDAY_10_NAIROBI, view="departments")["count"] == 0
