"""The only writer of InboundRaw rows: store a payload raw (deduped by the database's unique
key), then mark it done, ignored or failed, or put it back for a retry.

Like the other domain modules it flushes and never commits: the webhook, the spool replay,
the IMAP poll, the worker and the admin view each commit their own unit of work.
"""

import hashlib

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ticketing import hours, queues
from ticketing.channels import email as email_channel
from ticketing.extensions import db
from ticketing.models import InboundRaw, Ticket
from ticketing.models.enums import Channel, InboundStatus

KEY_LENGTH = InboundRaw.__table__.c.external_id.type.length
ERROR_LENGTH = 2000  # the column is Text: enough for a reason, not a whole traceback


def store(
    channel: Channel, external_id: str, payload: bytes, source: str, *, error: str | None = None
) -> str:
    """Keep one inbound payload raw under its dedupe key and queue its processing after commit.

    Parses nothing: the key is the channel's byte-level one (MessageSid, Message-ID, a hash).
    A second copy under a taken key changes nothing ("duplicate"); a different email reusing
    a stored Message-ID is kept under a variant key ("stored"). With `error` the row is kept
    as failed with the reason and never queued ("failed"). Inserts inside a SAVEPOINT, so a
    conflict leaves the caller's transaction usable; the caller commits."""
    key = _fitted(external_id)
    raw = _insert(channel, key, payload, source, error)
    if raw is None and _reuses_message_id(channel, key, payload):
        variant = _fitted(email_channel.variant_key(key, payload))
        raw = _insert(channel, variant, payload, source, error)
    if raw is None:
        return "duplicate"
    if error:
        return "failed"
    queues.enqueue_after_commit(queues.PROCESS_INBOUND, raw.id)
    return "stored"


def mark_done(raw: InboundRaw, ticket: Ticket) -> None:
    """Filed on `ticket`: the row is finished and points at where it went."""
    _finish(raw, InboundStatus.DONE)
    raw.ticket_id = ticket.id


def mark_ignored(raw: InboundRaw) -> None:
    """Nothing to file (an empty text, a keyword already answered): finished, no ticket."""
    _finish(raw, InboundStatus.IGNORED)


def mark_failed(raw: InboundRaw, error: str) -> None:
    """Could not be filed: kept with the reason, for an admin to read and retry."""
    _finish(raw, InboundStatus.FAILED)
    raw.error = error[:ERROR_LENGTH]


def retry(raw: InboundRaw) -> bool:
    """Put a failed row back in the queue after commit (an admin's button). A compare-and-set,
    so a double click or two admins queue it once; False when it was not failed (any more)."""
    changed = db.session.execute(
        update(InboundRaw)
        .where(InboundRaw.id == raw.id, InboundRaw.status == InboundStatus.FAILED)
        .values(status=InboundStatus.PENDING, error=None)
    ).rowcount
    if changed:
        queues.enqueue_after_commit(queues.PROCESS_INBOUND, raw.id)
    return bool(changed)


def _finish(raw: InboundRaw, status: InboundStatus) -> None:
    raw.status, raw.processed_at = status, hours.now()
    raw.attempts += 1


def _insert(
    channel: Channel, key: str, payload: bytes, source: str, error: str | None
) -> InboundRaw | None:
    """The new row, or None when its key is taken. Only the SAVEPOINT is rolled back, which
    PostgreSQL needs: a failed statement there aborts the whole transaction."""
    raw = InboundRaw(channel=channel, external_id=key, payload=payload, source=source)
    if error:
        raw.status, raw.error = InboundStatus.FAILED, error[:ERROR_LENGTH]
    try:
        with db.session.begin_nested():
            db.session.add(raw)
            db.session.flush()
    except IntegrityError:
        return None
    return raw


def _reuses_message_id(channel: Channel, key: str, payload: bytes) -> bool:
    """A different email is stored under this Message-ID: a careless mailer reused it. SMS
    SIDs, content hashes ("sha256:") and IMAP UIDs ("imap:") each name one payload only."""
    if channel != Channel.EMAIL or not key.startswith("<"):
        return False
    stored = db.session.scalar(
        select(InboundRaw.payload).where(
            InboundRaw.channel == channel, InboundRaw.external_id == key
        )
    )
    return stored is not None and not email_channel.same_message(stored, payload)


def _fitted(key: str) -> str:
    """The key cut to fit its column, ending in a hash of the whole so that it stays unique
    and the same for every copy (a 250-character Message-ID plus a variant suffix is over)."""
    if len(key) <= KEY_LENGTH:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"{key[: KEY_LENGTH - len(digest) - 1]}~{digest}"
