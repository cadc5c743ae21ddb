"""Routing: the first matching rule's department, then the least-loaded agent on duty."""

import pytest

from ticketing import lifecycle, routing
from ticketing.models import Customer, RoutingRule
from ticketing.models.enums import Category, Channel, Role


@pytest.fixture
def departments(db, department):
    general = department("General")
    after_sales = department("After-sales service", keywords="fridge, friji, repair")
    billing = department("Billing", keywords="refund, m-pesa")
    billing.rules.append(RoutingRule(category=Category.BILLING, position=20))
    sms_desk = department("SMS desk")
    sms_desk.rules.append(RoutingRule(channel=Channel.SMS, keywords="urgent", position=5))
    db.session.commit()
    return general, after_sales, billing, sms_desk


@pytest.mark.parametrize(
    "text, channel, category, expected",
    [
        ("My FRIDGE stopped", Channel.WEB, Category.GENERAL, "After-sales service"),
        ("Friji yangu haipoi", Channel.SMS, Category.GENERAL, "After-sales service"),
        ("fridges are great", Channel.EMAIL, Category.GENERAL, "After-sales service"),
        ("Refund please", Channel.EMAIL, Category.GENERAL, "Billing"),
        ("Something odd", Channel.WEB, Category.BILLING, "Billing"),
        ("urgent: help", Channel.SMS, Category.GENERAL, "SMS desk"),
        ("urgent: help", Channel.WEB, Category.GENERAL, "General"),
        ("prefridge", Channel.WEB, Category.GENERAL, "General"),
        ("Hello there", Channel.WEB, Category.GENERAL, "General"),
    ],
)
def test_pick_department(departments, text, channel, category, expected):
    assert routing.pick_department(text, channel, category).name == expected


def test_least_loaded_agent_then_least_recently_assigned(db, departments, staff):
    _, after_sales, *_ = departments
    otieno = staff("otieno", departments=[after_sales])
    achieng = staff("achieng", departments=[after_sales])
    staff("away", departments=[after_sales], is_away=True)
    staff("grace", role=Role.SUPERVISOR, departments=[after_sales])
    customer = Customer(name="W", phone="+254712000001")
    db.session.add(customer)
    owners = [
        lifecycle.open_ticket(customer, subject="", body="fridge", channel=Channel.SMS).assignee
        for _ in range(4)
    ]
    assert owners == [otieno, achieng, otieno, achieng]


def test_nobody_on_duty_leaves_the_ticket_unassigned(db, departments, staff):
    _, after_sales, *_ = departments
    staff("otieno", departments=[after_sales], is_away=True)
    customer = Customer(name="W", phone="+254712000001")
    db.session.add(customer)
    ticket = lifecycle.open_ticket(customer, subject="", body="fridge", channel=Channel.SMS)
    assert ticket.department == after_sales and ticket.assignee is None


def test_admin_manages_departments_rules_and_users(db, client, login, staff, departments):
    admin = staff("amani", role=Role.ADMIN)
    login(client, admin)
    response = client.post(
        "/admin/departments/new",
        data={
            "name": "Delivery",
            "description": "Parcels",
            "supervisor_id": "0",
            "target_normal_first": "120",
            "target_normal_resolution": "480",
        },
    )
    assert response.status_code == 302
    delivery_url = response.headers["Location"]
    department_id = int(delivery_url.rsplit("/", 1)[1])
    assert (
        client.post(
            f"/admin/departments/{department_id}/rules",
            data={"keywords": "parcel, courier", "position": "1"},
        ).status_code
        == 302
    )
    duplicate = client.post(
        "/admin/departments/new", data={"name": "Delivery", "supervisor_id": "0"}
    )
    assert duplicate.status_code == 400 and "exists" in duplicate.text
    made = client.post(
        "/admin/users/new",
        data={
            "name": "Juma",
            "email": "juma@fuatilia.test",
            "role": "agent",
            "departments": [str(department_id)],
            "password": "long enough pass",
            "is_enabled": "y",
        },
    )
    assert made.status_code == 302
    db.session.expire_all()
    assert (
        routing.pick_department("my parcel is lost", Channel.WEB, Category.GENERAL).name
        == "Delivery"
    )
    delivery = routing.pick_department("courier", Channel.WEB, Category.GENERAL)
    assert routing.pick_assignee(delivery).name == "Juma"
    assert delivery.target_for(delivery.targets[0].priority).first_response_minutes == 120
    no_password = client.post(
        "/admin/users/new", data={"name": "X", "email": "x@fuatilia.test", "role": "agent"}
    )
    assert no_password.status_code == 400 and "needs a password" in no_password.text
