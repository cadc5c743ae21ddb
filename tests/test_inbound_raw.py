"""ticketing/inbound.py owns InboundRaw rows: stored before anything parses, deduped by the
database (a reused Message-ID gets a variant key that fits its column), retried once."""

import ast
import email
import email.parser
import threading
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from ticketing import channels, inbound, queues
from ticketing.channels import email as email_channel
from ticketing.models import Department, InboundRaw, MailboxState, Ticket
from ticketing.models.enums import Channel, InboundStatus, Role
from workers import mail
from workers.inbound import process_inbound

AUTH = {"Authorization": "Bearer inbound-secret"}
KEY_LENGTH = InboundRaw.__table__.c.external_id.type.length


def a_mail(
    message_id: str, subject: str = "Delivery late", body: str = "My order has not arrived."
) -> bytes:
    return (
        f"From: Amina <amina@example.test>\r\nTo: support@fuatilia.test\r\n"
        f"Subject: {subject}\r\nMessage-ID: {message_id}\r\n\r\n{body}\r\n"
    ).encode()


def stored(db) -> list[InboundRaw]:
    return db.session.scalars(select(InboundRaw).order_by(InboundRaw.id)).all()


def post(client, body: bytes) -> str:
    response = client.post("/webhooks/email", data=body, headers=AUTH)
    assert response.status_code == 200
    return response.json["status"]


def parsing_raises(*args, **kwargs):
    raise ValueError("the email parser was called before the raw row was stored")


def test_the_email_webhook_stores_the_raw_row_before_anything_parses(db, client, monkeypatch):
    for owner, name in (
        (email, "message_from_bytes"),
        (email.parser.BytesParser, "parsebytes"),
        (email_channel, "parse"),
        (channels, "parse_raw"),
    ):
        monkeypatch.setattr(owner, name, parsing_raises)
    garbage = (
        b"From: \x00\xff<<<@@\r\nMessage-ID: <garbage-1@example.test>\r\n"
        b"Subject: =?utf-8?b?!!!?=\r\n\x80 a line with no colon\r\n\tContent-Type: ;;;"
        b"\r\n\r\n\xfe\xff body"
    )
    assert post(client, garbage) == "stored"
    [row] = stored(db)
    assert (row.payload, row.external_id) == (garbage, "<garbage-1@example.test>")
    assert row.status == InboundStatus.PENDING


def test_the_webhooks_import_nothing_from_intake():
    source = Path(__file__).parents[1] / "ticketing" / "views" / "webhooks.py"
    imported = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.ImportFrom):
            imported |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
    assert not {name for name in imported if "intake" in name.split(".")}


def test_a_reused_message_id_is_a_variant_by_webhook_and_a_second_copy_a_duplicate(db, client):
    first, other = (
        a_mail("<amina-1@example.test>"),
        a_mail("<amina-1@example.test>", "Wrong colour", "The fridge I got is red, not white."),
    )
    assert [post(client, body) for body in (first, first, other, other)] == [
        "stored",
        "duplicate",
        "stored",
        "duplicate",
    ]
    keys = [row.external_id for row in stored(db)]
    assert keys == [
        "<amina-1@example.test>",
        email_channel.variant_key("<amina-1@example.test>", other),
    ]


def test_a_250_character_message_id_reused_still_fits_its_column(db, client):
    message_id = "<" + "x" * 237 + "@example.test>"  # 250 between the brackets
    assert len(message_id) == 252 and email_channel.external_id(a_mail(message_id)) == message_id
    other = a_mail(message_id, "Second", "Another message under the same Message-ID.")
    third = a_mail(message_id, "Third", "And a third one.")
    outcomes = [post(client, body) for body in (a_mail(message_id), other, third, other, third)]
    assert outcomes == ["stored", "stored", "stored", "duplicate", "duplicate"]
    keys = [row.external_id for row in stored(db)]
    assert keys[0] == message_id and len(set(keys)) == 3
    assert all(len(key) <= KEY_LENGTH for key in keys)  # SQLite would not refuse a longer one


def test_a_conflict_rolls_back_only_its_savepoint_not_the_callers_work(db):
    assert inbound.store(Channel.SMS, "SM1", b"Body=hello", "test") == "stored"
    db.session.commit()
    db.session.add(MailboxState(mailbox="kept@example.test/INBOX", uidvalidity=1, last_uid=0))
    db.session.flush()
    assert inbound.store(Channel.SMS, "SM1", b"Body=hello", "test") == "duplicate"
    db.session.commit()
    assert db.session.scalar(select(func.count(MailboxState.id))) == 1
    assert len(stored(db)) == 1


def test_jobs_are_queued_at_the_commit_not_when_a_savepoint_is_released(db):
    """Each store() releases a SAVEPOINT, which SQLAlchemy also calls a commit: a job queued
    then would look for a row no other connection can see yet, find none and end, leaving
    the text to the sweep a minute later. Nor may a duplicate's rolled-back SAVEPOINT drop
    what the transaction owed before it."""
    queue = queues.get_queue(queues.PROCESS_INBOUND.queue)
    for number in range(3):
        assert inbound.store(Channel.SMS, f"SM{number}", b"Body=hello", "test") == "stored"
    assert inbound.store(Channel.SMS, "SM0", b"Body=hello", "test") == "duplicate"
    assert queue.count == 0
    db.session.commit()
    assert sorted(queue.job_ids) == sorted(f"inbound-{row.id}" for row in stored(db))


def test_a_spooled_mail_reusing_a_message_id_is_replayed_under_a_variant(db, app):
    from ticketing import spool

    first, other = a_mail("<spooled@example.test>"), a_mail("<spooled@example.test>", "Other")
    assert inbound.store(Channel.EMAIL, "<spooled@example.test>", first, "test") == "stored"
    db.session.commit()
    for body in (other, first):  # spooled while the database was down
        spool.write(Channel.EMAIL, email_channel.external_id(body), body, "webhook")
    assert spool.replay_some() == 2
    assert [(row.payload, row.source) for row in stored(db)] == [(first, "test"), (other, "spool")]


@pytest.fixture
def polling(mail_app, dovecot, department):
    department("General")
    return mail_app


def test_a_reused_message_id_is_a_variant_by_imap_and_a_second_copy_a_duplicate(
    db, polling, dovecot
):
    first = a_mail("<imap-1@example.test>")
    other = a_mail("<imap-1@example.test>", "Wrong colour", "The fridge is red.")
    for body in (first, first, other, other):
        dovecot.deliver(body)
    assert mail.poll_mail() == {"stored": 2, "duplicate": 2}
    assert [row.external_id for row in stored(db)] == [
        "<imap-1@example.test>",
        email_channel.variant_key("<imap-1@example.test>", other),
    ]
    assert db.session.scalar(select(MailboxState.last_uid)) == 4


def test_the_admin_retry_requeues_a_failed_row_once(db, client, run_jobs, staff, login):
    post(client, b"\x00\xff not an RFC 5322 message at all")
    run_jobs()
    [row] = stored(db)
    assert (row.status, row.attempts) == (InboundStatus.FAILED, 1)
    login(client, staff("admin", role=Role.ADMIN))

    pages = [
        client.post(f"/admin/inbound/{row.id}/retry", follow_redirects=True) for _ in range(2)
    ]  # a double click
    assert f"Inbound #{row.id} queued again." in pages[0].get_data(as_text=True)
    assert "nothing to retry" in pages[1].get_data(as_text=True)
    assert queues.get_queue(queues.INBOUND).count == 1
    assert run_jobs() == 1
    db.session.refresh(row)
    assert (row.status, row.attempts) == (InboundStatus.FAILED, 2) and row.error
    assert client.post("/admin/inbound/999999/retry").status_code == 404


def test_a_row_another_worker_is_filing_is_left_to_it_and_filed_once(db, app):
    """The sweep queued a pending row again while its first job ran: the second copy must
    neither file it again nor mark the filed text failed. The first job is a connection of
    its own holding the row, as a worker filing it does (PostgreSQL: SQLite has one writer)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL only")
    db.session.add(Department(name="General", is_default=True))
    payload = urlencode(
        {"From": "+254711000001", "Body": "Fridge not cooling", "MessageSid": "SM1"}
    )
    inbound.store(Channel.SMS, "SM1", payload.encode(), "test")
    db.session.commit()
    raw_id = stored(db)[0].id
    second = {}

    def second_copy():
        with app.app_context():
            second["status"] = process_inbound(raw_id)

    with db.engine.connect() as first:
        first.execute(select(InboundRaw.id).where(InboundRaw.id == raw_id).with_for_update())
        thread = threading.Thread(target=second_copy)
        thread.start()
        thread.join(timeout=5)
        waited = thread.is_alive()  # filing it again, blocked on the first job's lock
        first.rollback()  # the first job dies: its lock goes, the row stays pending
    thread.join()
    assert not waited and second == {"status": "already handled"}
    assert db.session.scalar(select(func.count(Ticket.id))) == 0
    assert process_inbound(raw_id) == "done"  # the sweep's next copy files it, once
    assert db.session.scalar(select(func.count(Ticket.id))) == 1
    assert process_inbound(raw_id) == "already handled"
