"""Idempotency-Key (draft-ietf-httpapi-idempotency-key-header) for POST /api/v1/tickets.

The only writer of IdempotencyKey rows, so the replay / 409 / 422 rules live in one place.
The (user_id, key) unique constraint decides who runs: the first request commits its key row,
with no ticket yet, in a transaction of its own ("in progress"); a concurrent one fails that
insert and answers 409 until the first has stored its ticket, then replays it. A second row
keyed "#fp:" holds the body's fingerprint, so the same key with another body is refused with
422. Refusals are `Refused`, which the API blueprint renders like its own errors.
"""

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ticketing import api_schemas, hours
from ticketing.extensions import db
from ticketing.models import IdempotencyKey, Ticket

FINGERPRINT_PREFIX = "#fp:"
ABANDONED_AFTER = timedelta(minutes=2)  # an in-progress key whose request died


class Refused(Exception):
    """A request the key rules refuse; same shape as the API's ApiError (status, code...)."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.headers: dict = {}


def parse(raw: str | None) -> str | None:
    """The Idempotency-Key header's value, None when absent; Refused 400 when unusable."""
    if raw is None:
        return None
    key = raw.strip().strip('"')  # the draft sends it as a quoted structured-field string
    if not key or len(key) > api_schemas.KEY_MAX or not key.isprintable() or not key.isascii():
        raise Refused(
            400,
            "invalid_idempotency_key",
            f"Idempotency-Key must be 1 to {api_schemas.KEY_MAX} printable ASCII characters",
            "Idempotency-Key",
        )
    if key.startswith(FINGERPRINT_PREFIX):
        raise Refused(400, "invalid_idempotency_key", "that Idempotency-Key is reserved")
    return key


def fingerprint(data: dict) -> str:
    """The body's hash, blind to key order and spacing."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def once(
    user_id: int, key: str, body_fingerprint: str, run: Callable[[], Ticket]
) -> tuple[Ticket, bool]:
    """The ticket `run` opens and commits under this key, or the earlier one (replayed=True).
    If `run` fails, the key is released so the client may retry with it."""
    claim = _claim(user_id, key, body_fingerprint)
    if claim.ticket_id is not None:  # an earlier request with this key and body finished
        return db.session.get(Ticket, claim.ticket_id), True
    claim_id = claim.id
    try:
        ticket = run()
        claim.ticket_id = ticket.id
        db.session.commit()
    except BaseException:
        db.session.rollback()
        _release(claim_id)  # let the client retry with the same key
        raise
    return ticket, False


def _fingerprint_key(key: str, body_fingerprint: str) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"{FINGERPRINT_PREFIX}{digest}:{body_fingerprint}"


def _claim(user_id: int, key: str, body_fingerprint: str, retry: bool = True) -> IdempotencyKey:
    """This request's key row, newly committed as in progress, or the finished earlier one
    (same body); Refused 409 while another request holds it, 422 for another body."""
    row = IdempotencyKey(user_id=user_id, key=key)
    db.session.add(row)
    db.session.add(IdempotencyKey(user_id=user_id, key=_fingerprint_key(key, body_fingerprint)))
    try:
        db.session.commit()
        return row
    except IntegrityError:
        db.session.rollback()
    earlier = db.session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    )
    if earlier is None and retry:  # released between our insert and this read
        return _claim(user_id, key, body_fingerprint, retry=False)
    if earlier is None or earlier.ticket_id is None:
        if earlier is not None and earlier.created_at < hours.now() - ABANDONED_AFTER and retry:
            _release(earlier.id)
            return _claim(user_id, key, body_fingerprint, retry=False)
        error = Refused(
            409, "request_in_progress", "A request with this Idempotency-Key is still running"
        )
        error.headers["Retry-After"] = "1"
        raise error
    same_body = db.session.scalar(
        select(IdempotencyKey.id).where(
            IdempotencyKey.user_id == user_id,
            IdempotencyKey.key == _fingerprint_key(key, body_fingerprint),
        )
    )
    if same_body is None and _has_fingerprint(user_id, key):
        raise Refused(
            422,
            "idempotency_key_reused",
            "This Idempotency-Key was used for a request with a different body",
            "Idempotency-Key",
        )
    return earlier


def _has_fingerprint(user_id: int, key: str) -> bool:
    """False for a key stored before fingerprints were kept: it replays as before."""
    prefix = _fingerprint_key(key, "")
    return (
        db.session.scalar(
            select(IdempotencyKey.id).where(
                IdempotencyKey.user_id == user_id, IdempotencyKey.key.startswith(prefix)
            )
        )
        is not None
    )


def _release(claim_id: int) -> None:
    """Forget an unfinished key (and its fingerprint), so the same key can be tried again."""
    row = db.session.get(IdempotencyKey, claim_id)
    if row is None or row.ticket_id is not None:
        return
    db.session.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.user_id == row.user_id,
            IdempotencyKey.ticket_id.is_(None),
            (IdempotencyKey.id == claim_id)
            | IdempotencyKey.key.startswith(_fingerprint_key(row.key, "")),
        )
    )
    db.session.commit()
