"""Bulk actions from the queue: each selected ticket changed through the lifecycle (one event,
the usual notifications) or skipped with a reason; forged, empty and oversized batches refused."""

import re

import pytest
from harness import outbox_rows
from sqlalchemy import func, select

from ticketing import bulk, lifecycle, tags
from ticketing.models import Customer, Event, Ticket
from ticketing.models.enums import Channel, Role, Status


@pytest.fixture
def desk(db, department, staff):
    general = department("General")
    billing = department("Billing")
    achieng = staff("achieng", departments=[general])
    otieno = staff("otieno", departments=[general])
    kamau = staff("kamau", departments=[billing])
    tickets = []
    for n in range(4):
        person = Customer(name=f"Customer {n}", phone=f"+25472200000{n}")
        db.session.add(person)
        tickets.append(
            lifecycle.open_ticket(
                person, subject=f"Problem {n}", body="It broke", channel=Channel.SMS
            )
        )
    theirs = Customer(name="Brian", email="brian@example.co.ke")
    db.session.add(theirs)
    refund = lifecycle.open_ticket(
        theirs, subject="Refund", body="Refund me", channel=Channel.EMAIL, department=billing
    )
    for ticket in [*tickets, refund]:  # nobody's yet, whatever routing picked
        lifecycle.assign(ticket, None, by=None)
    db.session.commit()
    return {
        "general": general,
        "billing": billing,
        "achieng": achieng,
        "otieno": otieno,
        "kamau": kamau,
        "tickets": tickets,
        "refund": refund,
    }


def post(client, tickets, action, value, **extra):
    data = {"ticket_ids": [str(t if isinstance(t, int) else t.id) for t in tickets]}
    data |= {"action": action, ("tag" if "tag" in action else action): value} | extra
    return client.post("/agent/bulk", data=data, follow_redirects=True)


def events(db, kind, ticket=None) -> list[Event]:
    db.session.expire_all()
    query = select(Event).where(Event.kind == kind)
    if ticket is not None:
        query = query.where(Event.ticket_id == ticket.id)
    return db.session.scalars(query).all()


def outcomes(page: str) -> dict[str, str]:
    """Reference (or #id) -> outcome code, from the result table."""
    rows = re.findall(
        r'data-outcome="(\w+)">\s*<td[^>]*>(?:<a[^>]*>)?(?:<span[^>]*>)?([\w#-]+)', page
    )
    return {reference: code for code, reference in rows}


def test_bulk_assign_writes_one_event_each_and_notifies_as_single_assigns_do(
    db, client, login, desk, run_jobs
):
    one, *three = desk["tickets"]
    login(client, desk["achieng"])
    before = len(outbox_rows())
    client.post(f"/agent/tickets/{one.id}/assign", data={"assignee_id": desk["otieno"].id})
    single = sorted(row.kind for row in outbox_rows()[before:])
    assert single  # the customer hears, and Otieno is told

    before = len(outbox_rows())
    assigned_before = {t.id: len(events(db, "assigned", t)) for t in three}
    page = post(client, three, "assign", desk["otieno"].id).text
    kinds = sorted(row.kind for row in outbox_rows()[before:])
    assert kinds == sorted(single * 3)
    for ticket in three:
        assert len(events(db, "assigned", ticket)) == assigned_before[ticket.id] + 1
        assert events(db, "assigned", ticket)[-1].data["new"] == "Otieno"
        assert db.session.get(Ticket, ticket.id).assignee == desk["otieno"]
    assert "3 of 3 tickets changed" in page
    assert set(outcomes(page).values()) == {"done"}

    page = post(client, three, "assign", desk["otieno"].id).text  # again: nothing new
    assert set(outcomes(page).values()) == {"unchanged"}
    assert len(outbox_rows()) == before + len(kinds)


def test_forged_id_of_another_department_is_refused_and_untouched(db, client, login, desk):
    refund = desk["refund"]
    login(client, desk["achieng"])
    before = len(events(db, "priority"))
    page = post(client, [desk["tickets"][0], refund, 999999], "priority", "urgent").text
    assert outcomes(page) == {
        desk["tickets"][0].reference: "done",
        f"#{refund.id}": "not_found",
        "#999999": "not_found",
    }
    assert refund.reference not in page and "Refund" not in page
    db.session.expire_all()
    assert db.session.get(Ticket, refund.id).priority.value == "normal"
    assert len(events(db, "priority")) == before + 1


def test_an_impossible_status_move_is_skipped_with_its_reason(db, client, login, desk):
    first, second = desk["tickets"][:2]
    lifecycle.close(first, by=None)
    db.session.commit()
    login(client, desk["achieng"])
    page = post(client, [first, second], "status", "pending_customer").text
    assert outcomes(page) == {first.reference: "not_allowed", second.reference: "done"}
    assert "cannot go from Closed to" in page
    db.session.expire_all()
    assert db.session.get(Ticket, first.id).status == Status.CLOSED
    assert db.session.get(Ticket, second.id).status == Status.PENDING_CUSTOMER
    assert post(client, [second], "status", "new").text.count('data-outcome="not_allowed"') == 1


def test_assignee_outside_a_tickets_department_is_skipped(db, client, login, desk, staff):
    grace = staff("grace", role=Role.SUPERVISOR)
    login(client, grace)
    page = post(client, [desk["tickets"][0], desk["refund"]], "assign", desk["kamau"].id).text
    assert outcomes(page) == {
        desk["tickets"][0].reference: "not_in_department",
        desk["refund"].reference: "done",
    }
    assert "Kamau is not in General" in page


def test_bulk_merge_folds_each_into_the_target(db, client, login, desk):
    target, first, second, _ = desk["tickets"]
    login(client, desk["achieng"])
    page = post(client, [first, second, target], "merge", target.reference.lower()).text
    assert outcomes(page) == {
        first.reference: "done",
        second.reference: "done",
        target.reference: "merge_target",
    }
    db.session.expire_all()
    for source in (first, second):
        source = db.session.get(Ticket, source.id)
        assert source.merged_into_id == target.id and source.status == Status.CLOSED
    assert len(events(db, "merged_in", target)) == 2
    assert len(db.session.get(Ticket, target.id).messages) == 3
    refused = post(client, [first], "merge", desk["refund"].reference).text
    assert "Nothing was changed" in refused and "that you can see" in refused


def test_bulk_tags_add_and_remove_with_one_event_each(db, client, login, desk):
    first, second = desk["tickets"][:2]
    lifecycle.tag(first, add=["billing"], by=None)
    db.session.commit()
    login(client, desk["achieng"])
    page = post(client, [first, second], "add_tag", "Billing, repeat").text
    assert outcomes(page) == {first.reference: "done", second.reference: "done"}
    db.session.expire_all()
    assert tags.of(db.session.get(Ticket, second.id)) == ["billing", "repeat"]
    assert len(events(db, "tagged", first)) == 2 and len(events(db, "tagged", second)) == 1
    page = post(client, [first, second, desk["tickets"][2]], "remove_tag", "repeat").text
    assert list(outcomes(page).values()) == ["done", "done", "unchanged"]
    refused = post(client, [first], "add_tag", "not;ok").text
    assert "Nothing was changed" in refused and "is not a tag" in refused


@pytest.mark.parametrize(
    "ids, message",
    [
        ([], "Select at least one ticket."),
        ([str(n) for n in range(1, 102)], "Select at most 100 tickets at once (101 selected)."),
        (["1 OR 1=1"], "The selection is not a list of tickets."),
    ],
)
def test_empty_oversized_and_forged_batches_are_refused_whole(
    db, client, login, desk, ids, message
):
    login(client, desk["achieng"])
    before = db.session.scalar(select(func.count()).select_from(Event))
    page = client.post(
        "/agent/bulk",
        data={"ticket_ids": ids, "action": "priority", "priority": "urgent"},
        follow_redirects=True,
    ).text
    assert f"Nothing was changed: {message}" in page
    assert db.session.scalar(select(func.count()).select_from(Event)) == before


@pytest.mark.parametrize(
    "action, value", [("assign", "999"), ("transfer", "x"), ("status", "gone"), ("delete", "1")]
)
def test_unknown_actions_and_values_change_nothing(db, client, login, desk, action, value):
    login(client, desk["achieng"])
    before = db.session.scalar(select(func.count()).select_from(Event))
    page = post(client, desk["tickets"][:2], action, value).text
    assert "Nothing was changed" in page
    assert db.session.scalar(select(func.count()).select_from(Event)) == before


def test_batches_are_limited():
    with pytest.raises(bulk.BulkError) as refused:
        bulk.ticket_ids([str(n) for n in range(bulk.LIMIT + 1)])
    assert refused.value.code == "too_many"
    assert bulk.ticket_ids(["3", "3", "1"]) == [3, 1]


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_bulk_needs_the_csrf_token(db, client, login, desk):
    page = client.get("/auth/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post(
        "/auth/login",
        data={
            "email": desk["achieng"].email,
            "password": "correct horse battery",
            "csrf_token": token,
        },
    )
    response = client.post(
        "/agent/bulk",
        data={"ticket_ids": [desk["tickets"][0].id], "action": "priority", "priority": "urgent"},
    )
    assert response.status_code == 400
    assert db.session.get(Ticket, desk["tickets"][0].id).priority.value == "normal"
