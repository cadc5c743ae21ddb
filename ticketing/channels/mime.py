"""Reading a MIME message that may be broken in any way: headers, addresses, text, files.

The standard library's header parser can still raise on malformed input (`Content-Type: x;
name*`, `Message-ID: <[a@b]>`), even while the message is being parsed. FORGIVING is
policy.default except that such a header reads as plain unstructured text instead.
"""

import codecs
import email
import mimetypes
import re
from contextlib import suppress
from dataclasses import dataclass, field
from email import headerregistry
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.policy import EmailPolicy

_UNSTRUCTURED = headerregistry.HeaderRegistry(use_default_map=False)
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028-\u202e\u2066-\u2069]+")  # and bidi
MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")
ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
MAX_DEPTH = 20  # nested multiparts deeper than this are not read (a known parser bomb)
# Labels whose real-world meaning is a superset codec (what browsers do, WHATWG Encoding).
CODEC_FOR = {
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "ascii",
    "ascii": "ascii",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "iso-8859-8-i": "iso-8859-8",
    "windows-874": "cp874",
    "tis-620": "cp874",
}


class ForgivingPolicy(EmailPolicy):
    def header_fetch_parse(self, name, value):
        try:
            return super().header_fetch_parse(name, value)
        except Exception:  # noqa: BLE001 - any parser bug: keep the text, lose the structure
            return _UNSTRUCTURED(name, value)


FORGIVING = ForgivingPolicy()


def read(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=FORGIVING)


def clean(text: str) -> str:
    """One line of text: control characters (CR LF injection among them) become spaces."""
    return re.sub(r"\s{2,}", " ", CONTROL.sub(" ", _unescape(text))).strip()


def _unescape(text: str) -> str:
    """Undo the parser's surrogate escapes of raw 8-bit bytes: UTF-8 if they are, else cp1252."""
    try:
        data = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text
    return decode_bytes(data, "utf-8")


def raw_values(msg: EmailMessage, name: str) -> list[str]:
    """The header's values exactly as received (folded, not decoded): nothing here can raise."""
    return [value for key, value in msg.raw_items() if key.lower() == name.lower()]


def header(msg: EmailMessage, name: str) -> str:
    """The first `name` header as clean text (RFC 2047 decoded); "" when absent."""
    values = raw_values(msg, name)
    if not values:
        return ""
    value = re.sub(r"\r?\n(?=[ \t])", "", values[0])
    if any("\udc80" <= char <= "\udcff" for char in value):
        value = _unescape(value)  # raw 8-bit bytes (RFC 6532 or a careless client)
    with suppress(Exception):  # a broken encoded-word is kept as written
        value = str(make_header(decode_header(value)))
    return clean(value)


def sender(msg: EmailMessage) -> tuple[str, str]:
    """(lower-case address, display name) from From; ("", "") when it holds no address."""
    try:
        addresses = msg["From"].addresses
    except Exception:  # noqa: BLE001 - absent, or unparsable and read as plain text
        addresses = ()
    for address in addresses:
        if address.username and "." in address.domain and len(address.addr_spec) <= 254:
            return clean(address.addr_spec).lower(), clean(address.display_name)[:120]
    found = ADDRESS.search(header(msg, "From"))
    return (found.group(0).lower(), "") if found else ("", "")


def addresses(msg: EmailMessage, *names: str) -> tuple[str, ...]:
    """Every usable lower-case address in the named headers (To, Cc), in order, no repeats;
    what cannot be parsed as an address list is searched for plain addresses instead."""
    found = []
    for name in names:
        for value, raw in zip(msg.get_all(name) or (), raw_values(msg, name), strict=False):
            try:
                parsed = [clean(address.addr_spec).lower() for address in value.addresses]
            except Exception:  # noqa: BLE001 - unparsable: searched as plain text below
                parsed = []
            usable = [a for a in parsed if ADDRESS.fullmatch(a) and len(a) <= 254]
            found += usable or [a.lower() for a in ADDRESS.findall(clean(raw)) if len(a) <= 254]
    return tuple(dict.fromkeys(found))


def message_ids(msg: EmailMessage, *names: str) -> tuple[str, ...]:
    """Every <message-id> in the named headers, in order, without repeats."""
    found = [
        token
        for name in names
        for value in raw_values(msg, name)
        for token in MESSAGE_ID.findall(value)
    ]
    return tuple(dict.fromkeys(found))


def content_type(part: EmailMessage) -> str:
    try:
        return part.get_content_type()
    except Exception:  # noqa: BLE001
        return "application/octet-stream"


def decode_bytes(data: bytes, label: str | None) -> str:
    """Text from bytes in the declared charset, or the best guess when the label lies:
    "us-ascii" or no label usually means UTF-8 or Windows-1252; unknown labels too."""
    codec = _codec(label)
    if codec not in (None, "ascii"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            pass
    for guess in ("utf-8", "cp1252"):
        try:
            return data.decode(guess)
        except UnicodeDecodeError:
            continue
    return data.decode(codec or "utf-8", "replace")


def _codec(label: str | None) -> str | None:
    label = (label or "").strip().strip("\"'").lower()
    if not label:
        return None
    label = CODEC_FOR.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def text_of(part: EmailMessage) -> str:
    """A text part's content as str, whatever its transfer encoding and charset."""
    text = decode_bytes(payload_bytes(part), param(part, "charset"))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if param(part, "format") == "flowed":
        text = unflow(text, delete_space=param(part, "delsp") == "yes")
    return text.replace("\ufeff", "").replace("\x00", "")  # PostgreSQL text refuses NUL


def param(part: EmailMessage, name: str, header_name: str = "content-type") -> str:
    """A Content-Type parameter in lower case; "" when absent or unreadable."""
    try:
        value = part.get_param(name, header=header_name)
    except Exception:  # noqa: BLE001
        return ""
    return value.strip().lower() if isinstance(value, str) else ""


def unflow(text: str, *, delete_space: bool) -> str:
    """Join format=flowed soft line breaks (RFC 3676), keeping quote depth."""
    paragraphs: list[list] = []
    open_paragraph = False
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        content = content[1:] if content.startswith(" ") else content  # space-stuffing
        soft = content.endswith(" ") and content != "-- "
        if soft and delete_space:
            content = content[:-1]
        if open_paragraph and paragraphs[-1][0] == depth:
            paragraphs[-1][1] += content
        else:
            paragraphs.append([depth, content])
        open_paragraph = soft
    return "\n".join(
        ">" * depth + (" " if depth else "") + content for depth, content in paragraphs
    )


@dataclass
class Parts:
    """A message taken apart: body texts, files, and a delivery report if there is one."""

    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    files: list[EmailMessage] = field(default_factory=list)
    report: EmailMessage | None = None
    too_deep: bool = False


def parts(msg: EmailMessage) -> Parts:
    found = Parts()
    _visit(msg, found, 0)
    return found


def _visit(part: EmailMessage, found: Parts, depth: int) -> None:
    if depth > MAX_DEPTH:
        found.too_deep = True
        return
    kind = content_type(part)
    children = part.get_payload() if kind.startswith("multipart/") else None
    if isinstance(children, list):
        if kind == "multipart/report" and found.report is None:
            found.report, children = part, children[:1]  # the rest is the report itself
        for child in children:
            _visit(child, found, depth + 1)
    elif children is not None:  # "multipart" without a usable boundary: read it as text
        found.plain.append(text_of(part))
    elif kind in ("text/plain", "text/html") and not _is_file(part):
        (found.plain if kind == "text/plain" else found.html).append(text_of(part))
    else:
        found.files.append(part)


def _is_file(part: EmailMessage) -> bool:
    try:
        return part.get_content_disposition() == "attachment" or bool(part.get_filename())
    except Exception:  # noqa: BLE001
        return True


def attachment(part: EmailMessage, number: int) -> dict:
    """A models.Attachment's fields for one non-body part."""
    kind = content_type(part)
    data = payload_bytes(part)
    extension = mimetypes.guess_extension(kind) or ".bin"
    name = filename(part) or f"part-{number}{'.eml' if kind == 'message/rfc822' else extension}"
    try:
        inline = part.get_content_disposition() == "inline" or (
            part["Content-ID"] is not None and part.get_content_disposition() != "attachment"
        )
    except Exception:  # noqa: BLE001
        inline = False
    return {
        "filename": name,
        "content_type": kind[:120],
        "size": len(data),
        "data": data,
        "is_inline": inline,
    }


def payload_bytes(part: EmailMessage) -> bytes:
    payload = part.get_payload()
    if isinstance(payload, list):  # message/rfc822: the enclosed message, re-serialised
        for policy in (FORGIVING, email.policy.compat32):
            try:
                return payload[0].as_bytes(policy=policy) if payload else b""
            except Exception:  # noqa: BLE001 - a broken enclosed message: try the simpler way
                continue
        return b""
    try:
        return part.get_payload(decode=True) or b""
    except Exception:  # noqa: BLE001
        return b""


def filename(part: EmailMessage) -> str:
    """The part's file name, safe to show and to offer for download; "" when it has none."""
    try:
        name = part.get_filename() or ""
    except Exception:  # noqa: BLE001 - RFC 2231 parameters the stdlib cannot read
        name = ""
    name = clean(name).replace("\\", "/").rsplit("/", 1)[-1].lstrip(". ")
    stem, dot, extension = name.rpartition(".")
    if len(name) > 200:
        name = f"{stem[:190]}.{extension[:9]}" if dot else name[:200]
    return name
