"""The audit log, through the real pages: each admin act, token and export writes exactly one
entry (who, what, from where) in the same transaction as the act; admins filter, page through
and export the log as CSV; bad filters are refused with 4xx, never a 500."""

import csv
import io
import json
import re

import pytest
from harness import eat
from sqlalchemy import select

from ticketing import audit
from ticketing.models import AuditEntry, Department, Holiday, User
from ticketing.models.enums import AuditAction, Role
from ticketing.models.people import DEFAULT_POLICY, DEFAULT_WEEK

ADMIN_IP, AGENT_IP = "198.51.100.7", "203.0.113.9"
SECRET = "a new password, never logged"


@pytest.fixture
def desk(web, login, staff, department):
    """Billing with an agent and a supervisor, and an admin signed in from ADMIN_IP."""
    billing = department("Billing")
    people = {
        "agent": staff("otieno", departments=[billing]),
        "supervisor": staff("grace", role=Role.SUPERVISOR),
        "admin": staff("amani", role=Role.ADMIN),
    }
    return billing, people, login(client_from(web, ADMIN_IP), people["admin"])


def client_from(web, address: str):
    """A browser at `address` (sessions are bound to the address they signed in from)."""
    client = web.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def entries_after(db, since: int) -> list[AuditEntry]:
    db.session.expire_all()
    return db.session.scalars(
        select(AuditEntry).where(AuditEntry.id > since).order_by(AuditEntry.id)
    ).all()


def last_id(db) -> int:
    return db.session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)) or 0


def one_entry(db, since: int, action: AuditAction) -> AuditEntry:
    """The act's only entry: exactly one, of the expected action."""
    found = entries_after(db, since)
    assert [e.action for e in found] == [action], [(e.action, e.detail) for e in found]
    return found[0]


def user_form(**changes) -> dict:
    return {
        "name": "Asha Njeri",
        "email": "asha@fuatilia.test",
        "role": "agent",
        "is_enabled": "y",
        "password": "long enough password",
    } | changes


def test_creating_and_changing_a_user_is_logged_without_the_password(db, desk):
    billing, people, admin = desk
    start = last_id(db)
    response = admin.post("/admin/users/new", data=user_form(departments=[str(billing.id)]))
    assert response.status_code == 302
    asha = db.session.scalar(select(User).where(User.email == "asha@fuatilia.test"))
    created = one_entry(db, start, AuditAction.USER_CREATED)
    assert (created.actor_id, created.actor_label) == (people["admin"].id, "amani@fuatilia.test")
    assert (created.target, created.ip) == (f"user:{asha.id}", ADMIN_IP)
    assert created.detail["role"] == "agent" and created.detail["departments"] == ["Billing"]
    assert "long enough password" not in json.dumps(created.detail)

    start = last_id(db)
    form = user_form(role="supervisor", password=SECRET, departments=[], is_enabled="")
    assert admin.post(f"/admin/users/{asha.id}", data=form).status_code == 302
    changed = one_entry(db, start, AuditAction.USER_CHANGED)
    assert changed.target == f"user:{asha.id}" and changed.actor_id == people["admin"].id
    assert changed.detail == {
        "changes": {
            "role": ["agent", "supervisor"],
            "departments": [["Billing"], []],
            "enabled": [True, False],
        },
        "password_reset": True,
    }
    assert SECRET not in json.dumps(changed.detail) + changed.user_agent

    start = last_id(db)
    same = user_form(role="supervisor", password="", is_enabled="")
    assert admin.post(f"/admin/users/{asha.id}", data=same).status_code == 302
    assert entries_after(db, start) == []  # nothing changed, nothing to log
    taken = user_form(email=people["agent"].email, password="")
    assert admin.post(f"/admin/users/{asha.id}", data=taken).status_code == 400
    assert entries_after(db, start) == []  # the refused change took its entry with it


def test_department_charter_and_routing_changes_are_logged(db, desk):
    billing, people, admin = desk
    form = {
        "name": "Repairs",
        "description": "Fridges",
        "supervisor_id": str(people["supervisor"].id),
        "target_normal_first": "60",
        "target_normal_resolution": "480",
    }
    start = last_id(db)
    assert admin.post("/admin/departments/new", data=form).status_code == 302
    repairs = db.session.scalar(select(Department).where(Department.name == "Repairs"))
    added = one_entry(db, start, AuditAction.SETTING_CHANGED)
    assert added.target == f"department:{repairs.id}" and added.ip == ADMIN_IP
    assert added.detail["setting"] == "department" and added.detail["change"] == "added"
    assert added.detail["changes"]["supervisor"] == [None, "grace@fuatilia.test"]
    assert added.detail["changes"]["target_normal"] == [None, [60, 480]]

    start = last_id(db)
    form |= {"supervisor_id": "0", "target_normal_first": "30"}
    assert admin.post(f"/admin/departments/{repairs.id}", data=form).status_code == 302
    edited = one_entry(db, start, AuditAction.SETTING_CHANGED)
    assert edited.detail == {
        "setting": "department",
        "change": "changed",
        "changes": {
            "supervisor": ["grace@fuatilia.test", None],
            "target_normal": [[60, 480], [30, 480]],
        },
    }

    start = last_id(db)
    rule = {"keywords": "fridge, cooling", "channel": "sms", "category": "", "position": "5"}
    assert admin.post(f"/admin/departments/{repairs.id}/rules", data=rule).status_code == 302
    rule_added = one_entry(db, start, AuditAction.SETTING_CHANGED)
    assert rule_added.detail["setting"] == "routing_rule"
    assert rule_added.detail["changes"]["keywords"] == [None, "fridge, cooling"]
    rule_id = int(rule_added.target.removeprefix("rule:"))

    start = last_id(db)
    assert admin.post(f"/admin/rules/{rule_id}/delete").status_code == 302
    removed = one_entry(db, start, AuditAction.SETTING_CHANGED)
    assert (removed.target, removed.detail["change"]) == (f"rule:{rule_id}", "removed")
    assert removed.detail["changes"]["channel"] == ["sms", None]


def test_hours_policy_holidays_and_templates_are_logged(db, desk):
    billing, people, admin = desk
    week = {}
    for day, (opens, closes) in DEFAULT_WEEK.items():
        week |= {f"open_{day}": "1", f"opens_{day}": opens, f"closes_{day}": closes}
    start = last_id(db)
    week["opens_0"] = "07:30"
    assert admin.post(f"/admin/departments/{billing.id}/hours", data=week).status_code == 302
    hours = one_entry(db, start, AuditAction.SETTING_CHANGED)
    assert hours.target == f"department:{billing.id}"
    assert hours.detail["changes"] == {"0": [["08:00", "17:00"], ["07:30", "17:00"]]}

    policy = {name: str(value) for name, value in DEFAULT_POLICY.items()}
    policy |= {"pending_reminder_days": "1, 3", "pending_close_days": "10"}
    start = last_id(db)
    assert admin.post(f"/admin/departments/{billing.id}/policy", data=policy).status_code == 302
    changed = one_entry(db, start, AuditAction.SETTING_CHANGED)
    assert changed.detail["setting"] == "follow_up_policy"
    assert changed.detail["changes"] == {"pending_close_days": [7, 10]}

    start = last_id(db)
    holiday = {"day": "2026-12-24", "name": "Stocktaking"}
    assert admin.post("/admin/holidays", data=holiday).status_code == 302
    added = one_entry(db, start, AuditAction.SETTING_CHANGED)
    assert added.detail["changes"] == {"day": [None, "2026-12-24"], "name": [None, "Stocktaking"]}
    assert admin.post("/admin/holidays", data=holiday).status_code == 400  # already a holiday
    assert len(entries_after(db, start)) == 1
    start = last_id(db)
    holiday_id = db.session.scalar(select(Holiday.id))
    assert admin.post(f"/admin/holidays/{holiday_id}/delete").status_code == 302
    assert one_entry(db, start, AuditAction.SETTING_CHANGED).target == f"holiday:{holiday_id}"

    page = "/admin/templates/sw/sms/confirm_fix"
    start = last_id(db)
    body = "{{ ticket.reference }}: tumerekebisha? Jibu 1 au 2."
    assert admin.post(page, data={"body": body, "action": "save"}).status_code == 302
    saved = one_entry(db, start, AuditAction.SETTING_CHANGED)
    assert saved.target == "template:sw/sms/confirm_fix"
    assert saved.detail["changes"]["body"][1] == body and "subject" not in saved.detail["changes"]
    start = last_id(db)
    assert admin.post(page + "/reset").status_code == 302
    reset = one_entry(db, start, AuditAction.SETTING_CHANGED)
    assert reset.detail["change"] == "reset" and reset.detail["changes"]["body"][0] == body


def token_on(page: str) -> str:
    return re.search(r"ft_[\w-]+", page).group(0)


def test_tokens_made_and_revoked_are_logged_and_a_revoked_token_stops_working(db, web, desk, login):
    billing, people, admin = desk
    agent = login(client_from(web, AGENT_IP), people["agent"])
    start = last_id(db)
    token = token_on(agent.post("/agent/token").get_data(as_text=True))
    made = one_entry(db, start, AuditAction.TOKEN_CREATED)
    assert (made.actor_id, made.target, made.ip) == (
        people["agent"].id,
        f"user:{people['agent'].id}",
        AGENT_IP,
    )
    assert made.detail == {"replaced": False} and token not in json.dumps(made.detail)
    api = web.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/tickets", headers=bearer).status_code == 200
    assert "Revoke my token" in agent.get("/agent/token").get_data(as_text=True)

    start = last_id(db)
    assert agent.post("/agent/token/revoke").status_code == 302
    revoked = one_entry(db, start, AuditAction.TOKEN_REVOKED)
    assert (revoked.actor_id, revoked.target) == (people["agent"].id, f"user:{people['agent'].id}")
    assert api.get("/api/v1/tickets", headers=bearer).status_code == 401
    start = last_id(db)
    assert agent.post("/agent/token/revoke").status_code == 302  # nothing left to revoke
    assert entries_after(db, start) == []
    assert "Revoke my token" not in agent.get("/agent/token").get_data(as_text=True)


def test_an_admin_revokes_a_token_made_from_the_shell(db, web, desk):
    billing, people, admin = desk
    email = people["agent"].email
    start = last_id(db)
    token = web.test_cli_runner().invoke(args=["create-token", email]).output.strip()
    shell = one_entry(db, start, AuditAction.TOKEN_CREATED)
    assert (shell.actor_id, shell.actor_label, shell.ip) == (None, "cli", "")
    assert shell.target == f"user:{people['agent'].id}"
    bearer = {"Authorization": f"Bearer {token}"}
    assert web.test_client().get("/api/v1/tickets", headers=bearer).status_code == 200

    page = admin.get(f"/admin/users/{people['agent'].id}").get_data(as_text=True)
    assert "Revoke this user's API token" in page
    start = last_id(db)
    response = admin.post(f"/admin/users/{people['agent'].id}/token/revoke")
    assert response.status_code == 302
    revoked = one_entry(db, start, AuditAction.TOKEN_REVOKED)
    assert (revoked.actor_id, revoked.target, revoked.ip) == (
        people["admin"].id,
        f"user:{people['agent'].id}",
        ADMIN_IP,
    )
    assert web.test_client().get("/api/v1/tickets", headers=bearer).status_code == 401


def test_every_report_export_is_logged_with_its_filters(db, web, desk, login):
    billing, people, admin = desk
    boss = login(web.test_client(), people["supervisor"])
    week = {"period": "custom", "from": "2026-11-16", "to": "2026-11-22"}
    start = last_id(db)
    query = week | {"department": str(billing.id)}
    assert boss.get("/reports/export/figures.csv", query_string=query).status_code == 200
    figures = one_entry(db, start, AuditAction.EXPORT)
    assert figures.actor_id == people["supervisor"].id
    assert figures.detail["export"] == "reports/figures"
    assert figures.detail["period"] == {"from": "2026-11-16", "to": "2026-11-22"}
    assert figures.detail["filters"]["department"] == str(billing.id)

    start = last_id(db)
    tickets = boss.get("/reports/tickets.csv?view=all&status=&figure=open&period=7d")
    assert tickets.status_code == 200 and tickets.get_data(as_text=True).startswith("reference")
    listed = one_entry(db, start, AuditAction.EXPORT)
    assert listed.detail["export"] == "reports/tickets"
    assert listed.detail["args"] == {"view": "all", "figure": "open", "period": "7d"}

    start = last_id(db)
    assert boss.get("/reports/export/figures.csv?period=forever").status_code == 400
    assert entries_after(db, start) == []  # refused: nothing left the building

    token = token_on(boss.post("/agent/token").get_data(as_text=True))
    bearer = {"Authorization": f"Bearer {token}"}
    for path, name in (
        ("/api/v1/reports/summary", "api/reports/summary"),
        ("/api/v1/reports/agents", "api/reports/agents"),
        ("/api/v1/reports/tickets?figure=open", "api/reports/tickets"),
    ):
        start = last_id(db)
        assert boss.get(path, headers=bearer).status_code == 200, path
        entry = one_entry(db, start, AuditAction.EXPORT)
        assert (entry.detail["export"], entry.actor_id) == (name, people["supervisor"].id)


@pytest.fixture
def logged(db, desk, clock):
    """Entries on both sides of a Nairobi midnight (the same UTC day), and a crowd."""
    billing, people, admin = desk
    clock.set(eat(2026, 11, 20, 23, 30))
    audit.record(AuditAction.SIGN_IN_FAILED, actor_label='=HYPERLINK("http://x")', target="-1")
    clock.set(eat(2026, 11, 21, 0, 30))
    audit.record(
        AuditAction.TOKEN_REVOKED, actor=people["agent"], target=f"user:{people['agent'].id}"
    )
    clock.set(eat(2026, 11, 22, 9, 0))
    for n in range(110):
        audit.record(AuditAction.SIGN_IN, actor=people["supervisor"], target=f"user:{n}")
    db.session.commit()
    return people, admin


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_admins_filter_and_page_through_the_log_in_local_time(logged):
    people, admin = logged
    everything = admin.get("/admin/audit")
    assert everything.status_code == 200
    page = everything.get_data(as_text=True)
    assert page.count("<tr>") == 51 and "Page 1 of 3" in page  # header row + 50 entries
    assert "22 Nov 2026, 09:00" in page  # Nairobi time, not the stored UTC (06:00)
    last = admin.get("/admin/audit?page=3").get_data(as_text=True)
    assert "21 Nov 2026, 00:30" in last and "20 Nov 2026, 23:30" in last
    assert "&#34;http://x&#34;" in last or "&quot;http://x&quot;" in last  # escaped, shown

    only = admin.get("/admin/audit?action=token_revoked").get_data(as_text=True)
    assert "otieno@fuatilia.test" in only and "grace@fuatilia.test" not in only
    by_actor = admin.get("/admin/audit?actor=OTIENO").get_data(as_text=True)
    assert "token revoked" in by_actor and "1 entry" in by_actor
    one_day = admin.get("/admin/audit?from=2026-11-21&to=2026-11-21").get_data(as_text=True)
    assert "1 entry" in one_day and "21 Nov 2026, 00:30" in one_day
    assert "1 entry" in admin.get("/admin/audit?to=2026-11-20").get_data(as_text=True)
    crowd = "/admin/audit?target=user&action=sign_in&actor=grace"
    assert "110 entries" in admin.get(crowd).get_data(as_text=True)
    assert "1 entry" in admin.get("/admin/audit?target=user:77").get_data(as_text=True)
    assert "0 entries" in admin.get("/admin/audit?ip=10.9.9.9").get_data(as_text=True)
    assert "0 entries" in admin.get("/admin/audit?actor=%25").get_data(as_text=True)  # literal %
    past_the_end = admin.get("/admin/audit?page=99999")
    assert past_the_end.status_code == 200 and "No entries match" in past_the_end.get_data(True)


BAD_FILTERS = [  # (query string, answer, words the answer must say)
    ("action=drop_tables", 400, "Not a valid choice"),
    ("from=2026-13-45", 400, "Not a valid date"),
    ("from=0001-01-01", 400, "from 2000 to 2999"),
    ("to=9999-12-31", 400, "from 2000 to 2999"),
    ("from=2026-11-22&to=2026-11-21", 400, "comes before the first"),
    ("actor=" + "x" * 300, 400, "longer than 254"),
    ("actor=a%00b", 400, "control characters"),
    ("page=100001", 400, ""),
    ("page=abc", 200, ""),
    ("page=-3&per_page=100000", 200, ""),
]


def test_bad_filters_are_refused_or_ignored_never_a_server_error(desk):
    billing, people, admin = desk
    answers = {}
    for query, _, _ in BAD_FILTERS:
        for path in ("/admin/audit", "/admin/audit.csv"):
            response = admin.get(f"{path}?{query}")
            answers[path, query] = (response.status_code, response.get_data(as_text=True))
    wrong = [
        (path, query, answers[path, query][0])
        for query, status, words in BAD_FILTERS
        for path in ("/admin/audit", "/admin/audit.csv")
        if answers[path, query][0] != status or words not in answers[path, query][1]
    ]
    assert wrong == []


def test_only_admins_see_the_log(db, web, desk, login):
    billing, people, admin = desk
    for role in ("agent", "supervisor"):
        client = login(web.test_client(), people[role])
        assert client.get("/admin/audit").status_code == 403
        assert client.get("/admin/audit.csv").status_code == 403
    stranger = web.test_client()
    for path in ("/admin/audit", "/admin/audit.csv"):
        response = stranger.get(path)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert "/admin/audit" in admin.get("/admin/").get_data(as_text=True)


def test_the_csv_export_is_filtered_safe_to_open_and_logged_itself(db, web, login, logged):
    people, _ = logged
    admin = client_from(web, ADMIN_IP)
    admin.environ_base["HTTP_USER_AGENT"] = "@SUM(1+1)*cmd|' /C calc'!A0"  # before: it is bound
    login(admin, people["admin"])
    start = last_id(db)
    response = admin.get("/admin/audit.csv?to=2026-11-21")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment")
    rows = rows_of(response)
    assert rows[0] == [
        "at",
        "at_local",
        "action",
        "actor",
        "actor_id",
        "target",
        "ip",
        "user_agent",
        "detail",
    ]
    assert [row[2] for row in rows[1:]] == ["token_revoked", "sign_in_failed"]  # newest first
    revoked, failed = rows[1], rows[2]
    assert (revoked[0], revoked[1]) == ("2026-11-20T21:30:00Z", "2026-11-21 00:30:00")
    assert revoked[3:6] == [
        "otieno@fuatilia.test",
        str(people["agent"].id),
        f"user:{people['agent'].id}",
    ]
    assert failed[3] == '\'=HYPERLINK("http://x")' and failed[5] == "'-1"  # stays text

    export = one_entry(db, start, AuditAction.EXPORT)
    assert export.detail == {"export": "admin/audit", "args": {"to": "2026-11-21"}}
    assert (export.actor_id, export.ip) == (people["admin"].id, ADMIN_IP)
    newest = rows_of(admin.get("/admin/audit.csv?action=export"))
    assert len(newest) == 3  # this export's own entry, and the one before
    assert newest[2][7] == "'@SUM(1+1)*cmd|' /C calc'!A0"  # the user agent, neutralised
