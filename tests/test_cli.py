"""Administration commands and the health check."""

from harness import eat
from sqlalchemy import func, select

from ticketing.models import Department, Ticket, User
from ticketing.models.enums import Status


def test_init_db_is_idempotent(app):
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
        assert "newest schema" in result.output


def test_seed_demo_makes_the_stories_once(db, app, clock):
    """Seeded as of a fixed Wednesday morning: the demo's history is played up to "now", so an
    unfrozen clock would make the statuses it reaches depend on the day the suite runs."""
    clock.set(eat(2026, 12, 2, 10, 30))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo", "--tickets", "40"])
    assert result.exit_code == 0, result.output
    assert "grace@fuatilia.test" in result.output
    names = set(db.session.scalars(select(Department.name)))
    assert {"Sales", "After-sales service", "Billing"} <= names
    statuses = set(db.session.scalars(select(Ticket.status)))
    assert {
        Status.NEW,
        Status.OPEN,
        Status.PENDING_CUSTOMER,
        Status.RESOLVED,
        Status.CLOSED,
    } <= statuses
    fridge = db.session.scalar(select(Ticket).where(Ticket.subject.like("Friji%")))
    assert fridge.customer.language.value == "sw" and fridge.promises
    count = db.session.scalar(select(func.count(Ticket.id)))
    again = runner.invoke(args=["seed-demo"])
    assert "already seeded" in again.output
    assert db.session.scalar(select(func.count(Ticket.id))) == count


def test_create_user_and_token(db, app, client, department):
    department("Billing")
    runner = app.test_cli_runner()
    short = runner.invoke(
        args=["create-user", "asha@fuatilia.test", "--name", "Asha", "--department", "Billing"],
        input="short\nshort\n",
    )
    assert short.exit_code != 0 and "10 characters" in short.output
    made = runner.invoke(
        args=["create-user", "asha@fuatilia.test", "--name", "Asha", "--department", "Billing"],
        input="long enough password\nlong enough password\n",
    )
    assert made.exit_code == 0, made.output
    user = db.session.scalar(select(User).where(User.email == "asha@fuatilia.test"))
    assert [d.name for d in user.departments] == ["Billing"]
    token = runner.invoke(args=["create-token", "asha@fuatilia.test"]).output.strip()
    response = client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    missing = runner.invoke(args=["create-token", "nobody@fuatilia.test"])
    assert missing.exit_code != 0 and "no user" in missing.output


def test_follow_ups_run_refuses_a_bad_time(app):
    result = app.test_cli_runner().invoke(args=["follow-ups", "run", "--at", "next tuesday"])
    assert result.exit_code != 0 and "--at" in result.output


def test_healthz_reports_every_part(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json
    assert body["database"] == "ok" and body["redis"] == "ok" and body["status"] == "ok"
    assert set(body["queues"]) == {"inbound", "outbound", "default"}
    assert body["oldest_pending_outbox_seconds"] == 0


def test_healthz_says_503_when_redis_is_down(make_app, app):
    broken = make_app(REDIS_URL="redis://127.0.0.1:1/0").test_client()
    response = broken.get("/healthz")
    assert response.status_code == 503
    assert response.json["redis"].startswith("error") and response.json["database"] == "ok"
