"""The walking skeleton in a real browser: a customer writes in on the web, an agent answers,
the customer reads the answer, and the outbox shows both messages delivered."""

import pytest
from harness import PASSWORD
from sqlalchemy import select

from ticketing import lifecycle
from ticketing.models import Customer, Outbox, Ticket
from ticketing.models.enums import Channel, OutboxStatus

pytestmark = pytest.mark.browser


def signed_in(browser, live_server, user):
    """A new page with `user` signed in at the agent queue."""
    page = browser.new_page()
    page.goto(f"{live_server.url}/auth/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/agent/")
    return page


def test_customer_writes_in_and_agent_answers(
    db, live_server, browser, department, staff, run_jobs, tmp_path
):
    sales = department("Sales", keywords="delivery")
    achieng = staff("achieng", departments=[sales])
    customer = browser.new_page(viewport={"width": 375, "height": 800})
    customer.goto(f"{live_server.url}/support")
    customer.fill("#name", "Amina Hassan")
    customer.fill("#phone", "0712 345 678")
    customer.select_option("#category", "delivery")
    customer.fill("#subject", "Delivery is late")
    customer.fill("#description", "My delivery to Kisumu is 5 days late.")
    customer.click("button[type=submit]")
    customer.wait_for_url("**/t/**")
    ticket = db.session.scalar(select(Ticket))
    assert ticket.reference in customer.inner_text("main")
    status_url = customer.url
    customer.screenshot(path=str(tmp_path / "status.png"), full_page=True)
    run_jobs()

    agent = signed_in(browser, live_server, achieng)
    agent.fill("#q", ticket.reference)
    agent.click("text=Filter")
    agent.click(f"tbody a:has-text('{ticket.reference}')")  # the row, not the search notice
    agent.fill("#reply-body", "Your parcel leaves Nairobi today.")
    assert "SMS" in agent.inner_text("#reply-counter")
    agent.click("text=Send reply")
    agent.wait_for_selector("text=Reply sent.")
    run_jobs()

    customer.goto(status_url)
    assert "Your parcel leaves Nairobi today." in customer.inner_text(".thread")
    outbox = browser.new_page()
    outbox.goto(f"{live_server.url}/dev/outbox")
    text = outbox.inner_text("table")
    assert "received" in text and "reply" in text
    db.session.expire_all()
    statuses = {row.kind: row.status for row in db.session.scalars(select(Outbox))}
    assert statuses == {"received": OutboxStatus.DELIVERED, "reply": OutboxStatus.DELIVERED}


def test_agent_copies_a_colleague_on_an_email_ticket(
    db, live_server, browser, department, staff, run_jobs
):
    billing = department("Billing")
    kamau = staff("kamau", departments=[billing])
    brian = Customer(name="Brian Otieno", email="brian@example.co.ke")
    db.session.add(brian)
    ticket = lifecycle.open_ticket(
        brian,
        subject="Charged twice",
        body="KES 4,500 twice.",
        channel=Channel.EMAIL,
        department=billing,
    )
    db.session.commit()

    agent = signed_in(browser, live_server, kamau)
    agent.goto(f"{live_server.url}/agent/tickets/{ticket.id}")
    agent.fill("#addresses", "accounts@otieno.example, not an address")
    agent.click("text=Save copies")
    assert "Not an email address: not an address." in agent.inner_text("main")
    agent.fill("#addresses", "Otieno Accounts <Accounts@Otieno.example>")
    agent.click("text=Save copies")
    agent.wait_for_selector("text=1 person copied on email replies.")
    agent.fill("#reply-body", "The second charge is refunded.")
    agent.click("text=Send reply")
    agent.wait_for_selector("text=Reply sent.")
    assert "copied to accounts@otieno.example" in agent.inner_text(".thread")
    run_jobs()

    db.session.expire_all()
    reply = db.session.scalar(select(Outbox).where(Outbox.kind == "reply"))
    assert (reply.recipient, reply.cc, reply.status) == (
        "brian@example.co.ke",
        ["accounts@otieno.example"],
        OutboxStatus.DELIVERED,
    )


def test_clicking_the_note_label_types_into_the_note_never_the_reply(
    db, live_server, browser, department, staff, run_jobs
):
    """The note and the reply once shared one id, so the "Internal note" label put the cursor
    in the customer's reply: what the agent meant for colleagues reached the customer."""
    billing = department("Billing")
    kamau = staff("kamau", departments=[billing])
    brian = Customer(name="Brian Otieno", email="brian@example.co.ke")
    db.session.add(brian)
    ticket = lifecycle.open_ticket(
        brian, subject="Charged twice", body="KES 4,500 twice.", channel=Channel.EMAIL
    )
    db.session.commit()
    run_jobs()
    owed_before = len(db.session.scalars(select(Outbox)).all())

    agent = signed_in(browser, live_server, kamau)
    agent.goto(f"{live_server.url}/agent/tickets/{ticket.id}")
    assert agent.locator("[id=body]").count() == 0  # no id is shared by the two boxes
    agent.get_by_label("Internal note").click()
    agent.keyboard.type("He is a reseller: check the second account.")
    assert agent.input_value("#reply-body") == ""
    agent.click("text=Add note")
    agent.wait_for_selector("text=He is a reseller")
    run_jobs()

    db.session.expire_all()
    [note] = [m for m in db.session.get(Ticket, ticket.id).messages if m.is_internal]
    assert note.body == "He is a reseller: check the second account."
    assert len(db.session.scalars(select(Outbox)).all()) == owed_before  # nothing sent
