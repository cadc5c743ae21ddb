"""Figures that never flatter: a ticket closed because the customer never answered is not a
resolution, and the public /charter page publishes this month's record per department and
priority, with the open tickets past their target counted as missed.

The story happens in November 2026, Nairobi time (UTC+3). After-sales works Monday to
Friday 08:00-17:00 (9-hour days): urgent tickets are answered within 1 working hour and
solved within 4; normal ones within 4 working hours and 2 working days (1080 minutes).
"""

import re

import pytest
from harness import WEEKDAYS, local
from sqlalchemy import select

from ticketing import lifecycle, stats
from ticketing.models import CharterTarget, Customer, Ticket
from ticketing.models.enums import Category, Channel, Outcome, Priority, Status


@pytest.fixture
def desk(db, department, staff, clock):
    clock.set(local("2026-10-30 08:00"))
    after = department(
        "After-sales service",
        working_hours=WEEKDAYS,
        description="Repairs and warranty claims.",
        targets=[
            CharterTarget(
                priority=Priority.URGENT, first_response_minutes=60, resolution_minutes=240
            ),
            CharterTarget(
                priority=Priority.NORMAL, first_response_minutes=240, resolution_minutes=1080
            ),
        ],
    )
    wanjiru = staff("wanjiru", departments=[after])
    people = [Customer(name=f"Customer {n}", email=f"c{n}@example.co.ke") for n in range(6)]
    db.session.add_all(people)
    db.session.commit()
    return after, wanjiru, people


def at(clock, db, when: str, action, *args, **kwargs):
    clock.set(local(when))
    result = action(*args, **kwargs)
    db.session.commit()
    return result


def open_at(clock, db, when, customer, department, **fields) -> Ticket:
    return at(
        clock,
        db,
        when,
        lifecycle.open_ticket,
        customer,
        subject="The fridge is warm",
        body="Help",
        channel=Channel.EMAIL,
        department=department,
        **fields,
    )


def charter_figures(client) -> dict:
    """Every data-key on /charter with its value."""
    html = client.get("/charter").get_data(as_text=True)
    return dict(re.findall(r'data-key="([^"]+)" data-value="([^"]*)"', html)), html


def summary_for(first: str, last: str) -> tuple[dict, object]:
    scope = stats.Scope.from_args({"period": "custom", "from": first, "to": last})
    return stats.summary(scope), scope


def behind(db, scope, figure: str) -> set[int]:
    return set(db.session.scalars(stats.tickets_behind(scope, figure)))


@pytest.fixture
def silent_week(db, desk, clock):
    """Monday 2 November: A is solved, fixed within target and then the customer falls
    silent (closed after silence, Thursday); B waits for the customer, who never answers
    (closed for no reply, Wednesday); C is solved and closed by the agent; D is resolved and
    awaits the customer's word. Only C and D are resolutions."""
    after, wanjiru, people = desk
    tickets = {}
    for key, customer in zip("ABCD", people, strict=False):
        tickets[key] = open_at(
            clock, db, "2026-11-02 09:00", customer, after, category=Category.AFTER_SALE
        )
        at(clock, db, "2026-11-02 09:30", lifecycle.reply, tickets[key], by=wanjiru, body="On it")
    a, b, c, d = (tickets[k] for k in "ABCD")
    at(clock, db, "2026-11-02 10:00", lifecycle.resolve, a, by=wanjiru)
    at(clock, db, "2026-11-02 10:00", lifecycle.set_pending, b, by=wanjiru)
    at(clock, db, "2026-11-02 11:00", lifecycle.resolve, c, by=wanjiru)
    at(clock, db, "2026-11-02 11:05", lifecycle.close, c, by=wanjiru)
    at(clock, db, "2026-11-02 12:00", lifecycle.resolve, d, by=wanjiru)
    at(
        clock,
        db,
        "2026-11-04 10:00",
        lifecycle.close,
        b,
        outcome=Outcome.CLOSED_NO_REPLY,
        message=None,
    )
    at(
        clock,
        db,
        "2026-11-05 10:00",
        lifecycle.close,
        a,
        outcome=Outcome.CLOSED_AFTER_SILENCE,
        message=None,
    )
    clock.set(local("2026-11-06 12:00"))
    return tickets, wanjiru


def test_a_ticket_closed_after_silence_is_not_resolved_and_shows_as_silence(
    db, client, desk, silent_week
):
    tickets, wanjiru = silent_week
    assert tickets["B"].resolved_at is not None  # close() still stamps it: the SQL decides
    data, scope = summary_for("2026-11-02", "2026-11-06")
    assert data["resolution"]["count"] == 2 and data["resolution"]["in_time"] == 2  # C, D
    assert data["volume"]["resolved"] == 2
    assert data["volume"]["closed_for_silence"] == 2  # A, B
    assert data["volume"]["channels"]["email"]["closed_for_silence"] == 2
    assert data["volume"]["channels"]["email"]["resolved"] == 2
    [row] = [r for r in data["agents"] if r["agent_id"] == wanjiru.id]
    assert (row["resolved"], row["resolved_in_time"], row["closed_for_silence"]) == (2, 2, 2)
    ids = {key: t.id for key, t in tickets.items()}
    assert behind(db, scope, "resolved") == {ids["C"], ids["D"]}
    assert behind(db, scope, "resolved_in_time") == {ids["C"], ids["D"]}
    assert behind(db, scope, "closed_for_silence") == {ids["A"], ids["B"]}

    figures, _ = charter_figures(client)
    normal = f"{desk[0].id}.normal"
    assert figures[f"{normal}.resolution.in_time"] == "2"
    assert figures[f"{normal}.closed_for_silence"] == "2"


def test_a_reopened_and_solved_ticket_counts_again(db, desk, silent_week, clock):
    """The last closing decides: B, closed for no reply, comes back and is then solved."""
    tickets, wanjiru = silent_week
    b = tickets["B"]
    at(
        clock,
        db,
        "2026-11-06 09:00",
        lifecycle.reopen,
        b,
        outcome=Outcome.REOPENED_CUSTOMER_WROTE,
    )
    assert b.status == Status.OPEN
    at(clock, db, "2026-11-06 10:00", lifecycle.resolve, b, by=wanjiru)
    at(clock, db, "2026-11-06 10:05", lifecycle.close, b, by=wanjiru)
    clock.set(local("2026-11-06 12:00"))
    data, scope = summary_for("2026-11-02", "2026-11-06")
    assert data["resolution"]["count"] == 3 and data["volume"]["closed_for_silence"] == 1
    assert b.id in behind(db, scope, "resolved")


def test_open_tickets_past_their_target_count_as_missed_on_the_charter_page(
    db, client, desk, clock
):
    after, wanjiru, people = desk
    # E: answered in time, never solved; 1080 working minutes run out Wednesday 09:00.
    e = open_at(clock, db, "2026-11-02 09:00", people[0], after)
    at(clock, db, "2026-11-02 09:30", lifecycle.reply, e, by=wanjiru, body="Looking")
    # F: never answered; its first answer was due Monday 14:00.
    open_at(clock, db, "2026-11-02 10:00", people[1], after)
    # G: solved late (Thursday), after its deadline.
    g = open_at(clock, db, "2026-11-02 11:00", people[2], after)
    at(clock, db, "2026-11-02 11:30", lifecycle.reply, g, by=wanjiru, body="Looking")
    at(clock, db, "2026-11-05 10:00", lifecycle.resolve, g, by=wanjiru)
    clock.set(local("2026-11-06 12:00"))
    figures, html = charter_figures(client)
    normal = f"{after.id}.normal"
    assert figures[f"{normal}.first_response.in_time"] == "2"  # E, G
    assert figures[f"{normal}.first_response.missed"] == "1"  # F
    assert figures[f"{normal}.resolution.in_time"] == "0"
    assert figures[f"{normal}.resolution.late"] == "1"  # G
    assert figures[f"{normal}.resolution.missed"] == "2"  # E and F, still open past target
    assert "Solved within 2 working days" in html
    assert "First answer within 4 working hours" in html
    assert "(0%)" in html and "(66.6%)" in html  # 2 of 3 in time, rounded down


def test_the_charter_page_has_a_row_per_priority(db, client, desk, clock):
    after, wanjiru, people = desk
    urgent = open_at(clock, db, "2026-11-02 09:00", people[0], after, priority=Priority.URGENT)
    normal = open_at(clock, db, "2026-11-02 09:00", people[1], after)
    at(clock, db, "2026-11-02 10:30", lifecycle.reply, urgent, by=wanjiru, body="Late")
    at(clock, db, "2026-11-02 10:30", lifecycle.reply, normal, by=wanjiru, body="In time")
    at(clock, db, "2026-11-02 11:00", lifecycle.resolve, urgent, by=wanjiru)
    clock.set(local("2026-11-02 15:00"))
    figures, html = charter_figures(client)
    key = f"{after.id}"
    assert figures[f"{key}.urgent.first_response.late"] == "1"
    assert figures[f"{key}.urgent.first_response.in_time"] == "0"
    assert figures[f"{key}.urgent.resolution.in_time"] == "1"
    assert figures[f"{key}.normal.first_response.in_time"] == "1"
    assert figures[f"{key}.normal.first_response.late"] == "0"
    assert not any(k.startswith(f"{key}.high.") or k.startswith(f"{key}.low.") for k in figures)
    assert "First answer within 1 working hour<" in html and "Solved within 4 working hours" in html
    assert html.index("Urgent priority") < html.index("Normal priority")


def test_this_month_is_the_local_month(db, client, desk, clock):
    """Sunday 1 November 01:00 in Nairobi is still 31 October in UTC; Saturday 31 October
    23:00 is October everywhere. On Monday 2 November only the first is this month's."""
    after, wanjiru, people = desk
    october = open_at(clock, db, "2026-10-31 22:00", people[0], after)
    november = open_at(clock, db, "2026-10-31 22:30", people[1], after)
    at(clock, db, "2026-10-31 23:00", lifecycle.reply, october, by=wanjiru, body="Hi")
    at(clock, db, "2026-10-31 23:30", lifecycle.resolve, october, by=wanjiru)
    at(clock, db, "2026-11-01 01:00", lifecycle.reply, november, by=wanjiru, body="Hi")
    at(clock, db, "2026-11-01 01:30", lifecycle.resolve, november, by=wanjiru)
    clock.set(local("2026-11-02 02:00"))  # 1 November 23:00 UTC
    [row] = stats.charter_record()
    assert (row["answered"], row["answered_in_time"]) == (1, 1)
    figures, html = charter_figures(client)
    normal = f"{after.id}.normal"
    assert figures[f"{normal}.first_response.in_time"] == "1"
    assert figures[f"{normal}.resolution.in_time"] == "1"
    assert "November 2026" in html


def phone_data(db, department, staff, clock):
    clock.set(local("2026-11-02 09:00"))
    names = ["After-sales service and warranty repairs", "Billing", "Deliveries"]
    for name in names:
        desk = department(
            name,
            working_hours=WEEKDAYS,
            description="What this department promises you.",
            targets=[
                CharterTarget(priority=p, first_response_minutes=m, resolution_minutes=9 * m)
                for p, m in (
                    (Priority.URGENT, 45),
                    (Priority.HIGH, 150),
                    (Priority.NORMAL, 240),
                    (Priority.LOW, 540),
                )
            ],
        )
        agent = staff(f"agent{len(name)}", departments=[desk])
        customer = Customer(name=f"Customer of {name}", email=f"{len(name)}@example.co.ke")
        db.session.add(customer)
        db.session.commit()
        for n in range(3):
            ticket = open_at(clock, db, "2026-11-02 09:00", customer, desk)
            if n:
                at(clock, db, "2026-11-02 09:30", lifecycle.reply, ticket, by=agent, body="Hi")
    clock.set(local("2026-11-06 12:00"))
    assert db.session.scalar(select(Ticket.id).limit(1)) is not None


@pytest.mark.browser
def test_the_charter_page_fits_a_360_pixel_phone(
    db, live_server, browser, department, staff, clock, tmp_path
):
    phone_data(db, department, staff, clock)
    page = browser.new_page(viewport={"width": 360, "height": 740}, device_scale_factor=2)
    page.goto(f"{live_server.url}/charter")
    page.screenshot(path=str(tmp_path / "charter-360.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page is {width} px wide on a 360 px screen"
    assert page.locator(".charter-priority").count() == 12  # 3 departments, 4 priorities
    assert "Urgent priority" in page.inner_text("main")
    page.close()
