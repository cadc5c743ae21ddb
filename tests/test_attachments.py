"""Files both ways: an agent's email reply carries real MIME attachments to a real SMTP server;
stored files are shown inline only when their bytes prove they are a picture or a PDF; a
too-big upload gets its form back with everything typed."""

import io
import re

import pytest
from conftest import smtp_settings
from harness import PASSWORD, SUPPORT_FORM, counts, seen, tiny_png
from sqlalchemy import select

from ticketing import lifecycle
from ticketing.extensions import db
from ticketing.lifecycle import conversation
from ticketing.models import Attachment, Customer, Event, Message, Ticket
from ticketing.models.enums import Channel, Direction
from ticketing.uploads import safe_filename

PNG = tiny_png()
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x01" * 30
MB = 1024 * 1024


@pytest.fixture
def desk(department, staff):
    """An email ticket in Billing, and Otieno on duty there."""
    billing = department("Billing")
    otieno = staff("otieno", departments=[billing])
    brian = Customer(name="Brian", email="brian.otieno@gmail.example")
    db.session.add(brian)
    ticket = lifecycle.open_ticket(
        brian, subject="Charged twice", body="See my statement", channel=Channel.EMAIL
    )
    db.session.commit()
    return otieno, ticket


@pytest.fixture
def mailer(app, smtp_server):
    """Jobs send email through the real SMTP server."""
    app.config.update(smtp_settings(smtp_server))
    return smtp_server


@pytest.fixture
def agent(client, login, desk):
    return login(client, desk[0])


def reply(agent, ticket, body="Here is the receipt.", files=()):
    data = {"seen": seen(ticket), "body": body, "files": [(io.BytesIO(b), n) for n, b in files]}
    return agent.post(
        f"/agent/tickets/{ticket.id}/reply", data=data, content_type="multipart/form-data"
    )


def files_of(parsed) -> list[tuple[str, str, bytes]]:
    return [
        (part.get_filename(), part.get_content_type(), part.get_payload(decode=True))
        for part in parsed.iter_attachments()
    ]


def stored(ticket_id: int) -> list[Attachment]:
    db.session.expire_all()
    query = select(Attachment).join(Message).where(Message.ticket_id == ticket_id)
    return db.session.scalars(query.order_by(Attachment.id)).all()


# --- Out by email -------------------------------------------------------------------------------


def test_a_reply_with_one_file_reaches_the_smtp_server_as_a_mime_part(
    agent, desk, mailer, run_jobs
):
    _, ticket = desk
    response = reply(agent, ticket, files=[("receipt.pdf", PDF)])
    assert response.status_code == 302
    run_jobs()
    sent = [m for m in mailer.messages if "brian.otieno@gmail.example" in m.rcpt_tos]
    parsed = mailer.parsed(mailer.messages.index(sent[-1]))
    assert "Here is the receipt." in parsed.get_body(("plain",)).get_content()
    assert files_of(parsed) == [("receipt.pdf", "application/pdf", PDF)]


def test_a_reply_with_three_files_sends_each_with_its_name_type_and_bytes(
    agent, desk, mailer, run_jobs
):
    _, ticket = desk
    notes = b"line one\r\nline two\r\n"
    files = [("photo.png", PNG), ("notes.txt", notes), ("photo.png", JPEG)]  # names may repeat
    assert reply(agent, ticket, files=files).status_code == 302
    run_jobs()
    parsed = mailer.parsed(len(mailer.messages) - 1)
    assert files_of(parsed) == [
        ("photo.png", "image/png", PNG),
        ("notes.txt", "text/plain", notes),
        ("photo.png", "image/jpeg", JPEG),  # what the bytes are, not what the name says
    ]
    event = db.session.scalar(select(Event).where(Event.kind == "replied"))
    assert event.data["files"] == ["photo.png", "notes.txt", "photo.png"]


@pytest.mark.parametrize(
    "files, words",
    [
        ([("big.pdf", b"%PDF-" + b"x" * (5 * MB))], "big.pdf is larger than 5 MB"),
        ([(f"f{n}.txt", b"x") for n in range(6)], "Attach at most 5 files."),
        ([("blank.txt", b"")], "blank.txt is empty"),
    ],
)
def test_a_refused_file_sends_nothing_and_keeps_the_typed_reply(agent, desk, mailer, files, words):
    _, ticket = desk
    before = counts()
    response = reply(agent, ticket, body="Words I do not want to type again", files=files)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert words in page and "choose the files again" in page
    assert "Words I do not want to type again" in page
    assert counts() == before and stored(ticket.id)[1:] == []
    assert mailer.messages == []


def test_a_reply_with_files_that_meets_a_change_asks_for_the_files_again(agent, desk, mailer):
    otieno, ticket = desk
    data = {"seen": "0", "body": "Receipt attached", "files": [(io.BytesIO(PDF), "r.pdf")]}
    response = agent.post(f"/agent/tickets/{ticket.id}/reply", data=data)
    assert response.status_code == 409
    assert "Your files (r.pdf) were not kept: choose them again" in response.text
    assert "Receipt attached" in response.text and stored(ticket.id) == []


@pytest.mark.config(MAX_MESSAGE_ATTACHMENT_BYTES=100)
def test_files_over_the_total_for_one_reply_are_refused(agent, desk):
    _, ticket = desk
    response = reply(agent, ticket, files=[("a.txt", b"a" * 60), ("b.txt", b"b" * 60)])
    assert response.status_code == 400 and "Together the files are over" in response.text
    assert len(stored(ticket.id)) == 0


@pytest.mark.parametrize(
    "name, kept",
    [
        ("../../etc/passwd", "passwd"),
        ("x" * 300 + ".pdf", "x" * 190 + ".pdf"),
        ("Ripoti ya Wanjirũ — Machi.pdf", "Ripoti ya Wanjirũ — Machi.pdf"),
        ("\x00.", "attachment"),
    ],
)
def test_hostile_file_names_are_made_safe_before_they_are_kept_or_sent(
    agent, desk, mailer, run_jobs, name, kept
):
    _, ticket = desk
    assert reply(agent, ticket, files=[(name, PDF)]).status_code == 302
    assert stored(ticket.id)[-1].filename == kept
    run_jobs()
    raw = mailer.messages[-1].raw
    assert b"\r\nBcc:" not in raw
    assert files_of(mailer.parsed(len(mailer.messages) - 1))[0][0] == kept


@pytest.mark.parametrize(
    "name, kept",
    [
        ("a\r\nBcc: victim@example.com.png", "aBcc: victim@example.com.png"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("C:\\Users\\amina\\..receipt.pdf", "receipt.pdf"),
        ("   ", "attachment"),
    ],
)
def test_names_a_browser_would_encode_are_made_safe_too(name, kept):
    """A browser percent-encodes CR and LF in a multipart file name, and the test client
    cannot send them raw either, so the rule itself is checked here."""
    assert safe_filename(name) == kept


def test_a_reply_with_a_file_on_an_sms_ticket_is_refused_and_nothing_is_sent(
    client, login, department, staff
):
    from harness import sms_ticket

    otieno, ticket = sms_ticket(department, staff)
    agent = login(client, otieno)
    page = agent.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    assert "Files go only by email; this customer is answered by SMS" in page
    before = counts()
    response = reply(agent, ticket, body="Picha ya risiti", files=[("risiti.png", PNG)])
    assert response.status_code == 400
    assert "Files go only by email, and this reply goes by SMS: nothing was sent" in response.text
    assert "Picha ya risiti" in response.text
    assert counts() == before


def test_a_reply_with_files_but_no_csrf_token_is_refused(make_app, desk):
    otieno, ticket = desk
    agent = make_app(WTF_CSRF_ENABLED=True).test_client()
    page = agent.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    signed = {"email": otieno.email, "password": PASSWORD, "csrf_token": token}
    assert agent.post("/auth/login", data=signed).status_code == 302
    before = counts()
    assert reply(agent, ticket, files=[("receipt.pdf", PDF)]).status_code == 400
    assert counts() == before and stored(ticket.id) == []


# --- Back to the browser ------------------------------------------------------------------------


def customer_file(ticket: Ticket, name: str, data: bytes, internal: bool = False) -> Attachment:
    """A file on the ticket as the customer (or, `internal`, an agent's note) sent it."""
    message = conversation.add_message(
        ticket,
        Direction.OUTBOUND if internal else Direction.INBOUND,
        Channel.WEB,
        "a file",
        internal=internal,
        attachments=[{"filename": name, "content_type": "image/png", "size": 1, "data": data}],
    )
    db.session.commit()
    return message.attachments[0]


@pytest.mark.parametrize("data, kind", [(PNG, "image/png"), (PDF, "application/pdf")])
def test_a_real_picture_or_pdf_is_shown_inline_under_a_sandbox(agent, desk, data, kind):
    _, ticket = desk
    item = customer_file(ticket, "statement", data)
    response = agent.get(f"/agent/files/{item.id}")
    assert response.status_code == 200 and response.data == data
    assert response.headers["Content-Type"] == kind
    assert response.headers["Content-Disposition"].startswith("inline")
    policy = response.headers["Content-Security-Policy"]
    assert policy.startswith("sandbox;") and "default-src 'none'" in policy
    assert "script-src" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "name, data",
    [
        ("receipt.png", b"<html><script>alert(document.cookie)</script></html>"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("notes.txt", b"just words"),
    ],
)
def test_anything_else_is_a_download_the_browser_may_not_sniff(agent, desk, name, data):
    _, ticket = desk
    item = customer_file(ticket, name, data)
    response = agent.get(f"/agent/files/{item.id}")
    assert response.status_code == 200 and response.data == data
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert name in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_the_ticket_page_previews_pictures_and_offers_pdfs_both_ways(agent, desk):
    _, ticket = desk
    picture = customer_file(ticket, "meter.png", PNG)
    statement = customer_file(ticket, "statement.pdf", PDF)
    statement.content_type = "application/pdf"
    db.session.commit()
    page = agent.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    assert re.search(rf'<img class="attachment-preview" src="/agent/files/{picture.id}"', page)
    assert f'href="/agent/files/{statement.id}?download=1"' in page
    saved = agent.get(f"/agent/files/{statement.id}?download=1")
    assert saved.headers["Content-Disposition"].startswith("attachment")
    assert saved.headers["Content-Type"] == "application/octet-stream" and saved.data == PDF
    assert 'enctype="multipart/form-data"' in page and 'data-max-files="5"' in page


def test_a_customer_sees_only_their_own_tickets_files_and_never_a_notes(client, desk):
    otieno, ticket = desk
    theirs = customer_file(ticket, "meter.png", PNG)
    note = customer_file(ticket, "internal.png", PNG, internal=True)
    other = lifecycle.open_ticket(
        Customer(name="Other", email="other@example.com"),
        subject="Mine",
        body="mine",
        channel=Channel.EMAIL,
    )
    db.session.commit()
    elsewhere = customer_file(other, "other.png", PNG)
    mine = client.get(f"/t/{ticket.token}/files/{theirs.id}")
    assert mine.status_code == 200 and mine.headers["Content-Type"] == "image/png"
    page = client.get(f"/t/{ticket.token}").get_data(as_text=True)
    assert f"/t/{ticket.token}/files/{theirs.id}" in page and "internal.png" not in page
    assert client.get(f"/t/{ticket.token}/files/{note.id}").status_code == 404
    assert client.get(f"/t/{ticket.token}/files/{elsewhere.id}").status_code == 404
    assert client.get(f"/t/{'x' * 43}/files/{theirs.id}").status_code == 404


def test_an_agent_of_another_department_gets_no_file(client, login, desk, department, staff):
    _, ticket = desk
    item = customer_file(ticket, "meter.png", PNG)
    stranger = login(client, staff("njeri", departments=[department("Sales")]))
    assert stranger.get(f"/agent/files/{item.id}").status_code == 404
    assert stranger.get("/agent/files/999999").status_code == 404


# --- A too-big upload on /support ---------------------------------------------------------------


def test_an_oversize_support_post_comes_back_with_everything_typed(client, desk, app):
    huge = (io.BytesIO(b"x" * (app.config["MAX_CONTENT_LENGTH"] + 10)), "huge.bin")
    before = counts()
    response = client.post("/support", data=SUPPORT_FORM | {"attachment": huge})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "huge.bin is larger than 5 MB" in page
    assert 'value="Amina Hassan"' in page and "My delivery to Kisumu is 5 days late." in page
    assert counts() == before


@pytest.mark.config(MAX_UPLOAD_READ_BYTES=64 * 1024, MAX_ATTACHMENT_BYTES=1024)
def test_a_body_past_what_we_read_is_refused_413_and_nothing_is_kept(client, desk):
    before = counts()
    huge = (io.BytesIO(b"x" * 100_000), "huge.bin")
    response = client.post("/support", data=SUPPORT_FORM | {"attachment": huge})
    assert response.status_code == 413 and "larger than we accept" in response.text
    assert counts() == before


def test_the_support_form_publishes_its_limits_for_the_browser_check(client, desk, app):
    page = client.get("/support").get_data(as_text=True)
    assert f'data-max-bytes="{app.config["MAX_ATTACHMENT_BYTES"]}"' in page
    assert 'data-max-files="1"' in page and "what you typed is kept" in page
