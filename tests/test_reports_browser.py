"""The dashboard in a real Chromium: a supervisor signs in, reads the week's figures and
charts (on a desk screen, on a phone and in print), and follows a number to the queue."""

import pytest
from harness import PASSWORD, WEEK

pytestmark = pytest.mark.browser


def sign_in(page, url: str, user) -> None:
    page.goto(f"{url}/auth/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/agent/")


def test_supervisor_reads_the_dashboard_and_opens_the_tickets_behind_a_number(
    week, live_server, browser, tmp_path
):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on(
        "request",
        lambda r: problems.append(r.url) if not r.url.startswith(live_server.url) else None,
    )
    sign_in(page, live_server.url, week.grace)
    query = "&".join(f"{k}={v}" for k, v in WEEK.items())
    page.goto(f"{live_server.url}/reports/?{query}")

    assert (
        page.locator("[data-key='resolution.business_minutes.median']").first.inner_text()
        == "9 h 30 min"
    )
    assert page.locator("[data-key='charter.breached_now']").first.inner_text() == "2"
    for chart in ("#chart-trend .chart-frame > svg", "#chart-backlog .chart-frame > svg"):
        box = page.locator(chart).bounding_box()
        assert box["width"] > 300 and box["height"] > 100, chart
    assert page.locator("#chart-trend .chart-frame rect").count() >= 14  # 7 bars, 7 markers
    assert page.locator("#chart-backlog .chart-frame rect").count() >= 4
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    page.emulate_media(media="print")
    assert page.locator(".report-filters").is_hidden()
    assert page.locator("#chart-trend .chart-frame > svg").bounding_box()["width"] > 300
    page.screenshot(path=str(tmp_path / "dashboard-print.png"), full_page=True)
    page.emulate_media(media="screen")

    page.click("[data-key='first_response.late']")
    page.wait_for_url("**/agent/**figure=answered_late**")
    assert "2 tickets" in page.inner_text("main")
    listed = page.inner_text("table")
    assert week.refs["T3"] in listed and week.refs["T11"] in listed
    assert problems == []


def test_the_dashboard_reads_on_a_phone(week, live_server, browser, tmp_path):
    phone = browser.new_page(viewport={"width": 375, "height": 800}, device_scale_factor=2)
    sign_in(phone, live_server.url, week.grace)
    query = "&".join(f"{k}={v}" for k, v in WEEK.items())
    phone.goto(f"{live_server.url}/reports/?{query}")
    page_width = phone.evaluate("document.documentElement.scrollWidth")
    assert page_width <= 375  # wide tables and charts scroll inside their own frames
    chart = phone.locator("#chart-backlog .chart-frame > svg").bounding_box()
    assert chart["width"] >= 300 and chart["height"] > 60
    label = phone.locator("#chart-trend .chart-frame text").first.evaluate(
        "e => e.getBoundingClientRect().height"
    )
    assert label >= 9  # axis labels stay legible
    phone.locator("#chart-trend").screenshot(path=str(tmp_path / "phone-trend.png"))
    phone.screenshot(path=str(tmp_path / "phone.png"), full_page=True)
    phone.click("#chart-backlog summary")
    assert "1-3 days" in phone.inner_text("#chart-backlog table")
