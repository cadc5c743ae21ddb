"""Two agents on one ticket in real Chromium: each sees the other viewing and typing, the first
reply shows up on the other's page, and the second reply waits for "Send anyway". Then the live
queue: a new SMS ticket shows up in an open queue page, and in its title, without a reload."""

import re
import time

import pytest
from harness import CUSTOMER, PASSWORD, Phone
from playwright.sync_api import expect
from sqlalchemy import select

from ticketing import lifecycle
from ticketing.models import Customer, Outbox, Ticket
from ticketing.models.enums import Channel

pytestmark = pytest.mark.browser


def signed_in(browser, live_server, user):
    """A page in a browser context of its own (its own cookies): one agent at one desk."""
    page = browser.new_context().new_page()
    page.goto(f"{live_server.url}/auth/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/agent/")
    return page


def replies(db, ticket) -> list[str]:
    db.session.expire_all()
    rows = db.session.scalars(
        select(Outbox).where(Outbox.ticket_id == ticket.id, Outbox.kind == "reply")
    )
    return [row.body.removeprefix(f"{ticket.reference}: ") for row in rows]


def test_two_agents_one_ticket_the_customer_gets_one_reply(
    db, live_server, browser, department, staff
):
    repairs = department("Repairs")
    akinyi = staff("akinyi", departments=[repairs])
    baraka = staff("baraka", departments=[repairs])
    amina = Customer(name="Amina Hassan", phone=CUSTOMER)
    db.session.add(amina)
    ticket = lifecycle.open_ticket(
        amina, subject="Fridge", body="Not cooling", channel=Channel.SMS, department=repairs
    )
    db.session.commit()
    where = f"{live_server.url}/agent/tickets/{ticket.id}"

    a = signed_in(browser, live_server, akinyi)
    b = signed_in(browser, live_server, baraka)
    a.goto(where)
    b.goto(where)
    expect(b.locator("#live-presence")).to_contain_text("Akinyi is viewing", timeout=5000)
    expect(a.locator("#live-presence")).to_contain_text("Baraka is viewing", timeout=5000)

    a.locator("#reply-body").press_sequentially("A technician comes tomorrow at 10.")
    expect(b.locator("#live-presence")).to_contain_text("Akinyi is typing", timeout=5000)
    b.fill("#reply-body", "We will replace the fridge on Friday.")  # writing at the same time

    a.click("text=Send reply")
    a.wait_for_selector("text=Reply sent.")
    started = time.monotonic()
    expect(b.locator("#live-change-list")).to_contain_text(
        "Akinyi replied", timeout=5000
    )  # the new reply, on B's page, without a reload
    assert time.monotonic() - started < 5
    assert "A technician comes tomorrow at 10." in b.inner_text("#live-change-list")

    b.click("text=Send reply")  # the page B loaded before Akinyi's reply
    expect(b.locator("#conflict")).to_contain_text("Your reply has not been sent")
    assert "Akinyi replied" in b.inner_text("#conflict")
    assert b.input_value("#reply-body") == "We will replace the fridge on Friday."
    assert replies(db, ticket) == ["A technician comes tomorrow at 10."]  # only one

    b.get_by_role("button", name="Send anyway").click()
    b.wait_for_selector("text=Reply sent.")
    assert replies(db, ticket) == [
        "A technician comes tomorrow at 10.",
        "We will replace the fridge on Friday.",
    ]


def test_a_new_sms_ticket_appears_in_the_open_queue(
    db, web, live_server, browser, department, staff, run_jobs
):
    repairs = department("Repairs")
    akinyi = staff("akinyi", departments=[repairs])
    amina = Customer(name="Brian", phone="+254722000001")
    db.session.add(amina)
    lifecycle.open_ticket(
        amina, subject="Cooker", body="Cooker sparks", channel=Channel.SMS, department=repairs
    )
    db.session.commit()

    queue = signed_in(browser, live_server, akinyi)
    queue.goto(f"{live_server.url}/agent/?view=departments")
    assert queue.title() == "(1) My departments · Fuatilia"

    Phone(web.test_client(), CUSTOMER).texts("My fridge is not cooling")  # signed webhook
    run_jobs()
    ticket = db.session.scalar(select(Ticket).where(Ticket.subject.like("My fridge%")))
    assert ticket is not None and ticket.department == repairs

    expect(queue.locator("#queue-news")).to_be_visible(timeout=15000)
    expect(queue.locator("#queue-news")).to_contain_text("1 new or changed ticket — show")
    expect(queue).to_have_title(re.compile(r"^\(2\) My departments"), timeout=1000)
    assert "(2) My departments" in queue.title()
    # it was assigned to the only agent, by routing: she is told in the page
    expect(queue.locator("#assigned-notices")).to_contain_text(
        f"{ticket.reference} was assigned to you"
    )
    queue.click("#queue-news-link")
    expect(queue.locator("table")).to_contain_text(ticket.reference)
