"""The keyboard shortcuts' hooks in the pages (ticketing/static/keys.js reads them; the walk
through them in Chromium is in test_accessibility_browser.py): staff pages load the script and
the "?" list, customers' pages never do, and only the tickets an agent may open are rows."""

import re

from harness import CUSTOMER

from ticketing import lifecycle
from ticketing.models import Customer
from ticketing.models.enums import Channel

HOSTILE = '"><script>alert(1)</script><a data-key-row href="https://evil.example">'
KEYS_JS = '<script defer src="/static/keys.js"></script>'


def key_rows(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)" data-key-row>', html)


def desk(db, department, staff):
    repairs = department("After-sales service")
    billing = department("Billing")
    otieno = staff("otieno", departments=[repairs])
    kamau = staff("kamau", departments=[billing])
    wanjiku = Customer(name="Wanjiku Kamau", phone=CUSTOMER)
    db.session.add(wanjiku)
    fridge = lifecycle.open_ticket(
        wanjiku, subject=HOSTILE, body="Haipoi", channel=Channel.SMS, department=repairs
    )
    lifecycle.assign(fridge, otieno, by=otieno)
    db.session.commit()
    return otieno, kamau, fridge


def test_staff_pages_carry_the_shortcuts_and_customer_pages_do_not(
    db, web, login, department, staff
):
    otieno, _, fridge = desk(db, department, staff)
    agent = login(web.test_client(), otieno)
    for path in ("/agent/", f"/agent/tickets/{fridge.id}", "/auth/password"):
        html = agent.get(path).text
        assert KEYS_JS in html, path
        assert html.count('<dialog id="shortcuts"') == 1, path
        assert "data-shortcuts-open" in html and 'aria-labelledby="shortcuts-title"' in html
    customer = web.test_client()
    for path in ("/support", f"/t/{fridge.token}", "/charter", "/auth/login"):
        html = customer.get(path).text
        assert "keys.js" not in html and "shortcuts" not in html, path
    script = customer.get("/static/keys.js")
    assert script.status_code == 200 and "javascript" in script.content_type


def test_each_ticket_link_in_the_queue_is_one_row_and_what_a_customer_wrote_is_not(
    db, web, login, department, staff
):
    otieno, _, fridge = desk(db, department, staff)
    html = login(web.test_client(), otieno).get("/agent/").text
    assert key_rows(html) == [f"/agent/tickets/{fridge.id}"]
    assert "<script>alert(1)" not in html and 'href="https://evil.example"' not in html


def test_an_agent_of_another_department_has_no_row_and_no_reply_box(
    db, web, login, department, staff
):
    _, kamau, fridge = desk(db, department, staff)
    other = login(web.test_client(), kamau)
    assert key_rows(other.get("/agent/?view=departments").text) == []
    page = other.get(f"/agent/tickets/{fridge.id}")
    assert page.status_code in (403, 404) and 'data-key-focus="r"' not in page.text


def test_the_ticket_page_marks_the_reply_and_the_note_boxes(db, web, login, department, staff):
    otieno, _, fridge = desk(db, department, staff)
    agent = login(web.test_client(), otieno)
    html = agent.get(f"/agent/tickets/{fridge.id}").text
    reply = re.search(r"<textarea[^>]*data-key-focus=\"r\"[^>]*>", html).group(0)
    note = re.search(r"<textarea[^>]*data-key-focus=\"n\"[^>]*>", html).group(0)
    assert 'id="reply-body"' in reply and 'aria-keyshortcuts="r"' in reply
    assert 'id="note-body"' in note and 'aria-keyshortcuts="n"' in note

    lifecycle.close(fridge, by=otieno)
    db.session.commit()
    closed = agent.get(f"/agent/tickets/{fridge.id}").text
    assert 'data-key-focus="r"' not in closed  # nothing to reply to: r does nothing
    assert closed.count('data-key-focus="n"') == 1
