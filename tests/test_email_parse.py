"""The email parser on hostile, broken, foreign and automated input: it never crashes, it
degrades to readable text, it keeps within its limits and says what it left out."""

import time
from email.message import EmailMessage

import pytest

from ticketing.channels import email, mailhtml, replies
from ticketing.channels.email import UnusableMessage

HEAD = "From: Kamau <kamau@example.test>\r\nTo: support@fuatilia.test\r\n"


def mail(headers: str = "", body: str = "Hello, my fridge is broken.", head: str = HEAD) -> bytes:
    return f"{head}{headers}\r\n{body}\r\n".encode("utf-8", "surrogateescape")


@pytest.mark.parametrize(
    "headers",
    [
        'To: "\r\n',
        "Content-Type: text/plain; name*\r\n",
        "Content-Disposition: attachment; filename*\r\n",
        "Cc: a@b.example,\r\n",
        "Message-ID: <[abc@microsoft.com]>\r\n",
        "Date: Mon, 32 Foo 2025 25:61:00 +0300\r\n",
        "Subject: one\r\nSubject: two\r\n",
        "X-Long: " + "a" * 210_000 + "\r\n",
        "Subject: =?utf-8?B?broken base64?=\r\n",
        "Subject: =?x-nonsense?Q?abc?=\r\n",
        "Content-Type: multipart/mixed\r\n",
        'Content-Type: multipart/mixed; boundary="never-used"\r\n',
        "Content-Transfer-Encoding: base64\r\n",
        'Content-Type: text/plain; charset=""\r\n',
        "To: " + ", ".join(f"person{n}@example.test" for n in range(1000)) + "\r\n",
    ],
    ids=lambda value: value[:30],
)
def test_malformed_headers_parse_without_error(app, headers):
    started = time.process_time()  # the work done, not how busy the machine is
    inbound = email.parse(mail(headers))
    assert time.process_time() - started < 5
    assert inbound.sender == "kamau@example.test"
    assert inbound.external_id


def test_a_missing_final_boundary_keeps_the_text_and_the_file(app):
    raw = mail(
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n',
        "--b\r\nContent-Type: text/plain\r\n\r\nThe door is bent.\r\n--b\r\n"
        "Content-Type: image/png\r\nContent-Disposition: attachment; filename=door.png\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n",
    )
    inbound = email.parse(raw)
    assert inbound.text == "The door is bent."
    assert [(a["filename"], a["data"]) for a in inbound.attachments] == [
        ("door.png", b"\x89PNG\r\n\x1a\n")
    ]


def test_a_200_level_nested_multipart_is_cut_off_with_a_note_in_bounded_time(app):
    body = ""
    for level in range(200):
        body += f'--b{level}\r\nContent-Type: multipart/mixed; boundary="b{level + 1}"\r\n\r\n'
    body += "--b200\r\nContent-Type: text/plain\r\n\r\ndeep text\r\n"
    raw = mail('MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b0"\r\n', body)
    started = time.process_time()  # the work done, not how busy the machine is
    inbound = email.parse(raw)
    assert time.process_time() - started < 5
    assert any("nested deeper" in note for note in inbound.notes)


def test_no_sender_address_is_refused_with_the_reason(app):
    with pytest.raises(UnusableMessage, match="no sender address"):
        email.parse(mail(head="From: Customer Care Team\r\n"))
    with pytest.raises(UnusableMessage):
        email.parse(b"\x00\x01\x02 not an email at all")


@pytest.mark.parametrize(
    "charset, body, expected",
    [
        ("koi8-r", "Холодильник шумит".encode("koi8-r"), "Холодильник шумит"),
        ("iso-2022-jp", "メルマガ解除".encode("iso-2022-jp"), "メルマガ解除"),
        ("x-unknown", "Asante – Peter".encode(), "Asante – Peter"),
        ("us-ascii", "“express” – option".encode(), "“express” – option"),
        ("utf-8", "caf\xe9 cr\xe8me".encode("latin-1"), "café crème"),  # mislabelled Latin-1
        ("iso-8859-1", b"\x93quoted\x94 \x80450", "“quoted” €450"),  # browsers read it as cp1252
    ],
)
def test_charsets_decode_or_degrade(app, charset, body, expected):
    raw = (
        HEAD + f"Content-Type: text/plain; charset={charset}\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode() + body
    assert email.parse(raw).text == expected


def test_rfc_2047_subject_split_across_encoded_words_and_rfc_2231_filenames(app):
    message = EmailMessage()
    message["From"] = "Wanjirũ <wanjiru@example.test>"
    message["Subject"] = (
        "メルマガ解除 – friji ya Wanjirũ imeharibika, tafadhali tusaidie haraka sana"
    )
    message.set_content("Picha imeambatishwa.")
    message.add_attachment(
        b"jpeg", maintype="image", subtype="jpeg", filename="Picha ya friji – Ruiru.jpg"
    )
    inbound = email.parse(message.as_bytes())
    assert inbound.subject == message["Subject"]
    assert inbound.sender_name == "Wanjirũ"
    assert [a["filename"] for a in inbound.attachments] == ["Picha ya friji – Ruiru.jpg"]


def test_subject_with_encoded_line_breaks_cannot_inject_headers(app):
    inbound = email.parse(mail("Subject: =?utf-8?B?SGVsbG8NCkJjYzogeEBldmlsLmV4YW1wbGU=?=\r\n"))
    assert inbound.subject == "Hello Bcc: x@evil.example"


def test_file_names_cannot_climb_directories_or_hide_their_extension(app):
    message = EmailMessage()
    message["From"] = "a@example.test"
    message.set_content("files")
    for name in ("../../etc/passwd", "a\x00b.png", "invoice\u202egnp.exe", "x" * 300 + ".pdf"):
        message.add_attachment(
            b"data", maintype="application", subtype="octet-stream", filename=name
        )
    names = [a["filename"] for a in email.parse(message.as_bytes()).attachments]
    assert names[:3] == ["passwd", "a b.png", "invoice gnp.exe"]
    assert len(names[3]) <= 200 and names[3].endswith(".pdf")


@pytest.mark.config(MAX_ATTACHMENT_BYTES=1000, MAX_MESSAGE_ATTACHMENT_BYTES=4000)
def test_attachment_limits_leave_a_note_and_keep_the_rest(app):
    message = EmailMessage()
    message["From"] = "a@example.test"
    message.set_content("Photos of the fridge")
    sizes = {
        "small.jpg": 900,
        "huge.mp4": 12_000,
        "b.jpg": 900,
        "c.jpg": 900,
        "d.jpg": 900,
        "e.jpg": 900,
    }
    for name, size in sizes.items():
        message.add_attachment(b"x" * size, maintype="image", subtype="jpeg", filename=name)
    inbound = email.parse(message.as_bytes())
    assert inbound.text == "Photos of the fridge"
    assert [a["filename"] for a in inbound.attachments] == ["small.jpg", "b.jpg", "c.jpg", "d.jpg"]
    assert inbound.notes == (
        "huge.mp4 (12 KB) not kept: over the 1 KB limit per file",
        "e.jpg (1 KB) not kept: the files of one message may total 4 KB",
    )


@pytest.mark.config(MAX_ATTACHMENT_BYTES=1000, MAX_MESSAGE_ATTACHMENT_BYTES=1500)
def test_the_per_message_limit_is_its_own_setting(app):
    message = EmailMessage()
    message["From"] = "a@example.test"
    message.set_content("Two photos")
    for name in ("a.jpg", "b.jpg"):
        message.add_attachment(b"x" * 900, maintype="image", subtype="jpeg", filename=name)
    inbound = email.parse(message.as_bytes())
    assert [a["filename"] for a in inbound.attachments] == ["a.jpg"]
    assert inbound.notes == ("b.jpg (1 KB) not kept: the files of one message may total 1 KB",)


def test_html_with_thousands_of_links_is_sanitised_quickly_and_cut_with_a_note(app):
    links = "".join(
        f'<a href="https://shop.example/{n}" onclick="x()">{n}</a> ' for n in range(6000)
    )
    raw = mail(
        "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n", f"<p>Links</p>{links}"
    )
    started = time.process_time()  # the work done, not how busy the machine is
    inbound = email.parse(raw)
    assert time.process_time() - started < 5
    assert 5000 < inbound.html.count('href="https://shop.example/') < 6000  # 350,000 characters
    assert inbound.notes == (
        "the last 51793 characters of the HTML were not read: too long or too deeply nested",
    )
    assert "onclick" not in inbound.html and inbound.text.startswith("Links")


@pytest.mark.parametrize(
    "html",
    [
        '<a href="jav&#x09;ascript:alert(1)">x</a>',
        '<a href=" JaVaScRiPt:alert(1)">x</a>',
        '<a href="&#106;avascript:alert(1)">x</a>',
        '<a href="data:text/html,x">x</a>',
        '<a href="/relative">x</a>',
        '<img src="cid:logo@x">',
        '<img src="https://t.example/p.gif">',
        '<svg onload="alert(1)"></svg>x',
        '<div style="background:url(https://t.example/)">x</div>',
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph>",
        '<base href="https://evil.example/">x',
        '<meta http-equiv="refresh" content="0;url=x">x',
    ],
)
def test_sanitiser_removes_every_active_or_remote_thing(html):
    clean = mailhtml.sanitise(html)
    for danger in (
        "javascript",
        "script",
        "onerror",
        "onload",
        "<img",
        "<svg",
        "style",
        "data:",
        "/relative",
        "https://t.example",
        "<base",
        "<meta",
        "evil.example",
    ):
        assert danger not in clean.lower()


def test_sanitiser_keeps_ordinary_formatting_and_safe_links():
    html = (
        '<p>Hi <b>there</b>, see <a href="https://fuatilia.example/t/1" target="_blank">'
        'this</a> or <a href="mailto:a@b.example">mail</a>.</p><table><tr><td>1</td></tr>'
        "</table>"
    )
    assert mailhtml.sanitise(html) == (
        '<p>Hi <b>there</b>, see <a href="https://fuatilia.example/t/1" rel="noopener '
        'noreferrer nofollow">this</a> or <a href="mailto:a@b.example" rel="noopener noreferrer '
        'nofollow">mail</a>.</p><table><tbody><tr><td>1</td></tr></tbody></table>'
    )


@pytest.mark.parametrize(
    "headers, automated",
    [
        ("Auto-Submitted: auto-replied\r\n", True),
        ("Auto-Submitted: auto-generated\r\n", True),
        ("Auto-Submitted: auto-notified\r\n", True),
        ("Auto-Submitted: vacation; owner-email=a@b.example\r\n", True),
        ("Auto-Submitted: no\r\n", False),
        ("Auto-Submitted: No ; comment\r\n", False),
        ("Precedence: bulk\r\n", True),
        ("Precedence: junk\r\n", True),
        ("Precedence: list\r\n", True),
        ("Precedence: auto_reply\r\n", True),
        ("Precedence: first-class\r\n", False),
        ("X-Autoreply: yes\r\n", True),
        ("X-Autorespond: Out of office\r\n", True),
        ("List-Id: Fridge owners <owners.lists.example>\r\n", True),
        ("Return-Path: <>\r\n", True),
        ("", False),
    ],
)
def test_automated_mail_is_recognised_and_people_are_not_silenced(app, headers, automated):
    assert email.parse(mail(headers)).is_automated is automated


@pytest.mark.parametrize(
    "sender", ["MAILER-DAEMON@mx.example", "postmaster@mx.example", "support@fuatilia.test"]
)
def test_robots_and_our_own_address_are_automated(app, sender):
    assert email.parse(mail(head=f"From: {sender}\r\n")).is_automated


@pytest.mark.config(IMAP_USER="inbox@fuatilia.test", MAIL_ALIASES="help@fuatilia.test, ")
@pytest.mark.parametrize(
    "headers, expected",
    [
        ("Cc: Amina <Amina@Company.example>\r\n", ("amina@company.example",)),
        ("Cc: a@x.example\r\nCc: b@x.example, a@x.example\r\n", ("a@x.example", "b@x.example")),
        (
            "Cc: Kamau <kamau@example.test>, support@fuatilia.test, INBOX@fuatilia.test, "
            "help@fuatilia.test\r\n",
            (),
        ),  # the sender and every address of ours
        (
            'Cc: "Wekesa, Amina" <amina@company.example>, team: ben@x.example, c@x.example;\r\n',
            ("amina@company.example", "ben@x.example", "c@x.example"),
        ),
        ("Cc: =?utf-8?q?J=C3=BCrgen?= <jurgen@example.de>\r\n", ("jurgen@example.de",)),
        ("Cc: \x80\xff <<<>>> z@y.example,,,\r\n", ("z@y.example",)),
        ("Cc: undisclosed-recipients:;\r\n", ()),
        ("Cc: @@, <>, a@b, " + "x" * 300 + "@long.example\r\n", ()),
    ],
    ids=lambda value: str(value)[:30],
)
def test_the_others_written_to_are_read_from_to_and_cc_without_us(app, headers, expected):
    assert email.parse(mail(headers)).cc == expected


def test_a_delayed_delivery_report_is_not_a_failure(app):
    raw = mail(
        "MIME-Version: 1.0\r\nContent-Type: multipart/report; "
        'report-type=delivery-status; boundary="r"\r\n',
        "--r\r\nContent-Type: text/plain\r\n\r\nStill trying.\r\n"
        "--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        "Final-Recipient: rfc822; brian@example.test\r\nAction: delayed\r\n"
        "Status: 4.4.1\r\nDiagnostic-Code: smtp; 451 try later\r\n"
        "--r\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        "Message-ID: <ft.1.abc@fuatilia.test>\r\nSubject: x\r\n--r--\r\n",
        head="From: MAILER-DAEMON@mx.example\r\n",
    )
    report = email.parse(raw).bounce
    assert (report.message_id, report.status, report.is_permanent) == (
        "<ft.1.abc@fuatilia.test>",
        "4.4.1",
        False,
    )
    assert report.reason == "brian@example.test 4.4.1 451 try later"


@pytest.mark.parametrize(
    "text, new",
    [
        (
            "Yes please.\n\nOn Mon, 3 Mar 2025 at 10:00, Support <s@f.test> wrote:\n> Shall we?",
            "Yes please.",
        ),
        (
            "Ndiyo.\n\nMnamo Jum, 3 Mac 2025 saa 10:00, Support <s@f.test>\naliandika:\n\n> Sawa?",
            "Ndiyo.",
        ),
        (
            "Fine.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\nSubject: x\n\nOld",
            "Fine.",
        ),
        (
            "Fine.\n\nVon: Support <s@f.test>\nGesendet: Montag\nAn: Amina\nBetreff: x\n\nAlt",
            "Fine.",
        ),
        ("> Is it cold now?\n\nYes.\n\n> And the noise?\n\nGone.", "Yes.\n\nGone."),
        ("Only news, no quote.", "Only news, no quote."),
    ],
)
def test_reply_text_is_separated_from_quoted_history(text, new):
    assert replies.split(text)[0] == new


@pytest.mark.parametrize(
    "html",
    [
        "<div>" * 60_000 + "deep",
        "<blockquote>" * 2000 + "x",
        "&" * 1_000_000,
        "<div" * 300_000,
        "<p>x</p>" * 200_000,
    ],
    ids=["nested divs", "nested quotes", "ampersands", "unclosed tags", "long"],
)
def test_pathological_html_is_read_in_bounded_time_and_the_cut_is_noted(app, html):
    raw = mail("MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n", html)
    started = time.process_time()  # the work done, not how busy the machine is (1 s quiet)
    inbound = email.parse(raw)
    assert time.process_time() - started < 5
    assert any("of the HTML were not read" in note for note in inbound.notes)
