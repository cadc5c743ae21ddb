"""The supervisor reports against a hand-built week whose every figure is worked out below.

The week (Nairobi time) runs Friday 16 to Thursday 22 October 2026; Tuesday 20 is Mashujaa
Day, a public holiday, and both departments work Monday to Friday 08:00-17:00 only, so
weekends and the holiday count no business minutes. The report is read on Thursday 22 at
14:00. Every ticket is made by lifecycle calls at the moment it happens; an SMS worker
delivers through the Twilio stub at the end, and one number is scripted to fail.

    T0  Billing, email    created Thu 15 10:00, answered Thu 15 11:00, resolved Fri 16 10:00
    T1  After-sales, SMS  created Fri 16 15:00, answered 16:00, promise kept Mon 09:30,
                          resolved Mon 19 10:00 (over the weekend), customer texts 1 at 12:00
                          (confirmed fixed), asked to rate 12:05, rates 4 with a comment
    T2  After-sales, SMS  created Mon 19 16:00, answered 16:30, resolved Wed 21 09:00
                          (over the holiday); its first SMS fails at Twilio (21211)
    T3  Billing -> After-sales (transferred 09:30), email, created Fri 16 09:00,
                          answered 14:00 (late), resolved Mon 19 15:00
    T4  After-sales, SMS  created Mon 19 09:00, answered 09:30, resolved 11:00, customer
                          texts 2 at 14:00 (reopened, high), resolved again Wed 21 10:00
    T5  Billing, email    created Tue 20 10:00, merged into T7 on Wed 21 09:00: counts nowhere
    T6  After-sales, SMS  created, answered, resolved Thu 15; chased Sat 17 12:00, closed by
                          silence Tue 20 12:00
    T7  Billing, email    created Tue 20 09:30 (holiday), answered Wed 21 11:00, waiting
    T8  Billing, web      created Wed 21 10:00, never answered: in breach since 14:00
    T9  After-sales, web  created Thu 22 12:30, first answer due 14:30: about to breach
    T10 After-sales, SMS  created Tue 20 10:00, answered Wed 21 08:30 (delivered 08:31),
                          promise missed Wed
                          15:05, customer texts STOP 16:00; resolution was due Thu 09:00
    T11 Billing, email    created Fri 16 08:00, answered 16:00 (late), resolved Wed 21 10:00
                          (late), closed 10:30, asked to rate 10:35, rates 2 with a comment
"""

import csv
import io
import re
from html.parser import HTMLParser

import pytest
from harness import NOW, WEEK, local
from sqlalchemy import select

from ticketing import lifecycle
from ticketing.models import Customer, Outbox
from ticketing.models.enums import Channel, Priority, Role
from ticketing.security import issue_token


def timing(count, in_time, business, calendar) -> dict:
    """business and calendar: (median, p90, mean) in minutes."""
    return {
        "count": count,
        "in_time": in_time,
        "late": count - in_time,
        "in_time_percent": round(100 * in_time / count, 1),
        "business_minutes": dict(zip(("median", "p90", "mean"), business, strict=True)),
        "calendar_minutes": dict(zip(("median", "p90", "mean"), calendar, strict=True)),
    }


# Worked out by hand from the story above.
EXPECTED = {
    # answered in the week: T1 60, T2 30, T3 300 late, T4 30, T7 180, T10 30, T11 480 late
    # (business); calendar T1 60, T2 30, T3 300, T4 30, T7 1530 (over the holiday),
    # T10 1350, T11 480. Seven values: the median is the 4th, p90 sits at 0.4 between the
    # 6th and 7th (300 + 0.4 * 180 = 372; 1350 + 0.4 * 180 = 1422).
    "first_response": timing(7, 5, (60.0, 372.0, 158.6), (300.0, 1422.0, 540.0)),
    # resolved in the week: T0 540, T1 240 (weekend), T2 120 (holiday), T3 900, T4 600,
    # T11 1200 late (business); calendar 1440, 4020, 2460, 4680, 2940, 7320. Six values:
    # the median halves the 3rd and 4th, p90 halves the 5th and 6th.
    "resolution": timing(6, 5, (570.0, 1050.0, 600.0), (3480.0, 6000.0, 3810.0)),
    "charter": {"breached_now": 2, "due_soon": 1},  # T8, T10; T9
    "volume": {
        "created": 9,
        "resolved": 6,
        "closed_for_silence": 1,  # T6; it was resolved before the week, so never "resolved"
        "daily": [
            {"day": "2026-10-16", "created": 3, "resolved": 1},
            {"day": "2026-10-17", "created": 0, "resolved": 0},
            {"day": "2026-10-18", "created": 0, "resolved": 0},
            {"day": "2026-10-19", "created": 2, "resolved": 2},
            {"day": "2026-10-20", "created": 2, "resolved": 0},
            {"day": "2026-10-21", "created": 1, "resolved": 3},
            {"day": "2026-10-22", "created": 1, "resolved": 0},
        ],
        "reopened": {"created": 9, "reopened": 1, "percent": 11.1},
        "channels": {
            "sms": {"created": 4, "resolved": 3, "closed_for_silence": 1},
            "email": {"created": 3, "resolved": 3, "closed_for_silence": 0},
            "web": {"created": 2, "resolved": 0, "closed_for_silence": 0},
            "phone": {"created": 0, "resolved": 0, "closed_for_silence": 0},
            "api": {"created": 0, "resolved": 0, "closed_for_silence": 0},
        },
    },
    "backlog": {  # T7 waiting, T8 and T9 new, T10 open; T9 is 1.5 hours old, the rest 1-3 days
        "total": 4,
        "by_status": {"new": 2, "open": 1, "pending_customer": 1},
        "by_age": [
            {"bucket": "lt1d", "total": 1, "new": 1, "open": 0, "pending_customer": 0},
            {"bucket": "1to3d", "total": 3, "new": 1, "open": 1, "pending_customer": 1},
            {"bucket": "3to7d", "total": 0},
            {"bucket": "7to30d", "total": 0},
            {"bucket": "gt30d", "total": 0},
        ],
        "by_channel": {"sms": 1, "email": 1, "web": 2, "phone": 0, "api": 0},
    },
    "follow_through": {
        "chases": {
            "total": 1,
            "by_step": {"pending_reminder": 0, "confirm_reminder": 1, "fix_check": 0},
        },
        "steps": {"confirm_reminder": 1, "confirm_close": 1, "satisfaction": 2},
        "after_sale": {"confirmed_fixed": 1, "reopened": 1, "closed_by_silence": 1},
        "promises": {"kept": 1, "missed": 1, "kept_percent": 50.0},
    },
    "satisfaction": {
        "surveys": 2,
        "ratings": 2,
        "response_rate_percent": 100.0,
        "average": 3.0,
        "distribution": {"1": 0, "2": 1, "3": 0, "4": 1, "5": 0},
    },
    "delivery": {"opted_out": {"now": 1, "in_period": 1}},
}


def expected_agents(week) -> list[dict]:
    """Otieno: T1-T4 and T10 answered (T3 late), T1-T4 resolved, T9 and T10 open, one promise
    kept and one missed, T1 rated 4. Kamau: T7, T11 answered (T11 late), T0, T11 resolved
    (T11 late), T7 and T8 open, T11 rated 2."""
    return [
        {
            "agent_id": week.kamau.id,
            "name": "Kamau",
            "open": 2,
            "answered": 2,
            "answered_in_time_percent": 50.0,
            "first_response_median_business_minutes": 330.0,
            "resolved": 2,
            "resolved_in_time": 1,
            "resolved_in_time_percent": 50.0,
            "resolution_median_business_minutes": 870.0,
            "closed_for_silence": 0,
            "promises_kept": 0,
            "promises_missed": 0,
            "promises_kept_percent": None,
            "ratings": 1,
            "satisfaction_average": 2.0,
        },
        {
            "agent_id": week.otieno.id,
            "name": "Otieno",
            "open": 2,
            "answered": 5,
            "answered_in_time_percent": 80.0,
            "first_response_median_business_minutes": 30.0,
            "resolved": 4,
            "resolved_in_time": 4,
            "resolved_in_time_percent": 100.0,
            "resolution_median_business_minutes": 420.0,
            "closed_for_silence": 1,
            "promises_kept": 1,
            "promises_missed": 1,
            "promises_kept_percent": 50.0,
            "ratings": 1,
            "satisfaction_average": 4.0,
        },
    ]


def assert_within(actual, expected, path="") -> None:
    """Every value in `expected` is in `actual` (lists item by item, same length)."""
    if isinstance(expected, dict):
        for key, value in expected.items():
            assert key in actual, f"{path}.{key} missing"
            assert_within(actual[key], value, f"{path}.{key}")
    elif isinstance(expected, list):
        assert len(actual) == len(expected), f"{path}: {len(actual)} items"
        for index, (got, want) in enumerate(zip(actual, expected, strict=True)):
            assert_within(got, want, f"{path}[{index}]")
    else:
        assert actual == expected, f"{path}: {actual!r} != {expected!r}"


def flat(data, prefix="") -> dict:
    """{"a.b.c": value} for every number in nested dicts (lists are left out)."""
    if not isinstance(data, dict):
        return {prefix: data}
    found = {}
    for key, value in data.items():
        if not isinstance(value, list):
            found |= flat(value, f"{prefix}.{key}" if prefix else key)
    return found


def api(client, user, path, **args):
    from ticketing.extensions import db

    token = issue_token(user)
    db.session.commit()
    return client.get(path, query_string=args or None, headers={"Authorization": f"Bearer {token}"})


class Figures(HTMLParser):
    """The dashboard's numbers: data-key, data-value, text, link, and whether it counts tickets."""

    def __init__(self, html: str):
        super().__init__()
        self.found, self._open = {}, None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "data-key" in attrs:
            self._open = {
                "value": attrs["data-value"],
                "href": attrs.get("href"),
                "tickets": "data-tickets" in attrs,
                "text": "",
            }
            self.found.setdefault(attrs["data-key"], self._open)

    def handle_data(self, data):
        if self._open is not None:
            self._open["text"] += data

    def handle_endtag(self, tag):
        self._open = None


def test_json_summary_has_every_figure_worked_out_by_hand(client, week):
    response = api(client, week.grace, "/api/v1/reports/summary", **WEEK)
    assert response.status_code == 200, response.data
    data = response.get_json()
    assert data["scope"]["from"] == "2026-10-16" and data["scope"]["to"] == "2026-10-22"
    assert_within(data, EXPECTED)
    assert_within(data["agents"], expected_agents(week))


def dashboard(client, login, week, **args) -> tuple[str, dict]:
    login(client, week.grace)
    response = client.get("/reports/", query_string=WEEK | args)
    assert response.status_code == 200, response.data[:500]
    html = response.get_data(as_text=True)
    return html, Figures(html).found


def queue_total(client, href: str) -> int:
    response = client.get(href)
    assert response.status_code == 200, (href, response.data[:300])
    return int(re.search(r"(\d+) tickets?</span>", response.get_data(as_text=True)).group(1))


def test_dashboard_shows_the_same_figures(client, login, week):
    html, found = dashboard(client, login, week)
    shown = {
        key: value
        for key, value in flat(EXPECTED).items()
        if not key.startswith("follow_through.steps")
    }
    for key, value in shown.items():
        assert key in found, f"{key} is not on the dashboard"
        assert found[key]["value"] == ("" if value is None else str(value)), key
    for row in expected_agents(week):
        for field in (
            "open",
            "answered",
            "resolved",
            "answered_in_time_percent",
            "first_response_median_business_minutes",
            "promises_kept_percent",
            "resolution_median_business_minutes",
            "satisfaction_average",
            "closed_for_silence",
        ):
            value = row[field]
            assert found[f"agents.{row['agent_id']}.{field}"]["value"] == (
                "" if value is None else str(value)
            ), (row["name"], field)
    texts = {key: found[key]["text"] for key in found}
    assert texts["first_response.business_minutes.median"] == "1 h 00 min"
    assert texts["resolution.business_minutes.median"] == "9 h 30 min"
    assert texts["resolution.calendar_minutes.p90"] == "4 d 4 h"
    assert texts["first_response.in_time_percent"] == "71.4%"
    assert texts["delivery.failures.sms.21211"] == "1"
    assert "Mashujaa" not in html and "16 Oct 2026 to 22 Oct 2026" in html
    assert html.count("<svg") >= 2 and "<script" not in html.split("<main")[1]


def test_every_ticket_count_opens_a_queue_of_exactly_those_tickets(client, login, week):
    _, found = dashboard(client, login, week)
    counts = {key: f for key, f in found.items() if f["tickets"]}
    assert len(counts) > 40
    for key, figure in counts.items():
        assert queue_total(client, figure["href"]) == int(figure["value"]), key
    for key, figure in found.items():
        if figure["href"]:
            assert client.get(figure["href"]).status_code == 200, key
    late = client.get(found["first_response.late"]["href"]).get_data(as_text=True)
    assert {week.refs["T3"], week.refs["T11"]} == {r for r in week.refs.values() if r in late}


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_csv_exports_carry_the_same_figures(client, login, week):
    login(client, week.grace)
    figures = dict(csv_rows(client.get("/reports/export/figures.csv", query_string=WEEK))[1:])
    for key, value in flat(EXPECTED).items():
        assert figures[key] == ("" if value is None else str(value)), key
    times = csv_rows(client.get("/reports/export/times.csv", query_string=WEEK))
    assert times[2] == [
        "resolution",
        "6",
        "5",
        "1",
        "83.3",
        "570.0",
        "1050.0",
        "600.0",
        "3480.0",
        "6000.0",
        "3810.0",
    ]
    daily = csv_rows(client.get("/reports/export/daily.csv", query_string=WEEK))
    assert daily[1:] == [
        [d["day"], str(d["created"]), str(d["resolved"])] for d in EXPECTED["volume"]["daily"]
    ]
    agents = csv_rows(client.get("/reports/export/agents.csv", query_string=WEEK))
    assert [row[1] for row in agents[1:]] == ["Kamau", "Otieno"]
    assert (
        dict(zip(agents[0], agents[2], strict=True))["resolution_median_business_minutes"]
        == "420.0"
    )
    assert client.get("/reports/export/nothing.csv", query_string=WEEK).status_code == 404


def test_the_tickets_behind_a_number_export_as_csv_and_json(client, login, week):
    login(client, week.grace)
    rows = csv_rows(
        client.get(
            "/reports/tickets.csv",
            query_string=WEEK | {"view": "all", "status": "", "figure": "resolved_late"},
        )
    )
    assert [row[0] for row in rows[1:]] == [week.refs["T11"]]
    assert rows[1][rows[0].index("resolution_business_minutes")] == "1200"
    found = api(client, week.grace, "/api/v1/reports/tickets", figure="breached", **WEEK)
    assert {t["reference"] for t in found.get_json()["tickets"]} == {
        week.refs["T8"],
        week.refs["T10"],
    }
    created = api(
        client, week.grace, "/api/v1/reports/tickets", figure="created", per_page=100, **WEEK
    ).get_json()
    assert created["total"] == 9 and week.refs["T5"] not in str(created)  # merged: nowhere
    table = api(client, week.grace, "/api/v1/reports/backlog", **WEEK).get_json()
    assert table["rows"][1] == {
        "age": "1-3 days",
        "new": 1,
        "open": 1,
        "pending_customer": 1,
        "total": 3,
    }


@pytest.mark.parametrize(
    "filters, created, resolved, answered, breached",
    [
        ({"department": "after"}, 6, 4, 5, 1),  # T3 counts where it was transferred to
        ({"department": "billing"}, 3, 2, 2, 1),
        ({"channel": "sms"}, 4, 3, 4, 1),
        ({"agent": "kamau"}, 3, 2, 2, 1),
        ({"category": "after_sale", "priority": "high"}, 1, 1, 1, 0),  # T4, high since reopened
    ],
)
def test_filters_narrow_every_figure(client, week, filters, created, resolved, answered, breached):
    ids = {"after": week.after.id, "billing": week.billing.id, "kamau": week.kamau.id}
    args = {k: ids.get(v, v) for k, v in filters.items()}
    data = api(client, week.grace, "/api/v1/reports/summary", **WEEK, **args).get_json()
    assert (
        data["volume"]["created"],
        data["volume"]["resolved"],
        data["first_response"]["count"],
        data["charter"]["breached_now"],
    ) == (created, resolved, answered, breached)


def test_delivery_counts_every_message_owed_to_customers(client, week):
    """The only hand-made delivery facts are the failure and the opt-out; the rest is checked
    against the outbox rows themselves, counted here in Python."""
    from ticketing.extensions import db

    data = api(client, week.grace, "/api/v1/reports/summary", **WEEK).get_json()["delivery"]
    assert data["failures"] == [{"channel": "sms", "code": "21211", "count": 1}]
    states = {
        "pending": "waiting",
        "queued": "waiting",
        "sent": "sent",
        "delivered": "delivered",
        "failed": "failed",
        "suppressed": "suppressed",
    }
    start, end = local("2026-10-16 00:00"), local("2026-10-23 00:00")
    counted = {"sms": dict.fromkeys(states.values(), 0), "email": dict.fromkeys(states.values(), 0)}
    for row in db.session.scalars(select(Outbox).where(Outbox.user_id.is_(None))):
        if start <= row.created_at < end and row.channel.value in counted:
            counted[row.channel.value][states[row.status.value]] += 1
    assert data["channels"] == counted
    assert counted["sms"]["failed"] == 1 and counted["sms"]["suppressed"] >= 1  # after STOP
    assert sum(counted["email"].values()) > 0


def test_percentiles_are_percentile_cont_on_both_databases(app, db):
    """PostgreSQL's percentile_cont and the window-function form agree with each other and
    with Python's linear interpolation, for odd, even, tied and single-value sets."""
    import random
    import statistics

    from ticketing.models import Department, Ticket
    from ticketing.stats import sql

    department = Department(name="Numbers")
    customer = Customer(name="Many")
    db.session.add_all([department, customer])
    rng = random.Random(7)
    sets = {
        1: [42],
        2: [5, 10],
        3: [7, 7, 7],
        4: [rng.randrange(0, 5000) for _ in range(101)],
        5: [rng.randrange(0, 90) for _ in range(64)],
    }
    for group, values in sets.items():
        db.session.add_all(
            Ticket(
                subject="n",
                customer=customer,
                department=department,
                channel=Channel.WEB,
                priority=Priority.NORMAL,
                reopened_count=group,
                first_response_business_minutes=value,
                follow_ups_done=[],
            )
            for value in values
        )
    db.session.commit()
    value = {"v": Ticket.first_response_business_minutes}
    methods = ["window"] + (["ordered_set"] if sql.dialect() == "postgresql" else [])
    results = [sql.distribution([], value, group=Ticket.reopened_count, method=m) for m in methods]
    for group, values in sets.items():
        deciles = (
            statistics.quantiles(values, n=10, method="inclusive")
            if len(values) > 1
            else [values[0]] * 9
        )
        for result in results:
            figures = result[group]["v"]
            assert figures["median"] == pytest.approx(statistics.median(values), abs=1e-9)
            assert figures["p90"] == pytest.approx(deciles[8], abs=1e-9)
            assert figures["mean"] == pytest.approx(statistics.fmean(values), abs=1e-9)
            assert result[group]["count"] == len(values)
    assert all(result == results[0] for result in results)


@pytest.mark.parametrize(
    "args, message",
    [
        ({"period": "fortnight"}, "The period must be one of"),
        ({"period": "custom", "from": "2026-13-01"}, "&#39;from&#39; must be a date"),
        ({"period": "custom", "from": "2026-10-22", "to": "2026-10-01"}, "must not be after"),
        ({"period": "custom", "from": "2020-01-01", "to": "2026-01-01"}, "at most 366 days"),
        ({"department": "1 OR 1=1"}, "&#39;department&#39; must be the number"),
        ({"channel": "<script>"}, "&#39;channel&#39; must be one of"),
        ({"from": "x" * 100_000}, "must be a date"),
    ],
)
def test_bad_periods_and_filters_get_a_clear_400(client, login, staff, args, message):
    boss = staff("grace", role=Role.SUPERVISOR)
    login(client, boss)
    page = client.get("/reports/", query_string=args)
    assert page.status_code == 400 and message in page.get_data(as_text=True)
    assert "<script>" not in page.get_data(as_text=True)
    assert client.get("/reports/export/times.csv", query_string=args).status_code == 400
    answer = api(client, boss, "/api/v1/reports/summary", **args)
    assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "invalid_filter"


@pytest.mark.parametrize(
    "args",
    [
        {"figure": "everything"},
        {"figure": "open", "part": "old"},
        {"figure": "rated", "part": "9"},
        {"figure": "messages", "part": "pigeon.sent"},
        {"figure": "created", "period": "decade"},
    ],
)
def test_a_malformed_link_to_the_tickets_behind_a_number_is_refused(client, login, staff, args):
    boss = staff("grace", role=Role.SUPERVISOR)
    login(client, boss)
    assert client.get("/agent/", query_string={"view": "all"} | args).status_code == 400
    assert client.get("/reports/tickets.csv", query_string=args).status_code == 400
    answer = api(client, boss, "/api/v1/reports/tickets", **args)
    assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "invalid_filter"


def test_reports_are_for_supervisors_and_admins_only(client, login, staff, department):
    otieno = staff("otieno", departments=[department("General")])
    assert client.get("/reports/").status_code == 302  # to the sign-in page
    assert client.get("/reports/export/times.csv").status_code == 302
    assert client.get("/api/v1/reports/summary").status_code == 401
    login(client, otieno)
    for path in (
        "/reports/",
        "/reports/export/agents.csv",
        "/reports/tickets.csv?figure=open",
        "/reports/static/reports.css",
    ):
        assert client.get(path).status_code == 403, path
    for path in (
        "/api/v1/reports/summary",
        "/api/v1/reports/agents",
        "/api/v1/reports/tickets?figure=open",
    ):
        answer = api(client, otieno, path)
        assert answer.status_code == 403 and answer.get_json()["error"]["code"] == "forbidden"
    admin = staff("amani", role=Role.ADMIN)
    assert api(client, admin, "/api/v1/reports/summary").status_code == 200


def test_an_empty_helpdesk_reports_zeros_and_dashes(client, login, staff, clock):
    clock.set(local(NOW))
    login(client, staff("grace", role=Role.SUPERVISOR))
    page = client.get("/reports/?period=today")
    assert page.status_code == 200
    found = Figures(page.get_data(as_text=True)).found
    assert found["first_response.business_minutes.median"]["text"] == "—"
    assert found["charter.breached_now"]["text"] == "0"
    data = api(
        client, staff("amani", role=Role.ADMIN), "/api/v1/reports/summary", period="today"
    ).get_json()
    assert data["first_response"]["in_time_percent"] is None
    assert data["scope"]["from"] == data["scope"]["to"] == "2026-10-22"


def test_exports_keep_spreadsheet_formulas_as_text(client, login, staff, department, clock, db):
    clock.set(local(NOW))
    general = department("General")
    customer = Customer(name='=HYPERLINK("http://evil","x")', email="evil@example.com")
    db.session.add(customer)
    db.session.commit()
    lifecycle.open_ticket(
        customer, subject="+cmd|' /C calc'!A0", body="-2+3", channel=Channel.WEB, department=general
    )
    db.session.commit()
    login(client, staff("grace", role=Role.SUPERVISOR))
    rows = csv_rows(client.get("/reports/tickets.csv?period=today&status=&figure=created"))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["subject"] == "'+cmd|' /C calc'!A0"
    assert row["customer"] == '\'=HYPERLINK("http://evil","x")'
    response = client.get("/reports/tickets.csv?figure=created&period=today")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("attachment;")


def test_a_late_evening_ticket_counts_on_its_nairobi_day(client, staff, department, clock, db):
    """23:30 in Nairobi is 20:30 UTC: the ticket belongs to that Nairobi day, not the next."""
    general = department("General")
    customer = Customer(name="Night owl", phone="+254712999999")
    db.session.add(customer)
    for when in ("2026-10-21 23:30", "2026-10-22 00:30"):
        clock.set(local(when))
        lifecycle.open_ticket(
            customer, subject="late", body="late", channel=Channel.SMS, department=general
        )
    db.session.commit()
    clock.set(local(NOW))
    daily = api(
        client, staff("grace", role=Role.SUPERVISOR), "/api/v1/reports/daily", period="7d"
    ).get_json()["rows"]
    assert daily[-2:] == [
        {"day": "2026-10-21", "created": 1, "resolved": 0},
        {"day": "2026-10-22", "created": 1, "resolved": 0},
    ]
    assert daily[0]["day"] == "2026-10-16"


def test_charts_are_accessible_svg_with_the_numbers_as_a_table(client, login, week):
    html, _ = dashboard(client, login, week)
    for chart in ("chart-trend", "chart-backlog"):
        figure = html.split(f'<figure class="chart" id="{chart}">')[1].split("</figure>")[0]
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in figure
        assert f'<title id="{chart}-title">' in figure and f'<desc id="{chart}-desc">' in figure
        assert "<table" in figure and "<details" in figure
    assert "9 tickets created (bars) and 6 resolved" in html
    assert "4 open tickets by age: under 1 day 1; 1-3 days 3;" in html


def test_every_report_endpoint_is_in_the_openapi_document(client, web):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    routes = {
        rule.rule.removeprefix("/api/v1").replace("<name>", "{table}")
        for rule in web.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/reports")
    }
    assert routes == {"/reports/summary", "/reports/{table}", "/reports/tickets"}
    assert routes <= set(paths)
    names = {p["name"] for p in paths["/reports/summary"]["get"]["parameters"]}
    assert names == {
        "period",
        "from",
        "to",
        "department",
        "agent",
        "channel",
        "priority",
        "category",
    }


def test_the_csv_links_on_the_dashboard_export_the_tickets_behind_them(client, login, week):
    html, _ = dashboard(client, login, week)
    links = {
        re.search(r"figure=(\w+)", href).group(1): href.replace("&amp;", "&")
        for href in re.findall(r'href="(/reports/tickets\.csv[^"]*)"', html)
    }
    expected = {
        "answered": 7,
        "resolved": 6,
        "closed_for_silence": 1,
        "created": 9,
        "open": 4,
        "breached": 2,
    }
    assert {
        figure: len(csv_rows(client.get(href))) - 1 for figure, href in links.items()
    } == expected
