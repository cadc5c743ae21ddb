"""The canned-response picker in real Chromium: Ctrl+/ in the reply box opens it, typing
filters it, the arrow keys and Enter choose, and the text, filled in for the ticket in its
customer's language, lands in the reply box unsent; the macro's changes wait for the send."""

import pytest
from harness import CUSTOMER, PASSWORD
from playwright.sync_api import expect
from sqlalchemy import select

from ticketing import canned, lifecycle
from ticketing.models import CannedScope, Customer, Outbox
from ticketing.models.enums import Channel, Language, Priority, Role

pytestmark = pytest.mark.browser


def test_shortcut_filter_and_insert_fill_the_reply_box(db, live_server, browser, department, staff):
    repairs = department("Repairs")
    akinyi = staff("akinyi", departments=[repairs])
    grace = staff("grace", role=Role.SUPERVISOR)
    amina = Customer(name="Amina Hassan", phone=CUSTOMER, language=Language.SW)
    db.session.add(amina)
    ticket = lifecycle.open_ticket(
        amina, subject="Fridge", body="Not cooling", channel=Channel.SMS, department=repairs
    )
    for title, body_sw, priority in (
        ("Greeting", "Habari {{ customer_name }}", None),
        ("Parts ordered", "Tumeagiza kipuri cha {{ reference }}", Priority.HIGH),
    ):
        fields = canned.Fields(
            title=title,
            scope=CannedScope.EVERYONE,
            department=None,
            body_en="",
            body_sw=body_sw,
            set_priority=priority,
        )
        canned.save(None, fields, by=grace)
    db.session.commit()

    page = browser.new_context().new_page()
    page.goto(f"{live_server.url}/auth/login")
    page.fill("#email", akinyi.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/agent/")
    page.goto(f"{live_server.url}/agent/tickets/{ticket.id}")

    reply = page.locator("#reply-body")
    reply.fill("Samahani. ")
    reply.press("Control+/")
    expect(page.locator("#canned-filter")).to_be_focused(timeout=3000)
    expect(page.locator("#canned-options [role=option]")).to_have_count(2, timeout=3000)
    page.locator("#canned-filter").press_sequentially("kipuri")
    expect(page.locator("#canned-options [role=option]")).to_have_count(1)
    page.locator("#canned-filter").press("Enter")

    expect(reply).to_have_value(f"Samahani. Tumeagiza kipuri cha {ticket.reference}")
    expect(reply).to_be_focused()
    expect(page.locator("#canned-picker")).to_be_hidden()
    expect(page.locator("#macro-note")).to_contain_text("priority high when you send")
    db.session.expire_all()
    assert ticket.priority == Priority.NORMAL  # nothing applied, nothing sent yet
    assert not db.session.scalars(select(Outbox).where(Outbox.kind == "reply")).all()

    page.get_by_role("button", name="Send reply").click()
    expect(page.locator("body")).to_contain_text("Reply sent. Also priority high.", timeout=5000)
    db.session.expire_all()
    assert ticket.priority == Priority.HIGH
    sent = db.session.scalars(select(Outbox.body).where(Outbox.kind == "reply")).all()
    assert sent and sent[0].endswith(f"Samahani. Tumeagiza kipuri cha {ticket.reference}")
