"""Accessibility in real Chromium. The agent's keyboard shortcuts (ticketing/static/keys.js):
j/k/Enter in the queue, r/n/Ctrl+Enter on the ticket page, the "?" dialog, and letters left
alone while typing. Then axe-core over the pages people use (the agent's queue and ticket, the
reports, the admin pages, the customer's pages), each with realistic data: no violation of
impact serious or critical may remain, and the assertion message lists every violation found."""

import pytest
from harness import CUSTOMER, PASSWORD
from playwright.sync_api import expect
from sqlalchemy import select

from ticketing import inbound, lifecycle
from ticketing.models import Customer, Message, Outbox, Role
from ticketing.models.enums import Channel, Status

pytestmark = pytest.mark.browser

BLOCKING = {"serious", "critical"}

# Who signs in (None: a customer) and the pages they read, {placeholders} filled from the desk.
# One sign-in per person keeps the test fast; each page is checked and reported on its own.
PAGES = {
    "otieno": {
        "queue": "/agent/",
        "ticket": "/agent/tickets/{ticket}",
        "new-ticket": "/agent/tickets/new?q=Wanjiku",
    },
    "grace": {"reports": "/reports/"},
    "admin": {
        "admin": "/admin/",
        "admin-department": "/admin/departments/{department}",
        "admin-follow-up": "/admin/follow-up",
        "admin-policy": "/admin/departments/{department}/policy",
        "admin-user": "/admin/users/{agent}",
        "admin-lines": "/admin/lines/",
        "admin-audit": "/admin/audit",
    },
    None: {
        "support": "/support",
        "status": "/t/{token}",
        "charter": "/charter",
        "sign-in": "/auth/login",
    },
}


@pytest.fixture(scope="module")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def build_desk(db, department, staff) -> tuple[dict, dict]:
    """After-sales: a ticket in conversation, one resolved, one new by email, an inbound mail
    that failed; the staff."""
    repairs = department("After-sales service", keywords="fridge")
    otieno = staff("otieno", departments=[repairs])
    people = {
        "otieno": otieno,
        "grace": staff("grace", role=Role.SUPERVISOR),
        "admin": staff("admin", role=Role.ADMIN),
    }
    wanjiku = Customer(name="Wanjiku Kamau", phone=CUSTOMER)
    brian = Customer(name="Brian Otieno", email="brian@example.co.ke")
    db.session.add_all([wanjiku, brian])
    ticket = lifecycle.open_ticket(
        wanjiku,
        subject="Friji haipoi",
        body="My new fridge stopped cooling after two days.",
        channel=Channel.SMS,
        department=repairs,
    )
    lifecycle.reply(ticket, by=otieno, body="A technician comes tomorrow at 10.")
    lifecycle.note(ticket, by=otieno, body="Compressor suspected; bring a spare relay.")
    lifecycle.add_customer_message(ticket, body="Asante, I will be home.", channel=Channel.SMS)
    done = lifecycle.open_ticket(
        brian,
        subject="Charged twice",
        body="KES 4,500 twice.",
        channel=Channel.EMAIL,
        department=repairs,
    )
    lifecycle.reply(done, by=otieno, body="The second charge is refunded.", status=Status.RESOLVED)
    amina = Customer(name="Amina Hassan", email="amina@example.co.ke")
    db.session.add(amina)
    lifecycle.open_ticket(
        amina,
        subject="Fridge door seal torn",
        body="The door seal tore on delivery.",
        channel=Channel.EMAIL,
        department=repairs,
    )
    inbound.store(  # a mail nobody could file, for the admin's index
        Channel.EMAIL, "<garbled@example.co.ke>", b"\x00\xff not a message", "imap", error="no From"
    )
    db.session.commit()
    where = {
        "ticket": ticket.id,
        "department": repairs.id,
        "agent": otieno.id,
        "token": ticket.token,
    }
    return people, where


def sign_in(page, url: str, user) -> None:
    page.goto(f"{url}/auth/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/agent/")


def focused(page) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.tagName")


def selected_row(page) -> str:
    return page.locator("tr.key-selected").inner_text()


def test_an_agent_works_the_queue_and_a_ticket_from_the_keyboard(
    db, live_server, browser, department, staff, axe
):
    people, where = build_desk(db, department, staff)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    sign_in(page, live_server.url, people["otieno"])
    links = page.locator("a[data-key-row]")
    first, second = links.nth(0).inner_text(), links.nth(1).inner_text()
    opened = links.nth(0).get_attribute("href")
    assert page.locator("tr.key-selected").count() == 0

    page.keyboard.press("j")
    assert first in selected_row(page)
    page.keyboard.press("j")
    page.keyboard.press("j")  # the last row stays selected
    assert second in selected_row(page) and page.locator("tr.key-selected").count() == 1
    page.keyboard.press("k")
    assert first in selected_row(page)
    for held in ("Alt+j", "Control+j", "Meta+j", "Shift+j"):
        page.keyboard.press(held)
        assert first in selected_row(page), held

    page.focus("#q")  # typing in a box: letters are letters
    page.keyboard.type("jko?rn")
    assert page.input_value("#q") == "jko?rn" and focused(page) == "q"
    assert first in selected_row(page) and not page.locator("#shortcuts").is_visible()
    page.select_option("#status", "")
    page.keyboard.press("j")
    assert first in selected_row(page)

    page.evaluate("document.activeElement.blur()")  # nothing focused: Enter opens the selection
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{opened}")

    page.keyboard.press("r")
    assert focused(page) == "reply-body" and page.input_value("#reply-body") == ""
    page.keyboard.type("Karibu ")  # "r" and "n" while typing are letters
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("n")
    assert focused(page) == "note-body" and page.input_value("#note-body") == ""
    page.keyboard.type("Relay ordered, arrives Friday.")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("text=Note added.")
    page.wait_for_load_state()  # the shortcuts' script runs at load, after the flash shows
    page.keyboard.press("r")
    page.keyboard.type("The technician comes at 10.")
    page.keyboard.press("Meta+Enter")
    page.wait_for_selector("text=Reply sent.")
    db.session.expire_all()
    notes = db.session.scalars(select(Message.body).where(Message.is_internal)).all()
    assert "Relay ordered, arrives Friday." in notes
    owed = db.session.scalars(select(Outbox.body).where(Outbox.kind == "reply")).all()
    assert any("The technician comes at 10." in body for body in owed)
    assert not any("Karibu" in body for body in owed)  # a draft left behind is never sent

    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    assert page.evaluate("document.activeElement.closest('dialog') !== null")
    for _ in range(3):  # Tab never reaches the page behind the dialog
        page.keyboard.press("Tab")
        assert page.evaluate(
            "document.activeElement === document.body"
            " || document.activeElement.closest('dialog') !== null"
        )
    page.keyboard.press("j")
    page.keyboard.press("r")
    assert focused(page) != "reply-body"
    found = axe.run(page, context="#shortcuts").response["violations"]
    assert not [v for v in found if v["impact"] in BLOCKING], violations_text("dialog", found)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.click("text=Keyboard shortcuts")  # the same list from the header, with a mouse
    expect(dialog).to_be_visible()
    page.click("#shortcuts >> text=Close")
    expect(dialog).to_be_hidden()
    # focus went back to the button that opened the list
    assert page.evaluate("document.activeElement.hasAttribute('data-shortcuts-open')")
    context.close()
    assert problems == []


def violations_text(name: str, violations: list[dict]) -> str:
    lines = [f"{name}: {len(violations)} violation(s)"]
    for v in violations:
        targets = ", ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']} ({len(v['nodes'])}) {targets}")
    return "\n".join(lines)


@pytest.mark.parametrize("who", PAGES, ids=lambda who: who or "customer")
def test_axe_finds_no_serious_issue(who, db, live_server, browser, department, staff, axe):
    people, where = build_desk(db, department, staff)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    found = {}
    try:
        if who:
            page.goto(f"{live_server.url}/auth/login")
            page.fill("#email", people[who].email)
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/agent/")
        for name, path in PAGES[who].items():
            response = page.goto(live_server.url + path.format(**where))
            assert response.status == 200, path
            found[name] = axe.run(page).response["violations"]
    finally:
        context.close()
    for name, violations in found.items():
        counts = {}
        for v in violations:
            counts[v["impact"]] = counts.get(v["impact"], 0) + 1
        print(f"axe {name}: {counts or 'no violations'}")
    blocking = [name for name, vs in found.items() if any(v["impact"] in BLOCKING for v in vs)]
    assert not blocking, "\n".join(violations_text(name, vs) for name, vs in found.items())
