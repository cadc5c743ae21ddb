"""An agent corrects a customer's details, is told the phone is another customer's, and merges
the two, in a real browser."""

import pytest
from sqlalchemy import select
from test_browser import signed_in

from ticketing import lifecycle
from ticketing.models import Customer, Ticket
from ticketing.models.enums import Channel

pytestmark = pytest.mark.browser


def test_agent_edits_a_customer_then_merges_the_duplicate(
    db, live_server, browser, department, staff
):
    general = department("General")
    achieng = staff("achieng", departments=[general])
    amina = Customer(name="Amina", email="amina@example.co.ke")
    twin = Customer(name="", phone="+254733000004")
    db.session.add_all([amina, twin])
    for person in (amina, twin):
        lifecycle.open_ticket(person, subject="Late", body="Late delivery", channel=Channel.SMS)
    db.session.commit()

    page = signed_in(browser, live_server, achieng)
    page.goto(f"{live_server.url}/agent/customers/{amina.id}")
    page.fill("#name", "Amina Hassan")
    page.fill("#phone", "0733 000 004")
    page.click("text=Save details")
    page.wait_for_selector("#contact-taken")
    page.click("#contact-taken a")
    assert "What moves to Amina" in page.inner_text("#merge-moves")
    page.click("text=Merge into Amina")
    page.wait_for_selector("text=Merged: one customer now.")
    assert page.input_value("#phone") == "+254733000004"
    db.session.expire_all()
    assert {t.customer_id for t in db.session.scalars(select(Ticket))} == {amina.id}
    assert db.session.get(Customer, twin.id).merged_into_id == amina.id
