"""An agent chooses whether a ticket given to them reaches them by email (/agent/settings);
the assignment email goes only to those who chose it."""

import re

import pytest
from harness import PASSWORD, outbox_rows
from sqlalchemy import select

from ticketing import lifecycle
from ticketing.models import AuditEntry, Customer, User
from ticketing.models.enums import AuditAction, Channel, Role


@pytest.fixture
def desk(db, department, staff):
    after_sales = department("After-sales service")
    grace = staff("grace", role=Role.SUPERVISOR)
    # away, so that routing gives them nothing and each assignment here is the test's own
    return after_sales, grace, staff("otieno", departments=[after_sales], is_away=True)


def _ticket(db, number: int):
    customer = Customer(name="Wanjiku", email=f"wanjiku{number}@example.co.ke")
    ticket = lifecycle.open_ticket(customer, subject="Fridge", body="Warm", channel=Channel.EMAIL)
    db.session.commit()
    return ticket


def test_the_assignment_email_goes_only_to_an_agent_who_chose_it(
    db, desk, staff, client, login, run_jobs
):
    after_sales, grace, otieno = desk
    achieng = staff("achieng", departments=[after_sales], is_away=True)
    page = login(client, otieno).get("/agent/settings").get_data(as_text=True)
    assert 'name="wants_assignment_email"' in page and "checked" in page  # on by default
    assert client.post("/agent/settings", data={}).status_code == 302  # unticked: off
    assert "Your settings are saved." in client.get("/agent/settings").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, otieno.id).wants_assignment_email is False
    assert db.session.get(User, achieng.id).wants_assignment_email is True
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.target == f"user:{otieno.id}"))
    assert entry.action == AuditAction.SETTING_CHANGED and entry.actor_id == otieno.id
    assert entry.detail["changes"] == {"assignment_email": [True, False]}

    first, second = _ticket(db, 1), _ticket(db, 2)
    lifecycle.assign(first, db.session.get(User, otieno.id), by=grace)
    lifecycle.assign(second, db.session.get(User, achieng.id), by=grace)
    db.session.commit()
    run_jobs()
    assert [r.recipient for r in outbox_rows(kind="assigned_to_you")] == [achieng.email]

    client.post("/agent/settings", data={"wants_assignment_email": "y"})  # and back on
    lifecycle.assign(first, None, by=grace)
    lifecycle.assign(first, db.session.get(User, otieno.id), by=grace)
    db.session.commit()
    assert sorted(r.recipient for r in outbox_rows(kind="assigned_to_you")) == [
        achieng.email,
        otieno.email,
    ]


@pytest.mark.parametrize("value", ["maybe", "n", "y" * 5000])
def test_the_settings_page_refuses_a_bad_post(db, desk, client, login, value):
    otieno = desk[2]
    response = login(client, otieno).post("/agent/settings", data={"wants_assignment_email": value})
    assert response.status_code == 400
    assert "Tick the box, or leave it empty." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, otieno.id).wants_assignment_email is True
    assert (
        db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "setting_changed"))
        is None
    )


def test_the_settings_page_needs_a_signed_in_member_of_staff(client):
    response = client.post("/agent/settings", data={})
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_the_settings_page_refuses_a_post_without_its_csrf_token(db, desk, make_app):
    otieno = desk[2]
    browser = make_app(WTF_CSRF_ENABLED=True).test_client()
    page = browser.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    signed = {"email": otieno.email, "password": PASSWORD, "csrf_token": token}
    assert browser.post("/auth/login", data=signed).status_code == 302
    assert browser.post("/agent/settings", data={}).status_code == 400
    assert browser.post("/agent/settings", data={"csrf_token": "forged"}).status_code == 400
    db.session.expire_all()
    assert db.session.get(User, otieno.id).wants_assignment_email is True
    page = browser.get("/agent/settings").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert browser.post("/agent/settings", data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, otieno.id).wants_assignment_email is False
