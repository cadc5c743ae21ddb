"""In a real browser: an agent takes a call from a new customer, logs it at
/agent/tickets/new, and lands on the ticket's page with the reference to read out."""

import pytest
from harness import PASSWORD
from sqlalchemy import select

from ticketing.models import Event, Outbox, Ticket
from ticketing.models.enums import Channel

pytestmark = pytest.mark.browser


def test_an_agent_logs_a_phone_ticket_for_a_caller(
    db, live_server, browser, department, staff, run_jobs
):
    department("General")
    repairs = department("Repairs", keywords="fridge")
    otieno = staff("otieno", departments=[repairs])
    page = browser.new_page(viewport={"width": 375, "height": 800})
    page.goto(f"{live_server.url}/auth/login")
    page.fill("#email", otieno.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/agent/")

    page.goto(f"{live_server.url}/agent/tickets/new")
    page.fill("#q", "0722 000 111")
    page.click("text=Find")
    page.wait_for_selector("#nobody-found")
    assert page.input_value("#phone") == "+254722000111"
    page.fill("#name", "Wanjiku Kamau")
    page.check("#channel-0")  # phone call; its start is filled in with now
    assert page.input_value("#call_started_at")
    page.fill("#subject", "Fridge not cooling")
    page.fill("#body", "Her fridge stopped cooling yesterday.")
    page.click("text=Log the ticket")
    page.wait_for_url("**/agent/tickets/*")

    ticket = db.session.scalar(select(Ticket))
    assert page.url.endswith(f"/agent/tickets/{ticket.id}")
    flash = page.inner_text(".flashes")
    assert f"{ticket.reference} logged." in flash and "by SMS" in flash
    assert ticket.channel == Channel.PHONE and ticket.department_id == repairs.id
    assert db.session.scalar(select(Event.kind).where(Event.kind == "call_logged"))
    run_jobs()
    [ack] = db.session.scalars(select(Outbox).where(Outbox.ticket_id == ticket.id)).all()
    assert ack.recipient == "+254722000111" and ticket.reference in ack.body
