"""The admin screen for lines, through real requests: add a line (each provider's address
rules, with the reason shown and what was typed kept), refuse duplicates, move a line, switch
it off and on, set a department's desk phone; every change audited, bad input changing
nothing, non-admins refused; and the webhook URLs to paste, the secret masked until revealed."""

import pytest
from sqlalchemy import func, select

from ticketing.channels import africastalking
from ticketing.models import AuditEntry, Department, Line
from ticketing.models.enums import AuditAction, Channel, Provider, Role

PAGE = "/admin/lines/"


@pytest.fixture
def desks(department):
    return department("General"), department("After-sales service")


@pytest.fixture
def admin(client, login, staff, desks):
    return login(client, staff("amani", role=Role.ADMIN))


def lines_now(db) -> list[Line]:
    db.session.expire_all()
    return db.session.scalars(select(Line).order_by(Line.id)).all()


def audit_entries(db) -> list[AuditEntry]:
    db.session.expire_all()
    return db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == AuditAction.SETTING_CHANGED)
        .order_by(AuditEntry.id)
    ).all()


def add(client, **fields):
    form = {
        "provider": "twilio",
        "channel": "sms",
        "address": "+254711000200",
        "department_id": "0",
        "label": "",
    }
    return client.post(PAGE, data=form | fields)


def test_an_admin_adds_a_line_for_a_department_and_the_log_says_so(admin, db, desks):
    after_sales = desks[1]
    response = add(admin, address="+254711000200", department_id=after_sales.id, label="Repairs")
    assert response.status_code == 302
    [line] = lines_now(db)
    assert (line.provider, line.channel, line.address) == (
        Provider.TWILIO,
        Channel.SMS,
        "+254711000200",
    )
    assert line.department_id == after_sales.id and line.label == "Repairs" and line.is_enabled
    [entry] = audit_entries(db)
    assert entry.target == f"line:{line.id}" and entry.actor.email == "amani@fuatilia.test"
    assert entry.detail["setting"] == "line" and entry.detail["change"] == "added"
    assert entry.detail["changes"]["department"] == [None, "After-sales service"]
    page = admin.get(PAGE).get_data(as_text=True)
    assert "+254711000200" in page and "Repairs" in page


def test_whatsapp_and_africastalking_lines(admin, db, desks):
    assert add(admin, channel="whatsapp", address="+254711000300").status_code == 302
    assert add(admin, provider="africastalking", address="21525").status_code == 302
    assert add(admin, provider="africastalking", address="FUATILIA").status_code == 302
    assert [line.key for line in lines_now(db)] == [
        "twilio:whatsapp:+254711000300",
        "africastalking:21525",
        "africastalking:FUATILIA",
    ]


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"address": "0711 000 200"}, "is not a sender twilio accepts"),
        ({"address": "21525"}, "is not a sender twilio accepts"),  # a shortcode is AT's
        ({"address": "MG123"}, "is not a sender twilio accepts"),
        ({"provider": "africastalking", "address": "FUATILIA-KENYA"}, "africastalking accepts"),
        ({"provider": "africastalking", "address": "+12"}, "africastalking accepts"),
        ({"provider": "africastalking", "channel": "whatsapp"}, "WhatsApp goes through Twilio"),
        ({"address": ""}, "Give the number or sender id."),
        ({"address": "+2547" + "1" * 70}, "cannot be longer than 64"),
        ({"provider": "nexmo"}, "Not a valid choice"),
        ({"channel": "ussd"}, "Not a valid choice"),
        ({"department_id": "999"}, "Not a valid choice"),
    ],
)
def test_a_line_no_provider_would_take_is_refused_with_the_reason(admin, db, fields, reason):
    response = add(admin, **fields)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert reason.lower() in page.lower()
    if fields.get("address"):
        assert f'value="{fields["address"]}"' in page  # what was typed is kept
    assert lines_now(db) == [] and audit_entries(db) == []


def test_the_same_line_twice_is_refused(admin, db):
    assert add(admin, address="+254711000200").status_code == 302
    again = add(admin, address=" +254711000200 ")
    assert again.status_code == 400 and "+254711000200 is already a line" in again.text
    assert len(lines_now(db)) == 1 and len(audit_entries(db)) == 1


def test_moving_a_line_to_another_department(admin, db, desks):
    general, after_sales = desks
    add(admin, department_id=general.id)
    [line] = lines_now(db)
    response = admin.post(
        "/admin/lines/move", data={"line_id": line.id, "department_id": after_sales.id}
    )
    assert response.status_code == 302
    assert lines_now(db)[0].department_id == after_sales.id
    moved = audit_entries(db)[-1]
    assert moved.detail["change"] == "changed" and moved.detail["changes"] == {
        "department": ["General", "After-sales service"]
    }
    assert admin.post("/admin/lines/move", data={"line_id": line.id, "department_id": 0})
    assert lines_now(db)[0].department_id is None


def test_a_bad_move_changes_nothing(admin, db, desks):
    general = desks[0]
    add(admin, department_id=general.id)
    [line] = lines_now(db)
    assert admin.post("/admin/lines/move", data={}).status_code == 400
    bad = {"line_id": line.id, "department_id": 999}
    assert admin.post("/admin/lines/move", data=bad).status_code == 400
    assert (
        admin.post("/admin/lines/move", data={"line_id": 999, "department_id": 0}).status_code
        == 404
    )
    assert lines_now(db)[0].department_id == general.id and len(audit_entries(db)) == 1


def test_switching_a_line_off_and_on(admin, db):
    add(admin)
    [line] = lines_now(db)
    assert (
        admin.post("/admin/lines/switch", data={"line_id": line.id, "enabled": "0"}).status_code
        == 302
    )
    assert lines_now(db)[0].is_enabled is False
    assert 'class="muted"' in admin.get(PAGE).text and ">Enable</button>" in admin.get(PAGE).text
    assert (
        admin.post("/admin/lines/switch", data={"line_id": line.id, "enabled": "1"}).status_code
        == 302
    )
    assert lines_now(db)[0].is_enabled is True
    assert [e.detail["changes"] for e in audit_entries(db)[1:]] == [
        {"enabled": [True, False]},
        {"enabled": [False, True]},
    ]
    assert (
        admin.post("/admin/lines/switch", data={"line_id": line.id, "enabled": "maybe"}).status_code
        == 400
    )
    assert admin.post("/admin/lines/switch", data={"enabled": "0"}).status_code == 400
    assert lines_now(db)[0].is_enabled is True and len(audit_entries(db)) == 3


def test_a_departments_desk_phone(admin, db, desks):
    general = desks[0]
    url = f"/admin/lines/departments/{general.id}/desk-phone"
    field = f"desk{general.id}-desk_phone"
    assert admin.post(url, data={field: "020 123 4567"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Department, general.id).desk_phone == "+254201234567"
    [entry] = audit_entries(db)
    assert entry.target == f"department:{general.id}"
    assert entry.detail["changes"] == {"desk_phone": [None, "+254201234567"]}
    refused = admin.post(url, data={field: "12345"})
    assert refused.status_code == 400 and "&#39;12345&#39; is not a phone number" in refused.text
    assert 'value="12345"' in refused.text
    assert admin.post(url, data={field: "+2547" + "1" * 40}).status_code == 400
    db.session.expire_all()
    assert db.session.get(Department, general.id).desk_phone == "+254201234567"
    assert (
        admin.post("/admin/lines/departments/999/desk-phone", data={field: ""}).status_code == 404
    )
    assert admin.post(url, data={field: ""}).status_code == 302  # cleared
    db.session.expire_all()
    assert db.session.get(Department, general.id).desk_phone is None
    assert len(audit_entries(db)) == 2


def test_the_page_shows_the_urls_to_paste_with_the_secret_masked(admin, web):
    page = admin.get(PAGE).get_data(as_text=True)
    for path in (
        "/webhooks/twilio/sms",
        "/webhooks/twilio/status",
        "/webhooks/twilio/voice",
        "/webhooks/twilio/voice/status",
    ):
        assert f"<code>http://fuatilia.test{path}</code>" in page
    with web.test_request_context():
        secret = africastalking.webhook_secret()
        full = africastalking.callback_url("/webhooks/africastalking/ussd/events")
    assert secret and page.count(secret) == 5  # once per URL, inside its <details> only
    for path in ("sms", "delivery", "optout", "ussd", "ussd/events"):
        assert f"http://fuatilia.test/webhooks/africastalking/{path}?key=••••••••••" in page
    assert (
        f'<details><summary>Reveal the full URL</summary><code class="secret">{full}</code>' in page
    )
    assert "TWILIO_FROM" in page and "twilio:+254700000100" in page  # the configured line


@pytest.mark.config(SMS_BACKEND="twilio", AT_WEBHOOK_SECRET="")
def test_without_an_africastalking_secret_the_page_warns(admin):
    assert "AT_WEBHOOK_SECRET is not set" in admin.get(PAGE).text


def test_only_admins_reach_the_screen(client, login, staff, desks, db):
    general = desks[0]
    assert client.get(PAGE).status_code == 302  # to the sign-in page
    for role in (Role.AGENT, Role.SUPERVISOR):
        other = client.application.test_client()
        login(other, staff(role.value, role=role, departments=[general]))
        assert other.get(PAGE).status_code == 403
        assert add(other).status_code == 403
        assert (
            other.post("/admin/lines/move", data={"line_id": 1, "department_id": 0}).status_code
            == 403
        )
        assert (
            other.post("/admin/lines/switch", data={"line_id": 1, "enabled": "0"}).status_code
            == 403
        )
        url = f"/admin/lines/departments/{general.id}/desk-phone"
        assert (
            other.post(url, data={f"desk{general.id}-desk_phone": "+254201234567"}).status_code
            == 403
        )
    assert db.session.scalar(select(func.count(Line.id))) == 0
    db.session.expire_all()
    assert db.session.get(Department, general.id).desk_phone is None


def test_the_admin_index_links_the_screen(admin):
    assert 'href="/admin/lines/"' in admin.get("/admin/").text
