"""What keeps the seed to itself while its history plays: console backends, no Redis, a quiet
console, and commits that skip the disk flush. Apart because none of it is the story."""

import logging
from contextlib import contextmanager

from flask import current_app
from sqlalchemy import event

from ticketing import queues
from ticketing.extensions import db


@contextmanager
def offline():
    """While the history plays: messages go to the console backend (nothing leaves the machine,
    whatever the configuration), the console keeps quiet, and nothing is handed to Redis (the
    seed delivers its history itself; seeding needs no worker)."""
    config = current_app.config
    backends = config["SMS_BACKEND"], config["MAIL_BACKEND"]
    relay = queues.enqueue_now
    console = logging.getLogger("fuatilia.console")
    level = console.level
    config["SMS_BACKEND"] = config["MAIL_BACKEND"] = "console"
    queues.enqueue_now = lambda *args, **options: True
    console.setLevel(logging.WARNING)
    try:
        with _fast_commits():
            yield
    finally:
        config["SMS_BACKEND"], config["MAIL_BACKEND"] = backends
        queues.enqueue_now = relay
        console.setLevel(level)


# The history commits a few thousand small transactions; invented data needs no disk flush.
RELAXED = {
    "sqlite": ("PRAGMA synchronous = OFF", "PRAGMA synchronous = FULL"),
    "postgresql": ("SET synchronous_commit = off", "RESET synchronous_commit"),
}


@contextmanager
def _fast_commits():
    """Connections used while the history plays skip waiting for the disk on commit; each is
    set back when it returns to the pool."""
    db.session.commit()
    engine = db.engine
    relax, restore = RELAXED.get(engine.dialect.name, (None, None))
    if relax is None:
        yield
        return

    def on_checkout(dbapi_connection, record, proxy):
        _execute(dbapi_connection, relax)

    def on_checkin(dbapi_connection, record):
        _execute(dbapi_connection, restore)

    event.listen(engine, "checkout", on_checkout)
    event.listen(engine, "checkin", on_checkin)
    try:
        yield
    finally:
        db.session.commit()
        event.remove(engine, "checkout", on_checkout)
        event.remove(engine, "checkin", on_checkin)


def _execute(dbapi_connection, statement: str) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(statement)
    finally:
        cursor.close()
    dbapi_connection.commit()  # leave no transaction open for the pool
