"""Proves the real mail servers in tests/fakes/mailservers.py behave as the
helpdesk's integration tests expect them to."""

import imaplib
import re
import smtplib
import subprocess
from email.message import EmailMessage
from email.policy import SMTP

import pytest
from fakes.mailservers import DovecotServer


def _raw(n: int) -> bytes:
    return (
        f"From: customer{n}@example.test\r\nTo: support@fuatilia.test\r\n"
        f"Subject: Ticket {n}\r\nMessage-ID: <m{n}@example.test>\r\n\r\n"
        f"Printer {n} is on fire.\r\n"
    ).encode()


def _fetch_all(server: DovecotServer, folder: str = "INBOX") -> dict[int, bytes]:
    """UID -> full message, read the way the helpdesk's poller reads mail."""
    imap = server.connect()
    try:
        imap.select(f'"{folder}"', readonly=True)
        status, data = imap.uid("FETCH", "1:*", "(UID BODY.PEEK[])")
        assert status == "OK"
    finally:
        imap.logout()
    parts = [part for part in data if isinstance(part, tuple)]
    return {int(re.search(rb"UID (\d+)", meta).group(1)): body for meta, body in parts}


def _flags(server: DovecotServer, uid: int) -> bytes:
    imap = server.connect()
    try:
        imap.select("INBOX", readonly=True)
        status, data = imap.uid("FETCH", str(uid), "(FLAGS)")
        assert status == "OK"
        return data[0]
    finally:
        imap.logout()


def _dovecot_processes(server: DovecotServer) -> str:
    """Master (by its config path) and children (by their instance title)."""
    patterns = [str(server.config_path), f"dovecot-{server.instance}/"]
    found = [
        subprocess.run(["pgrep", "-af", pattern], capture_output=True, text=True).stdout
        for pattern in patterns
    ]
    return "".join(found)


@pytest.fixture
def dovecot(tmp_path):
    server = DovecotServer(tmp_path)
    server.start()
    yield server
    server.stop()
    assert _dovecot_processes(server) == ""


def test_delivered_messages_are_readable_by_uid(dovecot):
    uids = [dovecot.deliver(_raw(n)) for n in range(3)]

    assert uids == [1, 2, 3]
    assert _fetch_all(dovecot) == {uid: _raw(n) for n, uid in enumerate(uids)}
    assert (dovecot.base_dir / "mail" / dovecot.user / "Maildir" / "cur").is_dir()


def test_deliver_with_flags_and_seen_by_other_client(dovecot):
    flagged = dovecot.deliver(_raw(0), flags=(r"\Flagged",))
    unread = dovecot.deliver(_raw(1))
    assert b"\\Seen" not in _flags(dovecot, unread)

    dovecot.mark_seen_by_other_client(unread)

    assert b"\\Seen" in _flags(dovecot, unread)
    assert b"\\Flagged" in _flags(dovecot, flagged)


def test_restart_keeps_port_mail_and_uidvalidity(dovecot):
    uids = [dovecot.deliver(_raw(n)) for n in range(3)]
    port, uidvalidity = dovecot.port, dovecot.uidvalidity()

    dovecot.restart()

    assert dovecot.port == port
    assert dovecot.uidvalidity() == uidvalidity
    assert sorted(_fetch_all(dovecot)) == uids


def test_sigkill_then_start_keeps_mail(dovecot):
    uids = [dovecot.deliver(_raw(n)) for n in range(3)]

    dovecot.kill()
    assert _dovecot_processes(dovecot) == ""
    dovecot.start()

    assert _fetch_all(dovecot) == {uid: _raw(n) for n, uid in enumerate(uids)}
    assert dovecot.deliver(_raw(3)) == 4


def test_recreated_custom_folder_has_new_uidvalidity(dovecot):
    dovecot.create_mailbox("Support")
    for n in range(2):
        dovecot.deliver(_raw(n), folder="Support")
    old = dovecot.uidvalidity("Support")

    new = dovecot.recreate_mailbox("Support")

    assert new != old
    assert _fetch_all(dovecot, "Support") == {}
    assert dovecot.deliver(_raw(9), folder="Support") == 1


def test_recreated_inbox_has_new_uidvalidity(dovecot):
    dovecot.create_mailbox("Support")
    dovecot.deliver(_raw(0), folder="Support")
    for n in range(2):
        dovecot.deliver(_raw(n))
    old = dovecot.uidvalidity()

    new = dovecot.recreate_mailbox("INBOX")

    assert new != old
    assert _fetch_all(dovecot) == {}
    assert dovecot.deliver(_raw(9)) == 1
    assert list(_fetch_all(dovecot, "Support")) == [1]


def test_wrong_password_is_refused(dovecot):
    imap = imaplib.IMAP4(dovecot.host, dovecot.port)
    with pytest.raises(imaplib.IMAP4.error):
        imap.login(dovecot.user, "wrong")
    imap.logout()


def _multipart() -> bytes:
    msg = EmailMessage()
    msg["From"] = "helpdesk@fuatilia.test"
    msg["To"] = "customer@example.test"
    msg["Subject"] = "Re: [#42] Printer on fire — habari"
    msg.set_content("Karibu.\n.A line starting with a dot\nAsante.\n")
    msg.add_alternative("<p>Karibu.</p>", subtype="html")
    msg.add_attachment(
        bytes(range(256)) * 4,
        maintype="application",
        subtype="octet-stream",
        filename="log.bin",
    )
    return msg.as_bytes(policy=SMTP)


def test_smtp_records_multipart_byte_for_byte(smtp_server):
    raw = _multipart()
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as client:
        client.sendmail("helpdesk@fuatilia.test", ["customer@example.test"], raw)

    [mail] = smtp_server.wait_for(1)
    assert mail.raw == raw
    assert mail.mail_from == "helpdesk@fuatilia.test"
    assert mail.rcpt_tos == ("customer@example.test",)
    attachment = next(smtp_server.parsed(0).iter_attachments())
    assert attachment.get_content() == bytes(range(256)) * 4


def test_smtp_transient_rcpt_failure_then_success(smtp_server):
    smtp_server.fail_next(451, "4.3.0 Try again later")
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            client.sendmail("helpdesk@fuatilia.test", ["a@example.test"], _raw(0))
        assert refused.value.recipients == {"a@example.test": (451, b"4.3.0 Try again later")}
        client.sendmail("helpdesk@fuatilia.test", ["a@example.test"], _raw(0))

    assert [m.raw for m in smtp_server.wait_for(1)] == [_raw(0)]


def test_smtp_permanent_data_failure_then_success(smtp_server):
    smtp_server.fail_next(550, "5.1.1 User unknown", times=2, stage="DATA")
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as client:
        for _ in range(2):
            with pytest.raises(smtplib.SMTPDataError) as failed:
                client.sendmail("helpdesk@fuatilia.test", ["b@example.test"], _raw(1))
            assert failed.value.smtp_code == 550
        client.sendmail("helpdesk@fuatilia.test", ["b@example.test"], _raw(1))

    assert len(smtp_server.wait_for(1)) == 1
    assert smtp_server.messages[0].rcpt_tos == ("b@example.test",)


def test_smtp_wait_for_times_out(smtp_server):
    with pytest.raises(TimeoutError):
        smtp_server.wait_for(1, timeout=0.1)
