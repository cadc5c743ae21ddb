"""Security headers on every response, a CSP the pages keep (no inline script or style,
checked in the templates and in a real Chromium), and downloads that cannot run."""

import re
from contextlib import suppress
from pathlib import Path

import pytest
from harness import PASSWORD
from playwright.sync_api import expect
from sqlalchemy import select

from ticketing import lifecycle
from ticketing.models import Attachment, Customer
from ticketing.models.enums import Channel, Role
from ticketing.security_headers import CONTENT_SECURITY_POLICY, DOWNLOAD_POLICY

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
COMMON = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
INLINE = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|javascript:", re.I)


@pytest.fixture
def desk(db, department, staff):
    sales = department("Sales")
    agent = staff("achieng", departments=[sales])
    admin = staff("root", role=Role.ADMIN)
    customer = Customer(name="Amina Hassan", phone="+254712345678", email="amina@example.test")
    db.session.add(customer)
    ticket = lifecycle.open_ticket(
        customer, subject="Fridge", body="It stopped.", channel=Channel.SMS, department=sales
    )
    db.session.flush()
    file = Attachment(
        message_id=ticket.messages[0].id,
        filename="page.html",
        data=b"<script>alert(1)</script>",
        size=25,
    )
    db.session.add(file)
    db.session.commit()
    return {"agent": agent, "admin": admin, "ticket": ticket, "file": file}


def test_the_policy_is_the_agreed_one():
    assert CONTENT_SECURITY_POLICY == POLICY
    assert DOWNLOAD_POLICY == "default-src 'none'; sandbox"


@pytest.mark.parametrize(
    "path",
    ["/support", "/healthz", "/static/app.css", "/agent/", "/api/v1/tickets", "/no-such-page"],
)
def test_every_kind_of_response_carries_the_headers(client, path):
    response = client.get(path)
    assert response.headers["Content-Security-Policy"] == POLICY
    for name, value in COMMON.items():
        assert response.headers[name] == value
    assert "Strict-Transport-Security" not in response.headers  # served over http


@pytest.mark.config(PUBLIC_BASE_URL="https://help.fuatilia.example")
def test_https_deployments_add_hsts(client):
    response = client.get("/healthz")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_downloads_cannot_run_in_our_origin(client, desk, login):
    for response in (
        client.get(f"/t/{desk['ticket'].token}/files/{desk['file'].id}"),
        login(client, desk["agent"]).get(f"/agent/files/{desk['file'].id}"),
    ):
        assert response.status_code == 200
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert response.headers["Content-Security-Policy"] == DOWNLOAD_POLICY
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_no_template_has_inline_script_style_or_handlers():
    found = [
        f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()[:80]}"
        for path in TEMPLATES.rglob("*")
        if path.is_file() and "messages" not in path.parts  # mail: clients need inline styles
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if INLINE.search(line)
    ]
    assert found == []


pages_marker = pytest.mark.browser


def _watch(page, problems: list):
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and problems.append(message.text),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))


def _signed_in(browser, live_server, user, problems):
    page = browser.new_page()
    _watch(page, problems)
    page.goto(f"{live_server.url}/auth/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/agent/")
    return page


@pages_marker
def test_pages_run_under_the_policy_in_chromium(db, live_server, browser, desk, staff):
    problems: list[str] = []
    customer = browser.new_page()
    _watch(customer, problems)
    for path in ("/support", f"/t/{desk['ticket'].token}", "/charter"):
        customer.goto(live_server.url + path)
        customer.wait_for_load_state("load")

    agent = _signed_in(browser, live_server, desk["agent"], problems)
    agent.goto(f"{live_server.url}/agent/tickets/{desk['ticket'].id}")
    agent.fill("#reply-body", "Your fridge will be collected tomorrow.")
    expect(agent.locator("#reply-counter")).to_contain_text("39 characters")  # app.js counts
    agent.fill("#reply-body", "x" * 200)
    expect(agent.locator("#reply-counter")).to_contain_text("200 characters · 2 SMS")

    boss = staff("boss", role=Role.SUPERVISOR)
    supervisor = _signed_in(browser, live_server, boss, problems)
    supervisor.goto(f"{live_server.url}/reports/")
    supervisor.wait_for_load_state("load")

    admin = _signed_in(browser, live_server, desk["admin"], problems)
    for path in ("/admin/", "/admin/templates"):
        admin.goto(live_server.url + path)
        admin.wait_for_load_state("load")
    admin.goto(f"{live_server.url}/admin/templates/en/sms/received")
    admin.fill("#body", "Habari {{ customer.name }}, marker-42")
    expect(admin.locator("#preview-text")).to_contain_text("marker-42")
    assert "{{" not in admin.inner_text("#preview-text")
    assert problems == []

    # The listener hears a violation: an inline script, as a template might bring back.
    customer.goto(live_server.url + "/support")
    with suppress(Exception):  # Playwright may report the refused script itself
        customer.add_script_tag(content="document.title = 'inline ran'")
    expect(customer).not_to_have_title("inline ran")
    customer.wait_for_timeout(200)
    assert any("Content Security Policy" in problem for problem in problems)
    assert db.session.scalar(select(Attachment.id))  # the world was there throughout
