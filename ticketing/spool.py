"""A local, fsync'd spool for inbound payloads that arrive while the database is down.

The webhook answers 200 (and /support 202) only once a payload is durable somewhere; when the
database is back, the next webhook call, the next public page (`replay_when_due`) or
`flask --app wsgi replay-spool` moves spooled payloads into InboundRaw through inbound.store,
where the unique external id makes a replay of an already-stored one a no-op, so two
processes replaying the same files at once still store each payload once.
"""

import base64
import contextlib
import json
import logging
import os
import time
import uuid
from pathlib import Path

from flask import current_app
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from ticketing import inbound
from ticketing.extensions import db
from ticketing.models.enums import Channel

log = logging.getLogger(__name__)

DATABASE_DOWN = (OperationalError, InterfaceError, PoolTimeout)  # keep the payload here instead
REPLAY_INTERVAL = 10  # seconds between two replay attempts of one web process
REPLAY_BATCH = 20


def directory() -> Path:
    path = Path(current_app.config["SPOOL_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def write(channel: Channel, external_id: str, payload: bytes, source: str) -> Path:
    record = {
        "channel": channel.value,
        "external_id": external_id,
        "source": source,
        "payload": base64.b64encode(payload).decode(),
    }
    final = directory() / f"{time.time_ns()}-{uuid.uuid4().hex}.json"  # sorts by arrival
    partial = final.with_suffix(".part")
    try:
        with open(partial, "w") as handle:
            json.dump(record, handle)
            handle.flush()
            os.fsync(handle.fileno())
        partial.rename(final)
    except OSError:
        partial.unlink(missing_ok=True)  # a disk-full half file is never replayed: .part
        raise
    dir_fd = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return final


def replay_when_due() -> int:
    """Replay a batch if this app has not tried for REPLAY_INTERVAL seconds and the spool has
    files: the web process's own way to empty its spool when no webhook call comes. A full
    batch leaves the next request free to go on; an outage or an emptied spool waits."""
    state = current_app.extensions.setdefault("spool_replay", {"next_at": 0.0})
    now = time.monotonic()
    path = Path(current_app.config["SPOOL_DIR"])
    if now < state["next_at"] or not path.is_dir() or not any(path.glob("*.json")):
        return 0
    state["next_at"] = now + REPLAY_INTERVAL
    moved = replay_some(REPLAY_BATCH)
    if moved == REPLAY_BATCH:
        state["next_at"] = 0.0
    return moved


def replay_some(limit: int = REPLAY_BATCH) -> int:
    """Move up to `limit` spooled payloads into the database; stop at the first outage."""
    path = Path(current_app.config["SPOOL_DIR"])
    if not path.is_dir():
        return 0
    moved = 0
    for file in sorted(path.glob("*.json"))[:limit]:
        try:
            record = _read(file)
        except FileNotFoundError:
            continue  # another process replayed it
        except (ValueError, KeyError, TypeError) as error:
            _set_aside(file, error)
            continue
        try:
            _insert(record)
        except DATABASE_DOWN:
            db.session.rollback()
            return moved
        file.unlink(missing_ok=True)
        moved += 1
    return moved


def _read(file: Path) -> dict:
    """A spooled record, checked; raises ValueError, KeyError or TypeError when malformed."""
    record = json.loads(file.read_text())
    return {
        "channel": Channel(record["channel"]),
        "external_id": str(record["external_id"]),
        "payload": base64.b64decode(record["payload"], validate=True),
    }


def _set_aside(file: Path, error: Exception) -> None:
    """Keep an unreadable spool file for a person to look at, out of the replay's way."""
    log.error("spool file %s is unreadable (%s): renamed to .bad", file.name, error)
    with contextlib.suppress(FileNotFoundError):  # another process set it aside first
        file.rename(file.with_suffix(".bad"))


def _insert(record: dict) -> None:
    """Store one spooled payload through the one store (same dedupe as the webhook's)."""
    outcome = inbound.store(record["channel"], record["external_id"], record["payload"], "spool")
    db.session.commit()
    if outcome == "duplicate":
        log.info("spooled %s was already stored", record["external_id"])
