"""Files in a real browser: a too-big file is stopped before it is sent, with the typed text
kept, and a customer's picture previews inline on the agent's ticket page."""

import pytest
from harness import PASSWORD, counts, tiny_png

from ticketing import lifecycle
from ticketing.models import Customer
from ticketing.models.enums import Channel

pytestmark = pytest.mark.browser


@pytest.mark.config(MAX_ATTACHMENT_BYTES=1024 * 1024)
def test_a_too_big_file_is_stopped_in_the_browser_and_a_picture_previews(
    db, live_server, browser, department, staff
):
    billing = department("Billing")
    kamau = staff("kamau", departments=[billing])
    customer = browser.new_page()
    customer.goto(f"{live_server.url}/support")
    customer.fill("#name", "Amina Hassan")
    customer.fill("#phone", "0712 345 678")
    customer.fill("#subject", "Meter reading")
    customer.fill("#description", "The meter shows a number I never used.")
    big = {
        "name": "meter.pdf",
        "mimeType": "application/pdf",
        "buffer": b"%PDF-" + b"x" * 1_100_000,
    }
    customer.set_input_files("#attachment", files=[big])
    check = customer.locator("#attachment-check")
    check.wait_for(timeout=3000)
    assert check.inner_text() == (
        "meter.pdf: the file is larger than 1 MB. Please choose a smaller one: what you typed "
        "is kept."
    )
    before = counts()
    customer.click("button[type=submit]")
    assert customer.url.endswith("/support")  # never sent
    assert customer.input_value("#description") == "The meter shows a number I never used."
    assert customer.get_attribute("#attachment", "aria-invalid") == "true"
    assert counts() == before

    brian = Customer(name="Brian", email="brian@example.co.ke")
    ticket = lifecycle.open_ticket(
        brian,
        subject="Meter",
        body="Photo attached",
        channel=Channel.EMAIL,
        department=billing,
        attachments=[
            {"filename": "meter.png", "content_type": "image/png", "size": 70, "data": tiny_png()}
        ],
    )
    db.session.commit()
    agent = browser.new_page()
    agent.goto(f"{live_server.url}/auth/login")
    agent.fill("#email", kamau.email)
    agent.fill("#password", PASSWORD)
    agent.click("button[type=submit]")
    agent.wait_for_url("**/agent/")
    agent.goto(f"{live_server.url}/agent/tickets/{ticket.id}")
    preview = agent.locator("img.attachment-preview")
    preview.wait_for(timeout=3000)
    agent.wait_for_function(
        "() => document.querySelector('img.attachment-preview').naturalWidth === 2", timeout=3000
    )
    assert "meter.png" in agent.inner_text(".msg-attachments")
