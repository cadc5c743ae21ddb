"""poll_mail(): read new mail from the IMAP mailbox by UID, store it raw, let it be processed.

Where we stand is a MailboxState row (UIDVALIDITY and the last UID stored), never the \\Seen
flag, so another client reading the mailbox hides nothing from us. Each message is committed
together with its UID; only then is it flagged \\Seen on the server. A dropped connection is
reopened and reading goes on from the last committed UID. A new UIDVALIDITY means the folder
was rebuilt: it is read again from the start, and the unique Message-ID of each raw row
keeps what we already have from being stored twice.
"""

import logging
from collections import Counter

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ticketing import inbound
from ticketing.channels import email as email_channel
from ticketing.channels import imap
from ticketing.extensions import db
from ticketing.models import MailboxState
from ticketing.models.enums import Channel

log = logging.getLogger(__name__)
BATCH = 50  # messages per round trip; \Seen is set once per batch, after its commits
MAX_PER_POLL = 1000  # the next poll carries on from here
RECONNECTS = 3
MailboxUnavailable = imap.MailboxUnavailable


def poll_mail(batch: int = BATCH) -> dict:
    """Fetch what arrived since the last poll; counts of stored, duplicate and failed rows."""
    counts: Counter = Counter()
    for attempt in range(1, RECONNECTS + 1):
        try:
            with imap.Mailbox.from_config(current_app.config) as box:
                _read_new(box, counts, batch)
            return dict(counts)
        except imap.MailboxUnavailable as error:
            db.session.rollback()
            if attempt == RECONNECTS:
                raise
            counts["reconnects"] += 1
            log.warning(
                "mailbox unavailable (%s): reconnecting, %s of %s", error, attempt, RECONNECTS - 1
            )
    return dict(counts)


def _read_new(box: imap.Mailbox, counts: Counter, batch: int) -> None:
    folder = current_app.config["IMAP_FOLDER"]
    state = _state(folder, box.select(folder))
    uids = box.uids_after(state.last_uid)[:MAX_PER_POLL]
    for start in range(0, len(uids), batch):
        chunk = uids[start : start + batch]
        sizes = box.sizes(chunk)
        for uid in chunk:
            counts[_take(box, state, uid, sizes.get(uid))] += 1
        box.mark_seen(chunk)


def _state(folder: str, uidvalidity: int) -> MailboxState:
    """This folder's position; reset to the start when the server's UIDVALIDITY changed."""
    config = current_app.config
    name = f"{config['IMAP_USER']}@{config['IMAP_HOST']}/{folder}"[:300]
    state = db.session.scalar(select(MailboxState).where(MailboxState.mailbox == name))
    if state is None:
        state = MailboxState(mailbox=name, uidvalidity=uidvalidity, last_uid=0)
        db.session.add(state)
        try:
            db.session.commit()
        except IntegrityError:  # another poller made it first: use theirs
            db.session.rollback()
            return _state(folder, uidvalidity)
    elif state.uidvalidity != uidvalidity:
        log.warning(
            "%s: UIDVALIDITY %s is now %s, the folder was rebuilt: reading it again "
            "(messages already stored are recognised by Message-ID)",
            name,
            state.uidvalidity,
            uidvalidity,
        )
        state.uidvalidity, state.last_uid = uidvalidity, 0
    db.session.commit()
    return state


def _take(box: imap.Mailbox, state: MailboxState, uid: int, size: int | None) -> str:
    """Store one message raw (or a failed row saying why it could not be), with its UID."""
    limit = current_app.config["MAX_EMAIL_BYTES"]
    error = None
    try:
        payload = box.fetch(uid, headers_only=size is not None and size > limit)
    except imap.MessageUnavailable as refused:
        payload, error = b"", str(refused)
    if payload is None:  # expunged since the search
        return _advance(state, uid)
    size = max(size or 0, len(payload))
    if size > limit:
        payload = payload.split(b"\r\n\r\n", 1)[0][:limit]
        error = (
            f"the message is {size} bytes, over MAX_EMAIL_BYTES ({limit}): only its "
            "headers were kept"
        )
    key = email_channel.external_id(payload) if payload else f"imap:{state.uidvalidity}:{uid}"
    return _store(state, uid, key, payload, error)


def _store(state: MailboxState, uid: int, key: str, payload: bytes, error: str | None) -> str:
    """One commit for the row and the UID: the UID is flushed first, so the row's SAVEPOINT
    nests in a transaction already open (pysqlite would otherwise commit it on RELEASE)."""
    state.last_uid = uid
    outcome = inbound.store(Channel.EMAIL, key, payload, "imap", error=error)
    if outcome == "failed":
        log.warning("IMAP UID %s kept as failed: %s", uid, error)
    db.session.commit()
    return outcome


def _advance(state: MailboxState, uid: int) -> str:
    state.last_uid = uid
    db.session.commit()
    return "skipped"
