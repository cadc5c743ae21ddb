"""The channels screen (/admin/channels/) through real requests: each channel's state on a
fully configured app and on a bare one, no secret anywhere in the page, the exact webhook URLs,
the last message each way and the day's failures; a test message through the outbox and a
real RQ worker to the Twilio stub and to a real SMTP server, bad addresses and forged forms
refused, rate-limited and audited; the IMAP check against a real Dovecot and each failure."""

import re
import socket
import threading
from contextlib import contextmanager

import pytest
from fakes.mailservers import free_port
from harness import PASSWORD, outbox_rows
from sqlalchemy import select

from ticketing import lifecycle
from ticketing.channels import africastalking
from ticketing.models import AuditEntry, Customer, Outbox
from ticketing.models.enums import AuditAction, Channel, OutboxStatus, Role

PAGE = "/admin/channels/"
SECRETS = {
    "TWILIO_AUTH_TOKEN": "tw-auth-0123456789abcdef",
    "TWILIO_PREVIOUS_AUTH_TOKEN": "tw-previous-0123456789",
    "TWILIO_WEBHOOK_SHARED_KEYS": "shared-key-one,shared-key-two",
    "AT_API_KEY": "at-api-key-0123456789",
    "AT_WEBHOOK_SECRET": "at-webhook-secret-0123456789",
    "INBOUND_EMAIL_SECRET": "inbound-email-secret-0123",
    "SMTP_PASSWORD": "smtp-password-0123456789",
    "IMAP_PASSWORD": "imap-password-0123456789",
}
FULL = SECRETS | {
    "SMS_BACKEND": "twilio",
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "TWILIO_FROM": "+254700000100",
    "TWILIO_WHATSAPP_FROM": "whatsapp:+254700000300",
    "AT_USERNAME": "fuatilia",
    "AT_FROM": "21525",
    "MAIL_BACKEND": "smtp",
    "SMTP_HOST": "smtp.fuatilia.test",
    "SMTP_USER": "support",
    "IMAP_HOST": "imap.fuatilia.test",
    "IMAP_USER": "support@fuatilia.test",
    "VOICE_NUMBER": "+254700000200",
}
BARE = {
    "SMS_BACKEND": "console",
    "MAIL_BACKEND": "console",
    "TWILIO_ACCOUNT_SID": "",
    "TWILIO_AUTH_TOKEN": "",
    "TWILIO_FROM": "",
    "INBOUND_EMAIL_SECRET": "",
}


def signed_in_admin(make_app, staff, login, **config):
    admin = staff("amani", role=Role.ADMIN)
    return login(make_app(**config).test_client(), admin), admin


@pytest.fixture
def checker(make_app, staff, login):
    """check(**config) -> (code, words): the IMAP check's outcome, as an admin sees it."""
    admin = staff("amani", role=Role.ADMIN)

    def check(**config) -> tuple[str, str]:
        browser = login(make_app(**config).test_client(), admin)
        html = browser.post(PAGE + "imap-check").get_data(as_text=True)
        return re.search(r'id="imap-outcome".*?<code>(\w+)</code>: ([^<]+)', html, re.S).groups()

    return check


def row_of(html: str, key: str) -> str:
    return re.search(rf'<tr id="channel-{key}">(.*?)</tr>', html, re.S).group(1)


def test_a_fully_configured_app_shows_every_channel_configured_and_no_secret(
    db, make_app, staff, login
):
    admin, _ = signed_in_admin(make_app, staff, login, **FULL)
    html = admin.get(PAGE).get_data(as_text=True)
    for key in ("web", "email_imap", "email_webhook", "email_smtp", "sms_twilio"):
        assert "not configured" not in row_of(html, key) and "configured" in row_of(html, key)
    for key in ("sms_africastalking", "whatsapp", "phone", "ussd"):
        assert "not configured" not in row_of(html, key), key
    assert "imap.fuatilia.test" in row_of(html, "email_imap")  # a plain setting is shown
    assert re.search(r"<code>IMAP_PASSWORD</code> set", row_of(html, "email_imap"))
    for secret in SECRETS.values():
        for part in secret.split(","):
            assert part not in html, part
    base = "http://fuatilia.test"
    for path in ("/webhooks/twilio/sms", "/webhooks/twilio/status", "/webhooks/twilio/voice"):
        assert f"<code>{base}{path}</code>" in html
    assert f"<code>{base}/webhooks/twilio/voice/status</code>" in html
    assert f"<code>{base}/webhooks/email</code>" in html
    assert f"<code>{base}/webhooks/africastalking/sms?key={'•' * 10}</code>" in html
    assert f"<code>{base}/webhooks/africastalking/ussd/events?key={'•' * 10}</code>" in html


def test_a_bare_app_says_what_is_missing(db, make_app, staff, login):
    admin, _ = signed_in_admin(make_app, staff, login, **BARE)
    html = admin.get(PAGE).get_data(as_text=True)
    assert "not configured" not in row_of(html, "web")  # the web form needs nothing
    twilio = row_of(html, "sms_twilio")
    assert "not configured" in twilio and "SMS_BACKEND (now &#39;console&#39;)" in twilio
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM"):
        assert f"<code>{name}</code>" in twilio.split("Missing:")[1].split("</p>")[0]
    imap = row_of(html, "email_imap")
    assert "not configured" in imap and "<code>IMAP_PASSWORD</code> not set" in imap
    assert "MAIL_BACKEND (now &#39;console&#39;)" in row_of(html, "email_smtp")
    assert "<code>INBOUND_EMAIL_SECRET</code>" in row_of(html, "email_webhook")
    assert "<code>VOICE_NUMBER</code>" in row_of(html, "phone")
    assert "none yet" in row_of(html, "sms_twilio")
    with make_app(**BARE).app_context():
        derived = africastalking.webhook_secret()  # the console's, made from SECRET_KEY
    assert derived and derived not in html and "test-secret" not in html
    assert "?key=" + "•" * 10 in html


def test_the_screen_shows_the_last_message_each_way_and_the_days_failures(
    db, make_app, staff, login, department
):
    department("General")
    customer = Customer(name="Wanjiku", phone="+254712345678")
    ticket = lifecycle.open_ticket(customer, subject="", body="Friji", channel=Channel.SMS)
    db.session.flush()
    ticket.messages[0].line = "twilio:+254700000100"
    db.session.add_all(
        [
            Outbox(
                channel=Channel.SMS,
                kind="reply",
                recipient="+254712345678",
                body="x",
                line="twilio:+254700000100",
                ticket=ticket,
                status=OutboxStatus.FAILED,
                error_code="30003",
                last_error="Unreachable destination handset",
            ),
            Outbox(
                channel=Channel.SMS,
                kind="reply",
                recipient="+254712345679",
                body="y",
                line="africastalking:21525",
                status=OutboxStatus.SENT,
            ),
        ]
    )
    db.session.commit()
    admin, _ = signed_in_admin(make_app, staff, login, **FULL)
    html = admin.get(PAGE).get_data(as_text=True)
    twilio = row_of(html, "sms_twilio")
    assert f'href="/agent/tickets/{ticket.id}"' in twilio.split('data-label="Last out"')[0]
    assert "<strong>1</strong> failed or suppressed" in twilio
    assert "code <code>30003</code>: the phone is off or out of coverage" in twilio
    at = row_of(html, "sms_africastalking")
    assert "none" in at.split('data-label="Failures (24 h)"')[1]
    assert "<time" in at.split('data-label="Last out"')[1].split("</td>")[0]


def test_other_staff_may_not_open_the_screen_or_use_it(db, client, login, staff, department):
    sales = department("Sales")
    for role in (Role.AGENT, Role.SUPERVISOR):
        browser = login(client, staff(role.value, role=role, departments=[sales]))
        assert browser.get(PAGE).status_code == 403
        posted = browser.post(PAGE + "test", data={"target": "email", "address": "a@b.test"})
        assert posted.status_code == 403
        assert browser.post(PAGE + "imap-check").status_code == 403
        browser.post("/auth/logout")
    assert outbox_rows() == []


def test_a_test_sms_goes_through_the_outbox_and_a_worker_to_twilio(
    db, make_app, staff, login, twilio, run_jobs
):
    twilio.clear()
    config = FULL | {"TWILIO_API_BASE": twilio.base_url, "TWILIO_TIMEOUT": 1}
    config |= {"TWILIO_ACCOUNT_SID": twilio.account_sid, "TWILIO_AUTH_TOKEN": twilio.auth_token}
    admin, amani = signed_in_admin(make_app, staff, login, **config)
    html = admin.get(PAGE).get_data(as_text=True)
    assert 'value="twilio:+254700000100"' in html
    sent = admin.post(
        PAGE + "test", data={"target": "twilio:+254700000100", "address": "0712 345 678"}
    )
    assert sent.status_code == 302
    (row,) = outbox_rows(kind="channel_test")
    assert (row.recipient, row.status) == ("+254712345678", OutboxStatus.PENDING)
    db.session.commit()
    worker_app = make_app(**config)  # the worker runs with the same settings as the web app
    with worker_app.app_context():
        run_jobs()
    assert twilio.sent_to("+254712345678") == [
        "Fuatilia test message: this line sends. Nothing to do, no need to reply."
    ]
    outcome = admin.get(sent.headers["Location"]).get_data(as_text=True)
    assert re.search(
        r"Test message #\d+ to <code>\+254712345678</code>.*<strong>queued</strong>", outcome
    )  # Twilio took it
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "channel_test"))
    assert entry.actor_id == amani.id and entry.target == f"outbox:{row.id}"
    assert entry.detail["to"] == "+254712345678" and entry.detail["channel"] == "sms"


def test_a_test_whatsapp_refused_by_twilio_shows_the_code_and_its_meaning(
    db, make_app, staff, login, twilio, run_jobs
):
    """WhatsApp takes free-form words only within 24 hours of the person's last message:
    Twilio refuses the test with 63016, and the screen says what that means."""
    twilio.clear()
    twilio.close_window("whatsapp:+254712345678")
    config = FULL | {"TWILIO_API_BASE": twilio.base_url, "TWILIO_TIMEOUT": 1}
    config |= {"TWILIO_ACCOUNT_SID": twilio.account_sid, "TWILIO_AUTH_TOKEN": twilio.auth_token}
    admin, _ = signed_in_admin(make_app, staff, login, **config)
    line = "twilio:whatsapp:+254700000300"
    sent = admin.post(PAGE + "test", data={"target": line, "address": "+254712345678"})
    assert sent.status_code == 302
    with make_app(**config).app_context():
        run_jobs()
    (row,) = outbox_rows()
    assert (row.channel, row.status, row.error_code) == (
        Channel.WHATSAPP,
        OutboxStatus.SUPPRESSED,
        "63016",
    )
    assert twilio.messages == [] and len(twilio.rejected) == 1
    outcome = admin.get(sent.headers["Location"]).get_data(as_text=True)
    assert "code <code>63016</code>: WhatsApp: outside the 24-hour window" in outcome


def test_a_test_email_reaches_the_smtp_server_through_a_worker(
    db, make_app, staff, login, smtp_server, run_jobs
):
    config = {
        "MAIL_BACKEND": "smtp",
        "SMTP_HOST": smtp_server.host,
        "SMTP_PORT": smtp_server.port,
        "SMTP_STARTTLS": False,
        "SMTP_USER": "",
    }
    admin, _ = signed_in_admin(make_app, staff, login, **config)
    sent = admin.post(PAGE + "test", data={"target": "email", "address": " Grace@Example.TEST "})
    assert sent.status_code == 302
    with make_app(**config).app_context():
        run_jobs()
    (mail,) = smtp_server.wait_for(1)
    assert mail.rcpt_tos == ("grace@example.test",)
    assert smtp_server.parsed(0)["Subject"] == "Fuatilia test message"
    assert outbox_rows(kind="channel_test")[0].status == OutboxStatus.SENT


@pytest.mark.parametrize(
    "target, address, words",
    [
        ("twilio:+254700000100", "not a number", "is not a phone number"),
        ("twilio:+254700000100", "+2547" + "1" * 300, "Field cannot be longer than 254"),
        ("twilio:+254700000100", "grace@example.test", "is not a phone number"),
        ("email", "+254712345678", "is not an email address"),
        ("email", "grace@", "is not an email address"),
        ("email", "", "Give a phone number or an email address."),
        ("twilio:+254799999999", "+254712345678", "Not a valid choice"),  # not one of our lines
    ],
)
def test_a_bad_test_send_is_refused_with_a_message(
    db, make_app, staff, login, target, address, words
):
    admin, _ = signed_in_admin(make_app, staff, login, **FULL)
    response = admin.post(PAGE + "test", data={"target": target, "address": address})
    assert response.status_code == 400
    assert words in response.get_data(as_text=True)
    assert outbox_rows() == []
    assert (
        db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "channel_test")) is None
    )


def test_test_sends_are_rate_limited_per_admin(db, make_app, staff, login):
    admin, _ = signed_in_admin(make_app, staff, login, **FULL)
    form = {"target": "email", "address": "grace@example.test"}
    assert [admin.post(PAGE + "test", data=form).status_code for _ in range(6)] == [302] * 5 + [429]
    assert len(outbox_rows(kind="channel_test")) == 5


def test_the_forms_refuse_a_post_without_their_csrf_token(db, make_app, staff):
    admin = staff("amani", role=Role.ADMIN)
    browser = make_app(WTF_CSRF_ENABLED=True, **FULL).test_client()
    page = browser.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    signed = {"email": admin.email, "password": PASSWORD, "csrf_token": token}
    assert browser.post("/auth/login", data=signed).status_code == 302
    form = {"target": "email", "address": "grace@example.test"}
    assert browser.post(PAGE + "test", data=form).status_code == 400
    assert browser.post(PAGE + "test", data=form | {"csrf_token": "forged"}).status_code == 400
    assert browser.post(PAGE + "imap-check").status_code == 400
    assert outbox_rows() == []
    assert (
        db.session.scalar(select(AuditEntry.id).where(AuditEntry.action.like("channel%"))) is None
    )
    page = browser.get(PAGE).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert browser.post(PAGE + "test", data=form | {"csrf_token": token}).status_code == 302
    assert len(outbox_rows(kind="channel_test")) == 1


def dovecot_config(dovecot, **changes) -> dict:
    return {
        "IMAP_HOST": dovecot.host,
        "IMAP_PORT": dovecot.port,
        "IMAP_USER": dovecot.user,
        "IMAP_PASSWORD": dovecot.password,
        "IMAP_SSL": False,
        "IMAP_FOLDER": "INBOX",
    } | changes


def test_the_imap_check_against_a_real_dovecot_and_each_failure(db, checker, dovecot):
    def check(**changes):
        return checker(**dovecot_config(dovecot, **changes))

    assert check() == ("ok", "Connected, logged in and opened the mailbox.")
    assert check(IMAP_PASSWORD="wrong")[0] == "login_refused"
    assert check(IMAP_FOLDER="Nowhere")[0] == "no_such_mailbox"
    assert check(IMAP_SSL=True)[0] == "tls_failure"  # TLS spoken to a plain-text port
    assert check(IMAP_PORT=free_port())[0] == "connection_refused"
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == AuditAction.CHANNEL_CHECK)
    ).all()
    assert [e.detail["outcome"] for e in entries] == [
        "ok",
        "login_refused",
        "no_such_mailbox",
        "tls_failure",
        "connection_refused",
    ]
    assert all("PASSWORD" not in str(e.detail) and "wrong" not in str(e.detail) for e in entries)


@contextmanager
def silent_port():
    """A port that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(2)
        for connection in accepted:
            connection.close()
        server.close()


def test_the_imap_check_times_out_on_a_port_that_never_answers(db, checker, monkeypatch):
    from ticketing.channels import imap

    monkeypatch.setattr(imap, "CHECK_TIMEOUT", 0.5)  # the default's 5 s, made short
    with silent_port() as port:
        config = {"IMAP_HOST": "127.0.0.1", "IMAP_PORT": port, "IMAP_USER": "u"}
        for ssl in (False, True):  # no greeting, and no TLS handshake
            code, words = checker(IMAP_PASSWORD="p", IMAP_SSL=ssl, **config)
            assert code == "timeout" and "No answer in time" in words
            staff_row = db.session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()))
            assert staff_row.detail["outcome"] == "timeout"


def test_the_imap_check_of_a_bare_app_says_it_is_not_configured(db, checker):
    code, words = checker(IMAP_HOST="")
    assert code == "not_configured" and "IMAP_HOST" in words
