"""The agent queue page with many tickets: p50 and p95 of the pages agents open all day."""

import statistics
import time

from bench._data import PASSWORD, bench_app, fill, reset_schema
from ticketing.extensions import db
from ticketing.models import User
from ticketing.models.enums import Role

REQUESTS = 20
TARGET_MS = 200
PAGES = {
    "my departments": "/agent/?view=departments",
    "all, supervisor": "/agent/?view=all",
    "overdue": "/agent/?view=overdue",
    "search subject": "/agent/?view=all&q=haipoi+1234",
    "search reference": "/agent/?view=all&q=FT-22A9K",
    "filter status+channel": "/agent/?view=all&status=pending_customer&channel=sms",
    "page 50": "/agent/?view=all&page=50",
}


def run(database_url: str, size: int) -> list[dict]:
    app = bench_app(database_url)
    with app.app_context():
        reset_schema()
        ids = fill(size)
        supervisor = User(email="boss@bench.test", name="Boss", role=Role.SUPERVISOR)
        supervisor.set_password(PASSWORD)
        db.session.add(supervisor)
        db.session.commit()
        agent = db.session.get(User, ids["agent_id"])
        logins = {"agent": agent.email, "supervisor": supervisor.email}
    kind = database_url.split(":", 1)[0].split("+")[0]
    rows = []
    for name, path in PAGES.items():
        email = logins["agent" if "departments" in name else "supervisor"]
        timings = _time_page(app, path, email)
        rows.append(
            {
                "bench": "queue page",
                "database": kind,
                "size": size,
                "metric": f"{name} p50",
                "value": round(statistics.median(timings), 1),
                "unit": "ms",
                "target": "",
            }
        )
        rows.append(
            {
                "bench": "queue page",
                "database": kind,
                "size": size,
                "metric": f"{name} p95",
                "value": round(_p95(timings), 1),
                "unit": "ms",
                "target": f"< {TARGET_MS}",
            }
        )
    return rows


def _time_page(app, path: str, email: str) -> list[float]:
    client = app.test_client()
    signed_in = client.post("/auth/login", data={"email": email, "password": PASSWORD})
    assert signed_in.status_code == 302, signed_in.status_code
    timings = []
    for _ in range(REQUESTS + 2):
        started = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return timings[2:]  # the first two warm caches


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
