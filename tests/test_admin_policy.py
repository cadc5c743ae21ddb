"""The admin pages of the follow-up engine, through real requests: business hours, holidays,
the follow-up policy, and message templates with their SMS-length preview. Bad input is refused
with a clear message and changes nothing."""

from datetime import date

import pytest
from sqlalchemy import func, select

from ticketing import lifecycle
from ticketing.models import Customer, Department, Holiday, MessageTemplate, Outbox
from ticketing.models.enums import Category, Channel, Language, Role
from ticketing.models.people import DEFAULT_POLICY, DEFAULT_WEEK

TEMPLATE = "/admin/templates/sw/sms/confirm_fix"


@pytest.fixture
def admin(client, login, staff, department):
    department("After-sales service")
    return login(client, staff("amani", role=Role.ADMIN))


def department_row(db) -> Department:
    db.session.expire_all()
    return db.session.scalar(select(Department))


def week_form(**changes) -> dict:
    form = {}
    for day in range(7):
        span = DEFAULT_WEEK.get(str(day))
        if span:
            form |= {f"open_{day}": "1", f"opens_{day}": span[0], f"closes_{day}": span[1]}
    return form | changes


def test_only_admins_reach_these_pages(client, login, staff, department, db):
    after_sales = department("After-sales service")
    agent = staff("otieno", departments=[after_sales])
    assert client.get("/admin/follow-up").status_code == 302  # to the login page
    login(client, agent)
    for path in (
        "/admin/follow-up",
        "/admin/holidays",
        "/admin/templates",
        TEMPLATE,
        f"/admin/departments/{after_sales.id}/policy",
    ):
        assert client.get(path).status_code == 403, path
    assert (
        client.post("/admin/holidays", data={"day": "2026-07-01", "name": "x"}).status_code == 403
    )
    assert db.session.scalar(select(func.count(Holiday.id))) == 0


def test_the_overview_links_every_department_to_its_hours_and_policy(admin, db):
    page = admin.get("/admin/follow-up").get_data(as_text=True)
    department = department_row(db)
    assert f"/admin/departments/{department.id}/hours" in page
    assert f"/admin/departments/{department.id}/policy" in page
    assert "Mon 08:00–17:00" in page and "Sat 09:00–13:00" in page
    assert "Follow-up policy, hours and templates" in admin.get("/admin/").get_data(as_text=True)


def test_business_hours_per_weekday_are_saved(admin, db):
    department = department_row(db)
    form = week_form(open_6="1", opens_6="10:00", closes_6="14:00", opens_0="07:30")
    form.pop("open_5")
    response = admin.post(f"/admin/departments/{department.id}/hours", data=form)
    assert response.status_code == 302
    hours = department_row(db).working_hours
    assert hours["0"] == ["07:30", "17:00"] and hours["6"] == ["10:00", "14:00"]
    assert "5" not in hours


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"opens_2": "18:00"}, "Wednesday: the closing time must be after the opening time"),
        ({"closes_1": "5pm"}, "Tuesday: give times as HH:MM"),
        ({"opens_0": "<script>alert(1)</script>"}, "Monday: give times as HH:MM"),
    ],
)
def test_bad_business_hours_are_refused_and_nothing_changes(admin, db, changes, message):
    department = department_row(db)
    response = admin.post(f"/admin/departments/{department.id}/hours", data=week_form(**changes))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and message in page
    assert "<script>alert(1)</script>" not in page
    assert department_row(db).working_hours == DEFAULT_WEEK


def test_a_week_with_no_working_day_is_refused(admin, db):
    department = department_row(db)
    response = admin.post(f"/admin/departments/{department.id}/hours", data={})
    assert response.status_code == 400
    assert "at least one day needs working hours" in response.get_data(as_text=True)
    assert admin.get("/admin/departments/999/hours").status_code == 404


def policy_form(**changes) -> dict:
    form = {name: str(value) for name, value in DEFAULT_POLICY.items()}
    form["pending_reminder_days"] = "1, 3"
    return form | changes


def test_the_follow_up_policy_is_saved_and_used_for_the_next_steps(admin, db, clock):
    department = department_row(db)
    response = admin.post(
        f"/admin/departments/{department.id}/policy",
        data=policy_form(
            pending_reminder_days="2,1, 4", pending_close_days="10", quiet_start="22:00"
        ),
    )
    assert response.status_code == 302
    department = department_row(db)
    assert department.setting("pending_reminder_days") == [1, 2, 4]
    assert (department.setting("pending_close_days"), department.setting("quiet_start")) == (
        10,
        "22:00",
    )
    page = admin.get(f"/admin/departments/{department.id}/policy").get_data(as_text=True)
    assert 'value="1, 2, 4"' in page


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"pending_close_days": "seven"}, "a whole number from 1 to 365"),
        ({"pending_close_days": "0"}, "a whole number from 1 to 365"),
        ({"first_response_reminder_percent": "100"}, "a whole number from 1 to 99"),
        ({"pending_reminder_days": "1, 9"}, "every reminder must come before the close"),
        ({"pending_reminder_days": "1; DROP TABLE tickets"}, "days as whole numbers"),
        ({"confirm_reminder_days": "6"}, "the reminder must come before the close"),
        ({"quiet_end": "8am"}, "a time as HH:MM"),
        ({"update_combine_minutes": "9" * 400}, "a whole number from 0 to 60"),
    ],
)
def test_a_bad_policy_is_refused_field_by_field_and_nothing_changes(admin, db, changes, message):
    department = department_row(db)
    response = admin.post(f"/admin/departments/{department.id}/policy", data=policy_form(**changes))
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert department_row(db).policy == DEFAULT_POLICY


def test_holidays_are_added_listed_and_removed(admin, db):
    page = admin.get("/admin/holidays").get_data(as_text=True)
    assert "Madaraka Day" in page and "Jamhuri Day" in page  # from the holidays package
    response = admin.post("/admin/holidays", data={"day": "2026-07-03", "name": "Stocktaking"})
    assert response.status_code == 302
    holiday = db.session.scalar(select(Holiday))
    assert (holiday.day, holiday.name) == (date(2026, 7, 3), "Stocktaking")
    assert "Stocktaking" in admin.get("/admin/holidays").get_data(as_text=True)
    assert admin.post(f"/admin/holidays/{holiday.id}/delete").status_code == 302
    assert db.session.scalar(select(func.count(Holiday.id))) == 0
    assert admin.post("/admin/holidays/999/delete").status_code == 404


@pytest.mark.parametrize(
    "form, message",
    [
        ({"day": "03/07/2026", "name": "Stocktaking"}, "Give the date as YYYY-MM-DD."),
        ({"day": "2026-02-30", "name": "Stocktaking"}, "Give the date as YYYY-MM-DD."),
        ({"day": "2026-07-03", "name": "  "}, "Give the holiday a name"),
        ({"day": "2026-07-03", "name": "x" * 121}, "Give the holiday a name"),
    ],
)
def test_a_bad_holiday_is_refused(admin, db, form, message):
    response = admin.post("/admin/holidays", data=form)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Holiday.id))) == 0


def test_the_same_day_twice_is_refused_and_kept_once(admin, db):
    assert admin.post("/admin/holidays", data={"day": "2026-07-03", "name": "A"}).status_code == 302
    response = admin.post("/admin/holidays", data={"day": "2026-07-03", "name": "B"})
    assert response.status_code == 400
    assert "2026-07-03 is already a holiday." in response.get_data(as_text=True)
    assert [h.name for h in db.session.scalars(select(Holiday))] == ["A"]


def test_the_template_list_shows_every_message_in_both_languages(admin):
    page = admin.get("/admin/templates").get_data(as_text=True)
    for path in (
        TEMPLATE,
        "/admin/templates/en/email/pending_reminder",
        "/admin/templates/en/sms/updates",
        "/admin/templates/sw/sms/assigned",
    ):
        assert path in page


def test_the_editor_opens_on_the_standard_text_with_its_sms_length(admin):
    page = admin.get(TEMPLATE).get_data(as_text=True)
    assert "Je, tatizo limetatuliwa? Jibu 1 kama ndiyo, 2 kama bado." in page
    assert "FT-7K3Q9: Je, tatizo limetatuliwa?" in page  # the preview of a sample ticket
    assert "1 SMS (GSM-7)" in page
    email = admin.get("/admin/templates/en/email/waiting").get_data(as_text=True)
    assert 'value="[{{ ticket.reference }}] We are waiting for your answer"' in email


def test_the_live_preview_counts_segments_and_encoding(admin):
    long_text = "{{ ticket.reference }}: " + "Tafadhali subiri. " * 12
    answer = admin.post(f"{TEMPLATE}/preview", data={"body": long_text}).get_json()
    assert (answer["encoding"], answer["segments"], answer["error"]) == ("GSM-7", 2, "")
    assert answer["text"].startswith("FT-7K3Q9: Tafadhali subiri.")
    emoji = admin.post(f"{TEMPLATE}/preview", data={"body": "Asante 🙏"}).get_json()
    assert (emoji["encoding"], emoji["segments"]) == ("UCS-2", 1)
    script = admin.get("/admin/templates/live-preview.js")
    assert script.status_code == 200 and script.mimetype == "text/javascript"
    assert "data-preview-url" in script.get_data(as_text=True)


def test_a_saved_template_is_what_the_customer_gets(admin, db, staff):
    body = "{{ ticket.reference }}: Fundi amemaliza. Jibu 1 kama imekaa sawa, 2 kama bado."
    response = admin.post(TEMPLATE, data={"body": body, "action": "save"})
    assert response.status_code == 302
    assert "edited" in admin.get("/admin/templates").get_data(as_text=True)
    department = department_row(db)
    otieno = staff("otieno", departments=[department])
    wanjiku = Customer(name="Wanjiku", phone="+254712000001", language=Language.SW)
    ticket = lifecycle.open_ticket(
        wanjiku, subject="", body="Friji haipoi", channel=Channel.SMS, category=Category.AFTER_SALE
    )
    lifecycle.resolve(ticket, by=otieno)
    db.session.commit()
    row = db.session.scalar(select(Outbox).where(Outbox.kind == "confirm_fix"))
    assert row.body == f"{ticket.reference}: Fundi amemaliza. Jibu 1 kama imekaa sawa, 2 kama bado."
    assert admin.post(f"{TEMPLATE}/reset").status_code == 302
    assert db.session.scalar(select(func.count(MessageTemplate.id))) == 0


@pytest.mark.parametrize(
    "body, message",
    [
        ("{{ ticket.reference }", "TemplateSyntaxError (line 1)"),
        ("{% for x in tickets %}", "TemplateSyntaxError"),
        ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "SecurityError"),
        ("{{ ticket.assignee.set_password('owned') }}", "SecurityError"),
        ("{{ ticket.query.all() }}", "SecurityError"),
        ("{{ 'x' * 100000000 }}", "SecurityError"),
        ("{{ 9 ** 9 ** 9 }}", "SecurityError"),
        ("{{ 1 / 0 }}", "ZeroDivisionError"),
        ("", "The text is required"),
        ("x" * 5001, "The text is required, up to 5000 characters"),
    ],
)
def test_a_broken_or_hostile_template_is_refused_and_nothing_is_saved(admin, db, body, message):
    response = admin.post(TEMPLATE, data={"body": body, "action": "save"})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(MessageTemplate.id))) == 0


def test_an_email_template_needs_a_subject(admin, db):
    response = admin.post(
        "/admin/templates/en/email/waiting",
        data={"subject": " ", "body": "Hello", "action": "save"},
    )
    assert response.status_code == 400 and "An email needs a subject." in response.get_data(
        as_text=True
    )
    assert db.session.scalar(select(func.count(MessageTemplate.id))) == 0


def test_unknown_templates_are_not_found(admin):
    for path in (
        "/admin/templates/fr/sms/confirm_fix",
        "/admin/templates/en/fax/confirm_fix",
        "/admin/templates/en/sms/../../base",
        "/admin/templates/en/sms/nothing",
        "/admin/templates/en/email/help",
    ):  # help exists for SMS only
        assert admin.get(path).status_code == 404, path


def test_a_faulty_saved_template_falls_back_to_the_standard_wording(db, staff, department):
    department("After-sales service")
    db.session.add(
        MessageTemplate(kind="received", language="en", channel=Channel.SMS, body="{{ 1 / 0 }}")
    )
    customer = Customer(name="Amina", phone="+254722000003")
    ticket = lifecycle.open_ticket(customer, subject="", body="Hello", channel=Channel.SMS)
    db.session.commit()
    row = db.session.scalar(select(Outbox).where(Outbox.kind == "received"))
    assert row.body.startswith(f"We got your message. Ref {ticket.reference}.")


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_changes_without_a_csrf_token_are_refused(client, login, staff, department, db):
    department("After-sales service")
    client.get("/auth/login")
    admin = staff("amani", role=Role.ADMIN)
    page = client.get("/auth/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post(
        "/auth/login",
        data={"email": admin.email, "password": "correct horse battery", "csrf_token": token},
    )
    response = client.post("/admin/holidays", data={"day": "2026-07-03", "name": "Stocktaking"})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(Holiday.id))) == 0
