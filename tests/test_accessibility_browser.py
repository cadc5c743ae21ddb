"""axe-core in real Chromium over the pages people use: the agent's queue and ticket, the
reports, the admin pages and the customer's pages, each with realistic data. No violation of
impact serious or critical may remain; the assertion message lists every violation found."""

import pytest
from harness import CUSTOMER, PASSWORD

from ticketing import lifecycle
from ticketing.models import Customer, Role
from ticketing.models.enums import Channel, Status

pytestmark = pytest.mark.browser

BLOCKING = {"serious", "critical"}

# Who signs in (None: a customer) and the pages they read, {placeholders} filled from the desk.
# One sign-in per person keeps the test fast; each page is checked and reported on its own.
PAGES = {
    "otieno": {"queue": "/agent/", "ticket": "/agent/tickets/{ticket}"},
    "grace": {"reports": "/reports/"},
    "admin": {
        "admin": "/admin/",
        "admin-department": "/admin/departments/{department}",
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
    """After-sales with a ticket in conversation, one resolved and one by email; the staff."""
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
    db.session.commit()
    where = {
        "ticket": ticket.id,
        "department": repairs.id,
        "agent": otieno.id,
        "token": ticket.token,
    }
    return people, where


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
