"""The queue as an agent shapes it: every filter, the sort and the page survive paging; every
column sorts both ways; an agent saves views of their own, and nobody else sees them."""

import re
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from harness import page_text
from sqlalchemy import func, select

from ticketing import hours, lifecycle
from ticketing.models import Customer, SavedView
from ticketing.models.enums import Channel, Priority, Role, Status


def listed(client, url="/agent/", **args) -> list[str]:
    response = client.get(url, query_string=args or None)
    assert response.status_code == 200, response.data[:300]
    table = response.get_data(as_text=True).split("<tbody>")[-1].split("</tbody>")[0]
    return re.findall(r'<span class="mono"[^>]*>(FT-\w{5})</span>', table)


def next_link(html: str) -> str:
    return unescape(re.search(r'rel="next" href="([^"]+)"', html).group(1))


@pytest.fixture
def five(db, department, staff):
    """Five Sales tickets of different customers, priorities, states and assignees."""
    sales, billing = department("Sales"), department("Billing")
    otieno = staff("otieno", departments=[sales, billing])
    achieng = staff("achieng", departments=[sales])
    boss = staff("boss", role=Role.SUPERVISOR)
    specs = [  # name, department, priority, assignee, status, due in hours
        ("Zawadi", sales, Priority.LOW, otieno, Status.OPEN, 5),
        ("Amina", billing, Priority.URGENT, None, Status.NEW, 1),
        ("Kevin", sales, Priority.HIGH, achieng, Status.PENDING_CUSTOMER, None),
        ("Baraka", billing, Priority.NORMAL, otieno, Status.RESOLVED, 3),
        ("Njeri", sales, Priority.URGENT, achieng, Status.CLOSED, 2),
    ]
    tickets = []
    for i, (name, department_, priority, assignee, status, due) in enumerate(specs):
        customer = Customer(name=name, phone=f"+25471200030{i}")
        db.session.add(customer)
        ticket = lifecycle.open_ticket(
            customer,
            subject=f"Fridge {name}",
            body="Not cooling",
            channel=Channel.SMS,
            priority=priority,
            department=department_,
        )
        lifecycle.assign(ticket, assignee, by=boss)
        if status is not Status.NEW:
            lifecycle.set_status(ticket, status, by=boss)
        ticket.due_at = hours.now() + timedelta(hours=due) if due else None
        tickets.append(ticket)
    db.session.commit()
    return {"tickets": tickets, "otieno": otieno, "achieng": achieng, "boss": boss}


URGENCY = [Priority.URGENT, Priority.HIGH, Priority.NORMAL, Priority.LOW]
KEYS = {
    "ticket": lambda t: t.reference,
    "customer": lambda t: t.customer.name,
    "status": lambda t: list(Status).index(t.status),
    "priority": lambda t: URGENCY.index(t.priority),  # first click: most urgent first
    "department": lambda t: t.department.name,
    "assignee": lambda t: t.assignee.name if t.assignee else None,
    "due": lambda t: t.due_at,
}


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_every_column_sorts_both_ways_with_empty_ones_last(client, login, five, direction):
    login(client, five["boss"])
    for column, key in KEYS.items():
        filled = [t for t in five["tickets"] if key(t) is not None]
        empty = [t.reference for t in five["tickets"] if key(t) is None]
        expected = [
            t.reference for t in sorted(filled, key=key, reverse=direction == "desc")
        ] + empty
        got = listed(client, view="all", status="", sort=column, dir=direction)
        assert got == expected, column


def test_an_unknown_sort_keeps_the_urgency_order(client, login, five):
    login(client, five["boss"])
    urgency = listed(client, view="all", status="")
    assert listed(client, view="all", status="", sort="password", dir="sideways") == urgency
    assert listed(client, view="all", status="", sort="due", dir="sideways") == listed(
        client, view="all", status="", sort="due", dir="asc"
    )


def test_the_column_headings_link_to_their_sort_keeping_the_filters(client, login, five):
    login(client, five["boss"])
    html = client.get("/agent/?view=all&status=&q=fridge&sort=customer").get_data(as_text=True)
    heading = re.search(r'<th scope="col" aria-sort="ascending"><a href="([^"]+)"', html)
    args = parse_qs(urlsplit(unescape(heading.group(1))).query, keep_blank_values=True)
    assert args == {
        "view": ["all"],
        "status": [""],
        "q": ["fridge"],
        "sort": ["customer"],
        "dir": ["desc"],
    }


@pytest.mark.config(QUEUE_PAGE_SIZE=2)
def test_every_filter_the_sort_and_the_page_survive_paging(client, login, five):
    login(client, five["boss"])
    first = client.get(
        "/agent/?view=all&status=&priority=&q=fridge&sort=customer&dir=desc"
    ).get_data(as_text=True)
    assert "Page 1 of 3" in page_text(first)
    second_url = next_link(first)
    args = parse_qs(urlsplit(second_url).query, keep_blank_values=True)
    assert args["status"] == [""] and args["sort"] == ["customer"] and args["dir"] == ["desc"]
    assert args["q"] == ["fridge"] and args["page"] == ["2"]
    second = client.get(second_url).get_data(as_text=True)
    names = sorted((t.customer.name for t in five["tickets"]), reverse=True)
    assert "No tickets here" not in second and "Page 2 of 3" in page_text(second)
    by_name = {t.customer.name: t.reference for t in five["tickets"]}
    assert listed(client, second_url) == [by_name[n] for n in names[2:4]]
    third = listed(client, next_link(second))
    assert third == [by_name[names[4]]]


def test_the_live_queue_takes_the_same_search_and_sort(client, login, five):
    login(client, five["otieno"])
    response = client.get(
        "/agent/queue/live",
        query_string={
            "view": "departments",
            "status": "",
            "q": five["tickets"][3].reference,
            "sort": "due",
            "dir": "desc",
            "since": "2020-01-01T00:00:00Z",
        },
    )
    assert response.status_code == 200
    assert response.get_json()["count"] == 1


# -- saved views ---------------------------------------------------------------------------


def save(client, name, args="view=all&status=&sort=due&dir=desc&page=3&evil=1"):
    return client.post("/agent/views", data={"name": name, "args": args})


def saved_count(db) -> int:
    return db.session.scalar(select(func.count(SavedView.id)))


def test_an_agent_saves_uses_and_deletes_a_view_of_their_own(db, web, client, login, five):
    login(client, five["otieno"])
    response = save(client, "  Late   first ")
    assert response.status_code == 302
    view = db.session.scalar(select(SavedView))
    assert view.name == "Late first" and view.user_id == five["otieno"].id
    assert view.args == {"view": "all", "status": "", "sort": "due", "dir": "desc"}
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Saved the view “Late first”." in page_text(page)
    link = re.search(r'<a class="btn btn-small btn-primary" href="([^"]+)" aria-current', page)
    assert link and "sort=due" in link.group(1)  # listed, and the one shown now
    assert listed(client, unescape(link.group(1))) == listed(
        client, view="all", status="", sort="due", dir="desc"
    )

    other = login(web.test_client(), five["achieng"])
    assert "Late first" not in page_text(other.get("/agent/").get_data(as_text=True))
    assert other.post(f"/agent/views/{view.id}/delete").status_code == 404
    assert (
        login(web.test_client(), five["boss"]).post(f"/agent/views/{view.id}/delete").status_code
        == 404
    )
    assert saved_count(db) == 1

    response = client.post(f"/agent/views/{view.id}/delete")
    assert response.status_code == 302 and saved_count(db) == 0
    page = client.get("/agent/").get_data(as_text=True)
    assert "Deleted the view “Late first”." in page_text(page)
    assert client.post(f"/agent/views/{view.id}/delete").status_code == 404


def test_bad_view_names_are_refused_with_a_message(db, client, login, five):
    login(client, five["otieno"])
    assert save(client, "Mine").status_code == 302
    refusals = {
        "": "Give the view a name.",
        "   ": "Give the view a name.",
        "x" * 61: "A view's name is at most 60 characters.",
        "x" * 10_000: "A view's name is at most 60 characters.",
        "mine": "You already have a view called “mine”.",
        "Zero\u200bwidth": "A view's name may not hold invisible characters.",
    }
    for name, words in refusals.items():
        response = save(client, name)
        assert response.status_code == 302
        assert words in page_text(client.get(response.headers["Location"]).get_data(as_text=True))
    assert saved_count(db) == 1
    # the same name is another agent's to use
    other = login(client.application.test_client(), five["achieng"])
    assert save(other, "Mine").status_code == 302 and saved_count(db) == 2


def test_a_saved_view_name_is_shown_as_text_not_markup(db, client, login, five):
    login(client, five["otieno"])
    save(client, "<script>alert(1)</script>")
    html = client.get("/agent/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_saving_or_deleting_a_view_needs_the_forms_csrf_token(db, client, five):
    page = client.get("/auth/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post(
        "/auth/login",
        data={
            "email": five["otieno"].email,
            "password": "correct horse battery",
            "csrf_token": token,
        },
    )
    assert save(client, "Mine").status_code == 400 and saved_count(db) == 0
    queue = client.get("/agent/").get_data(as_text=True)
    token = queue.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/agent/views", data={"name": "Mine", "args": "", "csrf_token": token})
    assert response.status_code == 302 and saved_count(db) == 1
    view_id = db.session.scalar(select(SavedView.id))
    assert client.post(f"/agent/views/{view_id}/delete").status_code == 400
    assert saved_count(db) == 1
