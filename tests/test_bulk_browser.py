"""The queue's bulk bar in a real browser: tick two rows, assign them both, read the result."""

import pytest
from sqlalchemy import select
from test_browser import signed_in

from ticketing import lifecycle
from ticketing.models import Customer, Event, Ticket
from ticketing.models.enums import Channel

pytestmark = pytest.mark.browser


def test_an_agent_assigns_two_tickets_from_the_queue(db, live_server, browser, department, staff):
    general = department("General")
    achieng = staff("achieng", departments=[general])
    otieno = staff("otieno", departments=[general])
    tickets = []
    for n, subject in enumerate(("Fridge warm", "Cooker sparks", "Kettle leaks")):
        person = Customer(name=f"Customer {n}", phone=f"+25472200001{n}")
        db.session.add(person)
        ticket = lifecycle.open_ticket(person, subject=subject, body=subject, channel=Channel.SMS)
        lifecycle.assign(ticket, None, by=None)
        tickets.append(ticket)
    db.session.commit()
    first, second, third = tickets

    page = signed_in(browser, live_server, achieng)
    page.goto(f"{live_server.url}/agent/?view=unassigned")
    page.check("#pick-all")  # select all, then leave one out
    assert page.is_checked(f"#pick-{third.id}")
    page.uncheck(f"#pick-{third.id}")
    page.select_option("#bulk-assign", label="Otieno")
    page.click("button[value=assign]")
    page.wait_for_selector("#bulk-summary")
    assert "2 of 2 tickets changed" in page.inner_text("#bulk-summary")
    table = page.inner_text("#bulk-outcomes")
    assert first.reference in table and second.reference in table
    assert third.reference not in table and "assigned to Otieno" in table

    db.session.expire_all()
    assignees = {t.reference: t.assignee_id for t in db.session.scalars(select(Ticket))}
    assert assignees == {
        first.reference: otieno.id,
        second.reference: otieno.id,
        third.reference: None,
    }
    assigned = db.session.scalars(
        select(Event).where(Event.kind == "assigned", Event.actor_id == achieng.id)
    ).all()
    assert sorted(e.ticket_id for e in assigned) == sorted([first.id, second.id])
