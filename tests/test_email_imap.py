"""IMAP polling against a real Dovecot: by UID and UIDVALIDITY, never by \\Seen; nothing read
twice or skipped through batches, other clients, restarts, dropped connections, rebuilt
folders, broken and oversized messages."""

import imaplib
import re

import pytest
from harness import oversized_message
from sqlalchemy import func, select

from ticketing import queues
from ticketing.models import InboundRaw, MailboxState, Ticket
from ticketing.models.enums import InboundStatus
from workers import mail


def customer_mail(n: int) -> bytes:
    return (
        f"From: Customer {n} <customer{n}@example.test>\r\nTo: support@fuatilia.test\r\n"
        f"Subject: Fridge number {n}\r\nMessage-ID: <m{n}@example.test>\r\n\r\n"
        f"Fridge {n} is not cooling.\r\n"
    ).encode()


def stored_ids(db) -> list[str]:
    return list(db.session.scalars(select(InboundRaw.external_id).order_by(InboundRaw.id)))


def seen_uids(dovecot) -> set[int]:
    imap = dovecot.connect()
    try:
        imap.select("INBOX", readonly=True)
        _, data = imap.uid("SEARCH", None, "SEEN")
    finally:
        imap.logout()
    return {int(uid) for uid in data[0].split()}


@pytest.fixture
def polling(mail_app, dovecot, department):
    department("General")
    return mail_app


def test_uids_are_read_in_batches_once_and_flagged_seen_after_commit(db, polling, dovecot):
    for n in range(7):
        dovecot.deliver(customer_mail(n))

    assert mail.poll_mail(batch=3) == {"stored": 7}
    for n in (7, 8):
        dovecot.deliver(customer_mail(n))
    assert mail.poll_mail(batch=3) == {"stored": 2}
    assert mail.poll_mail(batch=3) == {}

    assert stored_ids(db) == [f"<m{n}@example.test>" for n in range(9)]
    state = db.session.scalar(select(MailboxState))
    assert (state.uidvalidity, state.last_uid) == (dovecot.uidvalidity(), 9)
    assert seen_uids(dovecot) == set(range(1, 10))


def test_mail_another_client_has_read_is_not_hidden(db, polling, dovecot):
    uids = [dovecot.deliver(customer_mail(n)) for n in range(3)]
    dovecot.mark_seen_by_other_client(uids[0])
    dovecot.mark_seen_by_other_client(uids[2])

    assert mail.poll_mail() == {"stored": 3}
    assert len(stored_ids(db)) == 3


def test_a_server_restart_between_polls_loses_and_doubles_nothing(db, polling, dovecot):
    for n in range(2):
        dovecot.deliver(customer_mail(n))
    mail.poll_mail()
    dovecot.restart()
    for n in range(2, 4):
        dovecot.deliver(customer_mail(n))

    assert mail.poll_mail() == {"stored": 2}
    assert stored_ids(db) == [f"<m{n}@example.test>" for n in range(4)]


def test_a_connection_dropped_mid_poll_is_reopened_and_reading_goes_on(
    db, polling, dovecot, monkeypatch
):
    for n in range(6):
        dovecot.deliver(customer_mail(n))
    original, bodies = imaplib.IMAP4.uid, []

    def server_crashes_at_the_third_body(self, command, *args):
        if command == "FETCH" and args[-1] == "(BODY.PEEK[])":
            bodies.append(args[0])
            if len(bodies) == 3:
                dovecot.kill()
                dovecot.start()
        return original(self, command, *args)

    monkeypatch.setattr(imaplib.IMAP4, "uid", server_crashes_at_the_third_body)
    assert mail.poll_mail(batch=2) == {"stored": 6, "reconnects": 1}
    assert stored_ids(db) == [f"<m{n}@example.test>" for n in range(6)]
    assert bodies == ["1", "2", "3", "3", "4", "5", "6"]  # the lost fetch is simply redone


def test_a_server_that_stays_down_is_a_clear_error_and_the_next_poll_catches_up(
    db, polling, dovecot
):
    dovecot.deliver(customer_mail(0))
    dovecot.stop()
    result = polling.test_cli_runner().invoke(args=["poll-mail"])
    assert result.exit_code == 1
    assert "the mailbox is unavailable" in result.output and "Connection refused" in result.output
    assert stored_ids(db) == []

    dovecot.start()
    result = polling.test_cli_runner().invoke(args=["poll-mail"])
    assert (result.exit_code, result.output.strip()) == (0, "1 stored")


def test_a_rebuilt_folder_is_read_again_without_doubles(db, polling, dovecot):
    for n in range(3):
        dovecot.deliver(customer_mail(n))
    mail.poll_mail()
    old = dovecot.uidvalidity()

    new = dovecot.recreate_mailbox("INBOX")  # UIDs start again at 1
    for n in (1, 2, 3):
        dovecot.deliver(customer_mail(n))

    assert mail.poll_mail() == {"duplicate": 2, "stored": 1}
    assert stored_ids(db) == [f"<m{n}@example.test>" for n in range(4)]
    state = db.session.scalar(select(MailboxState))
    assert new != old and (state.uidvalidity, state.last_uid) == (new, 3)


def test_a_broken_or_unreadable_message_does_not_block_the_others(
    db, polling, dovecot, run_jobs, monkeypatch
):
    dovecot.deliver(customer_mail(0))
    dovecot.deliver(b"this is not an email \x00\xff at all")
    refused = dovecot.deliver(customer_mail(2))
    dovecot.deliver(customer_mail(3))
    original = imaplib.IMAP4.uid

    def refuses_one(self, command, *args):
        if command == "FETCH" and args[0] == str(refused) and "BODY" in args[-1]:
            return "NO", [b"[SERVERBUG] cannot read this message"]
        return original(self, command, *args)

    monkeypatch.setattr(imaplib.IMAP4, "uid", refuses_one)
    assert mail.poll_mail() == {"stored": 3, "failed": 1}
    run_jobs()

    rows = db.session.scalars(select(InboundRaw).order_by(InboundRaw.id)).all()
    assert [row.status for row in rows] == [
        InboundStatus.DONE,
        InboundStatus.FAILED,
        InboundStatus.FAILED,
        InboundStatus.DONE,
    ]
    assert "no sender address" in rows[1].error
    assert "SERVERBUG" in rows[2].error and rows[2].external_id == f"imap:{dovecot.uidvalidity()}:3"
    assert db.session.scalar(select(func.count(Ticket.id))) == 2


def test_a_30_mb_message_is_kept_as_a_failed_row_with_its_headers_not_a_crash_or_a_loop(
    db, polling, dovecot, run_jobs
):
    dovecot.deliver(oversized_message(30 * 1024 * 1024))
    dovecot.deliver(customer_mail(1))

    assert mail.poll_mail() == {"failed": 1, "stored": 1}
    assert mail.poll_mail() == {}
    run_jobs()

    big, small = db.session.scalars(select(InboundRaw).order_by(InboundRaw.id)).all()
    assert big.status == InboundStatus.FAILED and big.external_id == (
        "<oversized.7k3q9.0001@gmail.example>"
    )
    assert re.search(
        r"is 3\d{7} bytes, over MAX_EMAIL_BYTES \(26214400\): only its headers", big.error
    )
    assert big.payload.startswith(b"Return-Path:") and len(big.payload) < 2000
    assert small.status == InboundStatus.DONE


def test_the_periodic_job_polls_and_files_the_mail(db, polling, dovecot, run_jobs):
    dovecot.deliver(customer_mail(0))
    queues.get_queue(queues.INBOUND).enqueue("workers.mail.poll_mail", job_id="poll-mail")
    run_jobs()
    [row] = db.session.scalars(select(InboundRaw)).all()
    assert row.status == InboundStatus.DONE and row.ticket_id is not None
