"""Bulk test data for the benchmarks: a migrated database with `size` tickets, fast.

On PostgreSQL rows go in with COPY, the table's secondary indexes dropped first and built
again after (one sort instead of a million inserts into each B-tree and GIN), and foreign keys
unchecked during the load (the rows are consistent by construction); a million tickets with
their messages take a few minutes. On SQLite, multi-row Core INSERTs in chunks.

`python -m bench --reuse` keeps a database a benchmark loaded before, at the same size: the
load is the slow part, and a second run measures the same rows (migrations added since are
applied to them).
"""

import enum
import itertools
import json
import os
import random
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, text
from werkzeug.security import generate_password_hash

from ticketing import create_app, hours
from ticketing.extensions import db
from ticketing.models import Customer, Department, Ticket, User
from ticketing.models.enums import Category, Channel, Priority, Role, Status
from ticketing.models.tickets import REFERENCE_ALPHABET

CHUNK = 10_000
LOADED = "bench_loaded"  # which benchmark's data, at which size, this database holds
reuse = False  # set by `python -m bench --reuse`
PASSWORD = "bench-password"
# Each benchmark flushes the database it uses: never point this at a Redis others rely on.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
STATUS_MIX = (
    [Status.CLOSED] * 60
    + [Status.RESOLVED] * 10
    + [Status.OPEN] * 15
    + [Status.NEW] * 8
    + [Status.PENDING_CUSTOMER] * 7
)


def created(url: str) -> str:
    """PostgreSQL `url`, its database created first when the server has none of that name (a
    fresh machine has only `test`): for `make bench` and for each pytest-xdist process."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    wanted = make_url(url)
    server = create_engine(wanted.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        found = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": wanted.database}
        )
        if not found:
            connection.execute(text(f'CREATE DATABASE "{wanted.database}"'))
    server.dispose()
    return url


def bench_app(database_url: str, redis_url: str = REDIS_URL):
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
    """An empty database at the newest migration. A SQLite file is removed and made again:
    drop_all leaves the full-text tables of migration 0010 (not models) for the upgrade to
    trip on, and with foreign keys on, dropping a filled table checks every row's children
    (minutes at 100k tickets)."""
    from flask import current_app
    from flask_migrate import upgrade

    if db.engine.dialect.name == "sqlite":
        db.session.remove()
        db.engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db.engine.url.database}{suffix}").unlink(missing_ok=True)
    else:
        db.drop_all()
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.session.execute(text(f"DROP TABLE IF EXISTS {LOADED}"))
        db.session.commit()
    upgrade(directory=str(current_app.config["MIGRATIONS_DIR"]))


def database_mib() -> float:
    """What the current database takes on disk, tables and indexes, in MiB."""
    if db.engine.dialect.name == "postgresql":
        size = db.session.scalar(text("SELECT pg_database_size(current_database())"))
    else:
        size = db.session.scalar(text("PRAGMA page_count")) * db.session.scalar(
            text("PRAGMA page_size")
        )
    return round(size / 2**20, 1)


def already_loaded(name: str, size: int) -> bool:
    """With --reuse: whether this database holds `name`'s data at `size` tickets (then its
    schema is brought up to date); without, never."""
    from flask import current_app
    from flask_migrate import upgrade

    if not reuse:
        return False
    db.session.execute(text(f"CREATE TABLE IF NOT EXISTS {LOADED} (name text, size integer)"))
    db.session.commit()
    found = db.session.execute(
        text(f"SELECT 1 FROM {LOADED} WHERE name = :name AND size = :size"),
        {"name": name, "size": size},
    ).first()
    if found:
        upgrade(directory=str(current_app.config["MIGRATIONS_DIR"]))
    return found is not None


def mark_loaded(name: str, size: int) -> None:
    db.session.execute(text(f"CREATE TABLE IF NOT EXISTS {LOADED} (name text, size integer)"))
    db.session.execute(text(f"DELETE FROM {LOADED}"))
    db.session.execute(
        text(f"INSERT INTO {LOADED} (name, size) VALUES (:name, :size)"),
        {"name": name, "size": size},
    )
    db.session.commit()


def fill(
    size: int, *, due_fraction: float = 0.0, seed: int = 7, names: list[str] | None = None
) -> dict:
    """Departments, 20 agents, size/3 customers and `size` tickets; returns ids for queries.
    Customer i is called `names[i % len(names)]`, else "Customer i"."""
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
                "name": names[i % len(names)] if names else f"Customer {i}",
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
    # ids, not objects: reading an expired object's id mid-COPY would query on its connection
    department_ids = [d.id for d in departments]
    agent_ids = [a.id for a in agents]
    rows = (
        _ticket(
            rng,
            i,
            now,
            first_customer + rng.randrange(customers),
            department_ids,
            agent_ids,
            due_fraction,
        )
        for i in range(size)
    )
    _chunks(Ticket, rows, size)
    return {"agent_id": agent_ids[0], "department_ids": department_ids}


def _ticket(rng, index, now, customer_id, department_ids, agent_ids, due_fraction) -> dict:
    status = rng.choice(STATUS_MIX)
    created = now - timedelta(minutes=rng.randrange(90 * 24 * 60))
    is_open = status in (Status.NEW, Status.OPEN, Status.PENDING_CUSTOMER)
    department_id = rng.choice(department_ids)
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
        "department_id": department_id,
        "assignee_id": rng.choice(agent_ids) if rng.random() < 0.9 else None,
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
    if db.engine.dialect.name == "postgresql":
        _copy(model, rows)
        return
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


def _copy(model, rows) -> None:
    """COPY the rows into the model's table, with the column defaults the ORM would give
    (COPY knows only the server's), then build its secondary indexes again and ANALYZE."""
    table = model.__table__
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    defaults = {
        c.name: c.default
        for c in table.columns
        if c.name not in first and c.default is not None and not c.primary_key
    }
    names = [*first, *defaults]
    session = db.session
    session.execute(text("SET maintenance_work_mem = '256MB'"))
    session.execute(text("SET session_replication_role = replica"))  # no FK triggers
    indexes = session.execute(
        text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = :t AND indexname "
            "NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = CAST(:t AS regclass))"
        ),
        {"t": table.name},
    ).all()
    for name, _ in indexes:
        session.execute(text(f"DROP INDEX {name}"))
    cursor = session.connection().connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
        for values in itertools.chain([first], rows):
            full = values | {n: _default(d) for n, d in defaults.items()}
            copy.write_row([_copyable(full[n]) for n in names])
    for _, definition in indexes:
        session.execute(text(definition))
    session.execute(text("SET session_replication_role = DEFAULT"))
    session.commit()
    session.execute(text(f"ANALYZE {table.name}"))
    session.commit()


def _default(default):
    return default.arg(None) if default.is_callable else default.arg


def _copyable(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return value
