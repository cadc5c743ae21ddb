"""The supervisor dashboard over a year of history: p50 and p95 of /reports per period.

A year of tickets (`size` of them) with the rows the reports read beside them: events
(created, status changes with reasons, follow-ups, ratings, opt-outs), promises and outbox
messages. They go in with COPY on PostgreSQL and executemany on SQLite, never the ORM.
"""

import json
import random
import statistics
import time
from array import array
from datetime import datetime, timedelta

from sqlalchemy import text

from bench._data import (
    PASSWORD,
    already_loaded,
    bench_app,
    database_mib,
    mark_loaded,
    reset_schema,
)
from ticketing import hours
from ticketing.extensions import db
from ticketing.models import CharterTarget, Department, User
from ticketing.models.enums import Priority, Role
from ticketing.models.tickets import REFERENCE_ALPHABET
from ticketing.models.times import to_micros
from ticketing.stats import rollup

REQUESTS = 20
ROLLUP_DAYS = 120  # the quarter and a month
TARGET_MS = 500
DAYS = 365
CATEGORIES = ["general", "sales", "delivery", "after_sale", "billing"]
CHANNELS = ["sms"] * 8 + ["email"] * 6 + ["web"] * 5 + ["phone", "api"]
PRIORITIES = ["normal"] * 12 + ["high"] * 4 + ["low"] * 2 + ["urgent"] * 2
OPEN, STATUSES = (
    ("new", "open", "pending_customer"),
    ["new", "open", "pending_customer", "resolved", "closed"],
)
PAGES = {
    "7 days": "/reports/",
    "30 days": "/reports/?period=30d",
    "quarter": "/reports/?period=quarter",
    "30 days, one department": "/reports/?period=30d&department={department}",
    "API summary, 30 days": "/api/v1/reports/summary?period=30d",
}


def run(database_url: str, size: int) -> list[dict]:
    app = bench_app(database_url)
    started = time.perf_counter()
    with app.app_context():
        if already_loaded("reports", size):
            people = _people_loaded()
        else:
            reset_schema()
            people = _people()
            _fill(size, people, hours.now())
            mark_loaded("reports", size)
        filled = time.perf_counter() - started
        per_100k = round(database_mib() * 100_000 / size, 1)
    kind = database_url.split(":", 1)[0].split("+")[0]
    rows = [
        _row(kind, size, "fill time", round(filled), "s", ""),
        # the rows the reports read: tickets, events, promises, outbox (no message threads)
        _row(kind, size, "database size per 100k tickets", per_100k, "MiB", ""),
    ]
    started = time.perf_counter()
    with app.app_context():  # what an operator runs after the upgrade (flask rebuild-rollups)
        last = rollup.local_date(hours.now(), rollup.timezone()) - timedelta(days=1)
        rollup.rebuild(last - timedelta(days=ROLLUP_DAYS - 1), last)
    built = time.perf_counter() - started
    rows.append(_row(kind, size, f"rollup build, {ROLLUP_DAYS} days", round(built), "s", ""))
    for name, path in PAGES.items():
        timings = _time(app, path.format(department=people["departments"][2]), people["token"])
        rows.append(_row(kind, size, f"{name} p50", round(statistics.median(timings), 1), "ms", ""))
        rows.append(
            _row(
                kind,
                size,
                f"{name} p95",
                round(_p95(timings), 1),
                "ms",
                f"< {TARGET_MS}" if name == "7 days" else "",
            )
        )  # the default view
    return rows


def _row(kind, size, metric, value, unit, target) -> dict:
    return {
        "bench": "reports dashboard",
        "database": kind,
        "size": size,
        "metric": metric,
        "value": value,
        "unit": unit,
        "target": target,
    }


def _people() -> dict:
    from ticketing.security import issue_token

    departments = [
        Department(
            name=name,
            is_default=i == 0,
            targets=[
                CharterTarget(priority=p, first_response_minutes=m, resolution_minutes=m * 4)
                for p, m in (
                    (Priority.URGENT, 60),
                    (Priority.HIGH, 120),
                    (Priority.NORMAL, 240),
                    (Priority.LOW, 480),
                )
            ],
        )
        for i, name in enumerate(("General", "Sales", "After-sales service", "Billing"))
    ]
    agents = [
        User(
            email=f"agent{n}@bench.test",
            name=f"Agent {n:02d}",
            role=Role.AGENT,
            password_hash="x",
            departments=[departments[n % 4]],
        )
        for n in range(24)
    ]
    boss = User(email="grace@bench.test", name="Grace", role=Role.SUPERVISOR, password_hash="x")
    boss.set_password(PASSWORD)
    db.session.add_all(departments + agents + [boss])
    db.session.flush()
    token = issue_token(boss)
    db.session.commit()
    return {
        "departments": [d.id for d in departments],
        "token": token,
        "agents": {d.id: [a.id for a in agents if d in a.departments] for d in departments},
    }


def _people_loaded() -> dict:
    """The ids and a fresh API token from a database loaded before (--reuse)."""
    from ticketing.security import issue_token

    departments = db.session.scalars(db.select(Department).order_by(Department.id)).all()
    boss = db.session.scalars(db.select(User).filter_by(email="grace@bench.test")).one()
    token = issue_token(boss)
    db.session.commit()
    return {"departments": [d.id for d in departments], "token": token}


class Facts:
    """What each ticket went through, in compact arrays: every table is generated from it."""

    def __init__(self, size: int, people: dict, now: datetime, rng: random.Random):
        self.now, self.size = now, size
        self.created, self.answered, self.resolved, self.closed = (array("d") for _ in range(4))
        self.status, self.category, self.department, self.assignee, self.score = (
            array("i") for _ in range(5)
        )
        departments = people["departments"]
        ages = sorted((rng.random() * DAYS * 86400 for _ in range(size)), reverse=True)
        for age in ages:  # oldest first: ids follow time, as in a real helpdesk
            category = rng.randrange(len(CATEGORIES))
            department = departments[{3: 2, 4: 3, 1: 1, 2: 1}.get(category, 0)]
            status = _status(rng, age)
            answered = rng.expovariate(1 / 5400) if status else -1
            resolved = answered + rng.expovariate(1 / 90000) if status >= 3 else -1
            closed = resolved + rng.uniform(3600, 5 * 86400) if status == 4 else -1
            if max(answered, resolved, closed) > age:  # history cannot pass today
                status, answered, resolved, closed = 1, min(answered, age / 2), -1, -1
            self.created.append(age)
            self.answered.append(answered)
            self.resolved.append(resolved)
            self.closed.append(closed)
            self.status.append(status)
            self.category.append(category)
            self.department.append(department)
            self.assignee.append(
                rng.choice(people["agents"][department]) if rng.random() < 0.92 else 0
            )
            self.score.append(
                rng.choice((2, 3, 4, 4, 5, 5)) if status == 4 and rng.random() < 0.3 else 0
            )

    def at(self, age: float, after: float = 0) -> datetime:
        return self.now - timedelta(seconds=age) + timedelta(seconds=after)


def _status(rng: random.Random, age: float) -> int:
    """Index in STATUSES: the newer the ticket, the likelier it is still in progress."""
    days = age / 86400
    in_progress = 0.6 if days < 2 else 0.3 if days < 7 else 0.15 if days < 14 else 0.003
    if rng.random() < in_progress:
        return rng.choices(range(3), (25, 45, 30))[0]
    return 3 if days < 7 and rng.random() < 0.5 else 4


def _fill(size: int, people: dict, now: datetime) -> None:
    rng = random.Random(2026)
    customers = max(size // 3, 1)
    _load(
        "customers",
        ["id", "name", "phone", "language", "created_at"],
        ((n + 1, f"Customer {n}", f"+2547{n:08d}", "en", now) for n in range(customers)),
    )
    _load(  # one customer in a hundred has told our number STOP
        "opt_outs",
        ["customer_id", "line", "source", "created_at"],
        ((n + 1, "*", "SMS STOP", now) for n in range(customers) if rng.random() < 0.01),
    )
    facts = Facts(size, people, now, rng)
    _load("tickets", TICKET_COLUMNS, _tickets(facts, customers, rng))
    _load(
        "events",
        ["ticket_id", "customer_id", "kind", "data", "created_at"],
        _events(facts),
        in_time_order=True,
    )
    _load(
        "promises",
        ["ticket_id", "agent_id", "description", "due_at", "status", "settled_at", "created_at"],
        _promises(facts, rng),
        in_time_order=True,
    )
    _load(
        "outbox",
        [
            "ticket_id",
            "customer_id",
            "channel",
            "kind",
            "recipient",
            "subject",
            "body",
            "html",
            "is_automatic",
            "status",
            "attempts",
            "error_code",
            "created_at",
        ],
        _outbox(facts, rng),
        in_time_order=True,
    )
    _finish()


TICKET_COLUMNS = [
    "id",
    "reference",
    "token",
    "subject",
    "customer_id",
    "department_id",
    "assignee_id",
    "status",
    "priority",
    "category",
    "channel",
    "created_at",
    "updated_at",
    "status_changed_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "first_response_due_at",
    "resolution_due_at",
    "due_at",
    "first_response_business_minutes",
    "resolution_business_minutes",
    "follow_ups_done",
    "reopened_count",
    "satisfaction_score",
    "satisfaction_comment",
]


def _tickets(facts: Facts, customers: int, rng: random.Random):
    for i in range(facts.size):
        age, status = facts.created[i], STATUSES[facts.status[i]]
        answered, resolved, closed = facts.answered[i], facts.resolved[i], facts.closed[i]
        created = facts.at(age)
        first_due, resolution_due = created + timedelta(hours=4), created + timedelta(hours=30)
        due = (
            None
            if status not in ("new", "open")
            else (first_due if answered < 0 else resolution_due)
        )
        yield (
            i + 1,
            _reference(i),
            f"t{i:010d}{rng.getrandbits(48):012x}",
            f"Ticket {i}",
            i % customers + 1,
            facts.department[i],
            facts.assignee[i] or None,
            status,
            rng.choice(PRIORITIES),
            CATEGORIES[facts.category[i]],
            rng.choice(CHANNELS),
            created,
            created,
            created,
            facts.at(age, answered) if answered >= 0 else None,
            facts.at(age, resolved) if resolved >= 0 else None,
            facts.at(age, closed) if closed >= 0 else None,
            first_due,
            resolution_due,
            due,
            int(answered / 120) if answered >= 0 else None,
            int(resolved / 150) if resolved >= 0 else None,
            "[]",
            int(rng.random() < 0.05),
            facts.score[i] or None,
            "Quick and kind" if facts.score[i] and i % 10 == 0 else None,
        )


def _events(facts: Facts):
    for i in range(facts.size):
        age, ticket, after_sale = facts.created[i], i + 1, facts.category[i] == 3
        yield ticket, None, "created", "{}", facts.at(age)
        if facts.resolved[i] >= 0:
            yield (
                ticket,
                None,
                "status",
                '{"old": "open", "new": "resolved"}',
                facts.at(age, facts.resolved[i]),
            )
        if facts.closed[i] < 0:
            continue
        closed = facts.closed[i]
        reason = (
            ("customer confirmed the fix" if i % 3 else "no answer after the fix")
            if after_sale
            else "resolved, no further word"
        )
        if after_sale and not i % 3:
            yield (
                ticket,
                None,
                "follow_up",
                '{"step": "confirm_reminder"}',
                facts.at(age, closed - 3 * 86400),
            )
        yield (
            ticket,
            None,
            "status",
            json.dumps({"old": "resolved", "new": "closed", "reason": reason}),
            facts.at(age, closed),
        )
        if i % 5:
            yield ticket, None, "follow_up", '{"step": "satisfaction"}', facts.at(age, closed + 300)
        if facts.score[i]:
            yield (
                ticket,
                None,
                "rated",
                json.dumps({"score": facts.score[i]}),
                facts.at(age, closed + 3600),
            )


def _promises(facts: Facts, rng: random.Random):
    for i in range(0, facts.size, 10):
        if facts.answered[i] < 0 or not facts.assignee[i]:
            continue
        due = facts.at(facts.created[i], facts.answered[i] + 86400)
        state = rng.choices(("kept", "missed", "open"), (80, 15, 5))[0]
        settled = None if state == "open" or due > facts.now else due
        yield (
            i + 1,
            facts.assignee[i],
            "Call back",
            due,
            state if settled else "open",
            settled,
            facts.at(facts.created[i], facts.answered[i]),
        )


def _outbox(facts: Facts, rng: random.Random):
    for i in range(facts.size):
        age, ticket = facts.created[i], i + 1
        moments = [0] + [
            x for x in (facts.answered[i], facts.resolved[i], facts.closed[i]) if x >= 0
        ]
        channel = "sms" if i % 5 < 3 else "email"
        for after in moments:
            failed = rng.random() < 0.02
            yield (
                ticket,
                i % (facts.size // 3 or 1) + 1,
                channel,
                "update",
                f"+2547{i:08d}",
                "",
                "Your ticket was updated",
                "",
                True,
                "failed" if failed else "delivered",
                1,
                rng.choice(("30003", "30005", "21211")) if failed else None,
                facts.at(age, after),
            )


def _reference(index: int) -> str:
    letters = []
    for _ in range(6):
        index, digit = divmod(index, len(REFERENCE_ALPHABET))
        letters.append(REFERENCE_ALPHABET[digit])
    return "FT-" + "".join(reversed(letters))


def _load(table: str, columns: list[str], rows, in_time_order: bool = False) -> None:
    """COPY on PostgreSQL; executemany in chunks on SQLite (times as ticketing/models/times.py
    stores them). `in_time_order`: rows go through a staging table and in by created_at, as a
    live system appends them, so a period's rows sit together on disk."""
    names = ", ".join(columns)
    target = f"staging_{table}" if in_time_order else table
    if in_time_order:
        db.session.execute(
            text(f"CREATE TEMPORARY TABLE {target} AS SELECT {names} FROM {table} WHERE 1 = 0")
        )
    connection = db.session.connection().connection.driver_connection
    if db.engine.dialect.name == "postgresql":
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
    else:
        sql = f"INSERT INTO {target} ({names}) VALUES ({', '.join('?' * len(columns))})"
        chunk = []
        for row in rows:
            chunk.append(tuple(_sqlite(v) for v in row))
            if len(chunk) == 20_000:
                connection.executemany(sql, chunk)
                chunk = []
        connection.executemany(sql, chunk)
    if in_time_order:
        db.session.execute(
            text(f"INSERT INTO {table} ({names}) SELECT {names} FROM {target} ORDER BY created_at")
        )
        db.session.execute(text(f"DROP TABLE {target}"))
    db.session.commit()


def _sqlite(value):
    if isinstance(value, datetime):
        return to_micros(value)
    return int(value) if isinstance(value, bool) else value


def _finish() -> None:
    if db.engine.dialect.name == "postgresql":
        for table in ("customers", "tickets"):
            db.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            )
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as vacuum:
            vacuum.execute(text("VACUUM ANALYZE"))  # a live database is vacuumed too
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def _time(app, path: str, token: str) -> list[float]:
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"} if path.startswith("/api/") else {}
    if not headers:
        signed_in = client.post(
            "/auth/login", data={"email": "grace@bench.test", "password": PASSWORD}
        )
        assert signed_in.status_code == 302, signed_in.status_code
    timings = []
    for _ in range(REQUESTS + 2):
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return timings[2:]  # the first two warm caches


def _p95(values: list[float]) -> float:
    """Linear interpolation, as percentile_cont does."""
    return statistics.quantiles(values, n=20, method="inclusive")[18]
