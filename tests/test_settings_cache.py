"""Settings kept per process (ticketing/settings_cache.py), seen from two workers: two app
instances on the same database, each with its own kept settings, as two gunicorn or RQ worker
processes. An admin's change through one is what the other uses at its next request; a
change rolled back is used by neither."""

from datetime import date, datetime

import pytest
from harness import MONDAY_10_NAIROBI, SUPPORT_FORM, newest_ticket, outbox_rows
from sqlalchemy import select

from ticketing import hours, routing
from ticketing.models import Department, RoutingRule
from ticketing.models.enums import Category, Channel, Role

MONDAY = date(2026, 11, 23)  # MONDAY_10_NAIROBI's day


@pytest.fixture
def desk(db, department, clock):
    clock.set(MONDAY_10_NAIROBI)
    department("General")
    department("Logistics")  # no rule yet: a delivery goes to the default, General


@pytest.fixture
def admin(client, login, staff, desk):
    """Worker one, with an admin signed in."""
    return login(client, staff("amani", role=Role.ADMIN))


@pytest.fixture
def other(make_app, app):
    """Worker two: another app on the same database and Redis, with settings of its own."""
    return make_app()


def file_ticket(worker, phone: str):
    """A customer's web form on `worker`; the ticket it filed."""
    response = worker.test_client().post("/support", data=SUPPORT_FORM | {"phone": phone})
    assert response.status_code == 302
    return newest_ticket()


def local(moment: datetime) -> datetime:
    return hours.to_local(moment, "Africa/Nairobi").replace(tzinfo=None)


def department_of(ticket) -> str:
    return ticket.department.name


def test_a_rule_added_through_one_worker_routes_the_other_s_next_ticket(admin, other, db):
    assert department_of(file_ticket(other, "0712 000 001")) == "General"
    kept = other.extensions["settings_cache"]  # worker two keeps what it read
    assert department_of(file_ticket(other, "0712 000 002")) == "General"
    assert other.extensions["settings_cache"] is kept  # and read nothing again
    logistics = db.session.scalar(select(Department.id).where(Department.name == "Logistics"))
    response = admin.post(
        f"/admin/departments/{logistics}/rules", data={"keywords": "delivery", "position": 10}
    )
    assert response.status_code == 302
    assert department_of(file_ticket(other, "0712 000 003")) == "Logistics"
    assert other.extensions["settings_cache"] is not kept


def test_a_holiday_added_through_one_worker_moves_the_other_s_due_times(admin, other):
    # 480 business minutes to answer (the fallback), from Monday 10:00 in 08:00-17:00 days
    before = file_ticket(other, "0712 000 001").first_response_due_at
    assert local(before) == datetime(2026, 11, 24, 9, 0)  # 7 hours Monday, 1 hour Tuesday
    response = admin.post("/admin/holidays", data={"day": MONDAY.isoformat(), "name": "Move"})
    assert response.status_code == 302
    after = file_ticket(other, "0712 000 002").first_response_due_at
    assert local(after) == datetime(2026, 11, 24, 16, 0)  # Monday closed: all of it Tuesday


def test_a_template_saved_through_one_worker_words_the_other_s_next_acknowledgment(admin, other):
    file_ticket(other, "0712 000 001")
    body = "{{ ticket.reference }} imepokelewa. Asante."
    response = admin.post("/admin/templates/en/sms/received", data={"body": body, "action": "save"})
    assert response.status_code == 302
    ticket = file_ticket(other, "0712 000 002")
    [first, second] = outbox_rows(kind="received")
    assert "imepokelewa" not in first.body
    assert second.body == f"{ticket.reference} imepokelewa. Asante."


def test_a_rolled_back_change_is_used_by_no_worker(desk, web, other, db):
    assert department_of(file_ticket(other, "0712 000 001")) == "General"
    with web.app_context():  # worker one, halfway through an admin's change
        logistics = db.session.scalar(select(Department).where(Department.name == "Logistics"))
        logistics.rules.append(RoutingRule(keywords="delivery", position=10))
        db.session.flush()
        chosen = routing.pick_department("Delivery is late", Channel.WEB, Category.DELIVERY)
        assert chosen.name == "Logistics"  # its own transaction sees its change at once
        db.session.rollback()
        chosen = routing.pick_department("Delivery is late", Channel.WEB, Category.DELIVERY)
        assert chosen.name == "General"
    assert department_of(file_ticket(other, "0712 000 002")) == "General"
    assert department_of(file_ticket(web, "0712 000 003")) == "General"
