"""Every page renders for the people it is for, refuses the others, and escapes what
customers wrote."""

import pytest

from ticketing import lifecycle
from ticketing.models import Customer
from ticketing.models.enums import Channel, Role

HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)">'


@pytest.fixture
def people(db, department, staff):
    general = department("General")
    agent = staff("otieno", departments=[general])
    people = {
        "agent": agent,
        "supervisor": staff("grace", role=Role.SUPERVISOR),
        "admin": staff("amani", role=Role.ADMIN),
    }
    customer = Customer(name=HOSTILE, email="x@example.co.ke")
    db.session.add(customer)
    people["ticket"] = lifecycle.open_ticket(
        customer, subject=HOSTILE, body=HOSTILE, channel=Channel.EMAIL
    )
    db.session.commit()
    return people


PAGES = [  # path, who may see it (None: anyone)
    ("/support", None),
    ("/charter", None),
    ("/agent/", "agent"),
    ("/agent/?view=unassigned", "agent"),
    ("/agent/token", "agent"),
    ("/auth/password", "agent"),
    ("/agent/tickets/{ticket}", "agent"),
    ("/reports/", "supervisor"),
    ("/admin/", "admin"),
    ("/admin/departments/new", "admin"),
    ("/admin/users/new", "admin"),
]
RANK = {"agent": 1, "supervisor": 2, "admin": 3}


@pytest.mark.parametrize("path, needed", PAGES)
def test_pages_render_for_their_people_only(web, login, people, path, needed):
    path = path.format(ticket=people["ticket"].id)
    anonymous = web.test_client().get(path)
    assert anonymous.status_code == (200 if needed is None else 302)
    for role in ("agent", "supervisor", "admin"):
        client = login(web.test_client(), people[role])
        response = client.get(path)
        allowed = needed is None or RANK[role] >= RANK[needed]
        assert response.status_code == (200 if allowed else 403), (role, path)
        if allowed:
            assert "<script>alert" not in response.text and 'onerror="alert' not in response.text


def test_signed_in_staff_skip_the_login_page(client, login, people):
    assert client.get("/auth/login").status_code == 200
    login(client, people["agent"])
    assert client.get("/auth/login").headers["Location"] == "/agent/"


def test_status_page_escapes_the_customer_text(client, people):
    page = client.get(f"/t/{people['ticket'].token}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page


@pytest.mark.config(SMS_BACKEND="twilio", MAIL_BACKEND="smtp")
def test_dev_pages_exist_only_with_console_backends(client):
    assert client.get("/dev/outbox").status_code == 404
    assert client.get("/dev/sms").status_code == 404


def test_dev_outbox_lists_what_was_sent(client, people):
    page = client.get("/dev/outbox").text
    assert people["ticket"].reference in page and "received" in page


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "Not found" in response.text
