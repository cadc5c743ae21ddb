"""Every admin form refuses a bad value (negative, not a number, empty where required, 10 kB)
with a message next to the field, shows back what was typed, and changes nothing. Charter
targets are typed as a number and a unit and shown back in the unit that reads best."""

import pytest
from harness import csrf_token, signed_in_with_csrf
from sqlalchemy import select

from ticketing.models import (
    CharterTarget,
    Department,
    Holiday,
    Line,
    MessageTemplate,
    RoutingRule,
    User,
)
from ticketing.models.enums import Priority, Role
from ticketing.models.people import DEFAULT_WEEK

HUGE_NUMBER, HUGE_TEXT = "9" * 10240, "x" * 10240
BAD_NUMBERS = ["-5", "abc", "", HUGE_NUMBER]
BAD_TEXT = ["", HUGE_TEXT]


@pytest.fixture
def admin(db, client, login, staff, department):
    repairs = department("Repairs")
    repairs.targets.append(
        CharterTarget(priority=Priority.NORMAL, first_response_minutes=240, resolution_minutes=2880)
    )
    db.session.commit()
    login(client, staff("amani", role=Role.ADMIN, departments=[repairs]))
    return client, repairs


def snapshot(db) -> dict:
    """Every admin-owned row, column by column: what a refused form must leave alone."""
    db.session.expire_all()
    tables = (Department, CharterTarget, RoutingRule, User, Holiday, MessageTemplate, Line)
    return {
        model.__name__: sorted(
            tuple(str(getattr(row, column.key)) for column in model.__table__.columns)
            for row in db.session.scalars(select(model))
        )
        for model in tables
    }


def department_form(repairs, **changes) -> dict:
    return {
        "name": "Repairs",
        "description": "",
        "supervisor_id": "0",
        "target_normal_first": "4",
        "target_normal_first_unit": "hours",
        "target_normal_resolution": "2",
        "target_normal_resolution_unit": "days",
    } | changes


def week_form(**changes) -> dict:
    form = {}
    for day in range(7):
        span = DEFAULT_WEEK.get(str(day))
        if span:
            form |= {f"open_{day}": "1", f"opens_{day}": span[0], f"closes_{day}": span[1]}
    return form | changes


def policy_form(**changes) -> dict:
    return {
        "pending_reminder_days": "1, 3",
        "pending_close_days": "7",
        "first_response_reminder_percent": "75",
        "confirm_reminder_days": "2",
        "confirm_close_days": "5",
        "resolved_close_days": "5",
        "fix_check_days": "7",
        "satisfaction_delay_minutes": "60",
        "update_combine_minutes": "5",
        "quiet_start": "21:00",
        "quiet_end": "07:00",
    } | changes


# (name, path, field that gets the bad value, the rest of the form, bad values)
FORMS = [
    (
        "charter first response",
        "/admin/departments/{id}",
        "target_normal_first",
        department_form,
        BAD_NUMBERS,
    ),
    (
        "charter resolution",
        "/admin/departments/{id}",
        "target_normal_resolution",
        department_form,
        BAD_NUMBERS,
    ),
    ("department name", "/admin/departments/{id}", "name", department_form, BAD_TEXT),
    ("new department name", "/admin/departments/new", "name", department_form, BAD_TEXT),
    (
        "routing rule order",
        "/admin/departments/{id}/rules",
        "position",
        lambda repairs, **c: {"keywords": "fridge"} | c,
        BAD_NUMBERS,
    ),
    (
        "routing rule keywords",
        "/admin/departments/{id}/rules",
        "keywords",
        lambda repairs, **c: {"position": "1"} | c,
        BAD_TEXT,
    ),
    (
        "user name",
        "/admin/users/new",
        "name",
        lambda repairs, **c: (
            {
                "name": "Zawadi",
                "email": "zawadi@fuatilia.test",
                "role": "agent",
                "password": "long enough password",
                "is_enabled": "y",
            }
            | c
        ),
        BAD_TEXT,
    ),
    (
        "user email",
        "/admin/users/new",
        "email",
        lambda repairs, **c: (
            {
                "name": "Zawadi",
                "email": "zawadi@fuatilia.test",
                "role": "agent",
                "password": "long enough password",
            }
            | c
        ),
        ["-5", "abc", "", HUGE_TEXT],
    ),
    (
        "follow-up policy",
        "/admin/departments/{id}/policy",
        "pending_close_days",
        lambda repairs, **c: policy_form(**c),
        BAD_NUMBERS,
    ),
    (
        "quiet hours",
        "/admin/departments/{id}/policy",
        "quiet_start",
        lambda repairs, **c: policy_form(**c),
        BAD_NUMBERS,
    ),
    (
        "business hours",
        "/admin/departments/{id}/hours",
        "opens_0",
        lambda repairs, **c: week_form(**c),
        BAD_NUMBERS,
    ),
    (
        "holiday date",
        "/admin/holidays",
        "day",
        lambda repairs, **c: {"day": "2026-12-28", "name": "Stocktaking"} | c,
        BAD_NUMBERS,
    ),
    (
        "holiday name",
        "/admin/holidays",
        "name",
        lambda repairs, **c: {"day": "2026-12-28", "name": "Stocktaking"} | c,
        BAD_TEXT,
    ),
    (
        "message template",
        "/admin/templates/en/sms/received",
        "body",
        lambda repairs, **c: {"subject": "", "action": "save"} | c,
        BAD_TEXT,
    ),
    (
        "line address",
        "/admin/lines/",
        "address",
        lambda repairs, **c: {"provider": "twilio", "channel": "sms", "department_id": "0"} | c,
        ["-5", "abc", "", HUGE_TEXT],
    ),
    (
        "desk phone",
        "/admin/lines/departments/{id}/desk-phone",
        "desk{id}-desk_phone",
        lambda repairs, **c: c,
        ["-5", "abc", HUGE_NUMBER],
    ),
]
CASES = [
    pytest.param(path, field, build, value, id=f"{name}={value[:6] or 'empty'}")
    for name, path, field, build, values in FORMS
    for value in values
]


@pytest.mark.parametrize(("path", "field", "build", "value"), CASES)
def test_a_bad_value_is_refused_next_to_its_field_and_changes_nothing(
    db, admin, path, field, build, value
):
    client, repairs = admin
    field = field.format(id=repairs.id)
    before = snapshot(db)
    response = client.post(path.format(id=repairs.id), data=build(repairs, **{field: value}))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert snapshot(db) == before
    at = html.index(f'id="{field.replace("opens_", "opens-")}"')
    assert 'class="error"' in html[max(0, at - 700) : at], f"no message next to {field}"
    if value and len(value) < 100:
        assert f'value="{value}"' in html  # what was typed is shown back


def test_charter_targets_are_typed_in_hours_or_days_and_shown_in_the_best_unit(db, admin):
    client, repairs = admin
    form = department_form(repairs) | {
        "target_urgent_first": "90",
        "target_urgent_first_unit": "minutes",
        "target_urgent_resolution": "8",
        "target_urgent_resolution_unit": "hours",
    }
    assert client.post(f"/admin/departments/{repairs.id}", data=form).status_code == 302
    db.session.expire_all()
    repairs = db.session.get(Department, repairs.id)
    normal, urgent = repairs.target_for(Priority.NORMAL), repairs.target_for(Priority.URGENT)
    assert (normal.first_response_minutes, normal.resolution_minutes) == (240, 2880)
    assert (urgent.first_response_minutes, urgent.resolution_minutes) == (90, 480)
    html = client.get(f"/admin/departments/{repairs.id}").get_data(as_text=True)
    shown = {
        "target_normal_first": ("4", "hours"),
        "target_normal_resolution": ("2", "days"),
        "target_urgent_first": ("90", "minutes"),
        "target_urgent_resolution": ("8", "hours"),
    }
    for name, (number, unit) in shown.items():
        assert f'id="{name}" name="{name}" value="{number}"' in html
        unit_select = html[html.index(f'id="{name}_unit"') :][:400]
        assert f'<option value="{unit}" selected>' in unit_select


def test_a_resolution_shorter_than_the_first_response_is_refused(db, admin):
    client, repairs = admin
    before = snapshot(db)
    form = department_form(repairs) | {"target_normal_resolution": "1"}
    form["target_normal_resolution_unit"] = "hours"
    response = client.post(f"/admin/departments/{repairs.id}", data=form)
    assert response.status_code == 400
    assert "no shorter than the first response" in response.get_data(as_text=True)
    assert snapshot(db) == before


def test_an_unknown_unit_is_refused(db, admin):
    client, repairs = admin
    before = snapshot(db)
    form = department_form(repairs) | {"target_normal_first_unit": "weeks"}
    response = client.post(f"/admin/departments/{repairs.id}", data=form)
    assert response.status_code == 400 and "choose minutes, hours or days" in response.text
    assert snapshot(db) == before


def test_the_department_form_needs_its_csrf_token(db, admin, make_app):
    client, repairs = admin
    amani = db.session.scalar(select(User).where(User.role == Role.ADMIN))
    guarded = signed_in_with_csrf(make_app(WTF_CSRF_ENABLED=True), amani)
    path = f"/admin/departments/{repairs.id}"
    before = snapshot(db)
    form = department_form(repairs, target_normal_first="1")
    assert guarded.post(path, data=form).status_code == 400
    assert snapshot(db) == before
    form["csrf_token"] = csrf_token(guarded, path)
    assert guarded.post(path, data=form).status_code == 302
