"""Bulk test data for the benchmarks: a migrated database with `size` tickets, fast.

Rows go in with multi-row Core INSERTs in chunks (not the ORM per row), so a million tickets
take about a minute on PostgreSQL.
"""

import random
from datetime import timedelta

from sqlalchemy import insert, text
from werkzeug.security import generate_password_hash

from ticketing import create_app, hours
from ticketing.extensions import db
from ticketing.models import Customer, Department, Ticket, User
from ticketing.models.enums import Category, Channel, Priority, Role, Status
from ticketing.models.tickets import REFERENCE_ALPHABET

CHUNK = 10_000
PASSWORD = "bench-password"
STATUS_MIX = (
    [Status.CLOSED] * 60
    + [Status.RESOLVED] * 10
    + [Status.OPEN] * 15
    + [Status.NEW] * 8
    + [Status.PENDING_CUSTOMER] * 7
)


def bench_app(database_url: str, redis_url: str = "redis://127.0.0.1:6379/13"):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "REDIS_URL": redis_url,
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "TESTING": True,
        }
    )


def reset_schema() -> None:
    from flask import current_app
    from flask_migrate import upgrade

    db.drop_all()
    db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
    db.session.commit()
    upgrade(directory=str(current_app.config["MIGRATIONS_DIR"]))


def fill(size: int, *, due_fraction: float = 0.0, seed: int = 7) -> dict:
    """Departments, 20 agents, size/3 customers and `size` tickets; returns ids for queries."""
    rng = random.Random(seed)
    now = hours.now()
    departments = [
        Department(name=n, is_default=i == 0)
        for i, n in enumerate(("General", "Sales", "After-sales service", "Billing"))
    ]
    db.session.add_all(departments)
    db.session.flush()
    password_hash = generate_password_hash(PASSWORD)
    agents = []
    for number in range(20):
        agent = User(
            email=f"agent{number}@bench.test",
            name=f"Agent {number}",
            role=Role.AGENT,
            password_hash=password_hash,
            departments=[departments[number % 4], departments[(number + 1) % 4]],
        )
        agents.append(agent)
    db.session.add_all(agents)
    db.session.commit()
    customers = max(size // 3, 1)
    _chunks(
        Customer,
        (
            {
                "name": f"Customer {i}",
                "phone": f"+2547{i:08d}",
                "email": None,
                "language": "en",
                "created_at": now,
            }
            for i in range(customers)
        ),
        customers,
    )
    first_customer = db.session.scalar(text("SELECT min(id) FROM customers"))
    rows = (
        _ticket(
            rng,
            i,
            now,
            first_customer + rng.randrange(customers),
            departments,
            agents,
            due_fraction,
        )
        for i in range(size)
    )
    _chunks(Ticket, rows, size)
    return {"agent_id": agents[0].id, "department_ids": [d.id for d in departments]}


def _ticket(rng, index, now, customer_id, departments, agents, due_fraction) -> dict:
    status = rng.choice(STATUS_MIX)
    created = now - timedelta(minutes=rng.randrange(90 * 24 * 60))
    is_open = status in (Status.NEW, Status.OPEN, Status.PENDING_CUSTOMER)
    department = rng.choice(departments)
    answered = status != Status.NEW
    due = created + timedelta(hours=rng.choice((4, 8, 16, 24)))
    if rng.random() < due_fraction:
        follow_up = now - timedelta(minutes=rng.randrange(1, 60))
    elif status != Status.CLOSED:
        follow_up = now + timedelta(hours=rng.randrange(1, 24 * 7))
    else:
        follow_up = None
    return {
        "reference": _reference(index),
        "token": f"t{index:012d}{rng.getrandbits(64):016x}",
        "subject": rng.choice(
            (
                "Friji haipoi",
                "Charged twice",
                "Late delivery",
                "TV repair",
                "Invoice wrong",
                "Cooker installation",
            )
        )
        + f" {index}",
        "customer_id": customer_id,
        "department_id": department.id,
        "assignee_id": rng.choice(agents).id if rng.random() < 0.9 else None,
        "status": status.value,
        "priority": rng.choice(list(Priority)).value,
        "category": rng.choice(list(Category)).value,
        "channel": rng.choice(list(Channel)).value,
        "created_at": created,
        "updated_at": created,
        "status_changed_at": created,
        "first_response_at": created + timedelta(minutes=rng.randrange(5, 900))
        if answered
        else None,
        "first_response_due_at": due,
        "resolution_due_at": due + timedelta(hours=16),
        "due_at": due if is_open and status != Status.PENDING_CUSTOMER else None,
        "resolved_at": created + timedelta(hours=rng.randrange(1, 72)) if not is_open else None,
        "closed_at": created + timedelta(hours=rng.randrange(72, 200))
        if status == Status.CLOSED
        else None,
        "follow_up_step": "resolution_breach" if follow_up else None,
        "next_follow_up_at": follow_up,
        "follow_ups_done": [],
        "reopened_count": 0,
    }


def _reference(index: int) -> str:
    letters = []
    for _ in range(5):
        index, digit = divmod(index, len(REFERENCE_ALPHABET))
        letters.append(REFERENCE_ALPHABET[digit])
    return "FT-" + "".join(reversed(letters)) + ("" if index == 0 else str(index))


def _chunks(model, rows, total: int) -> None:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            db.session.execute(insert(model), batch)
            db.session.commit()
            batch = []
    if batch:
        db.session.execute(insert(model), batch)
        db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"ANALYZE {model.__tablename__}"))
        db.session.commit()
