#!/usr/bin/env python3
"""Verify that manifest.json tells the truth about every .eml file.

Run:  python3 tests/corpus/email/check_manifest.py [-v] [--full-oversized]

Every file is parsed with ``email.message_from_bytes(data,
policy=email.policy.default)``.  Header access is wrapped in try/except
because some headers are broken on purpose (051 raises IndexError).

Checked mechanically, per entry:
  file            exists; every NNN-*.eml is in the manifest exactly once
  category        one of the allowed values
  from            first address of From, lower-cased addr_spec; null when
                  access raises, there is no address, or it lacks a domain
  subject         str(msg['Subject']) exactly; null when missing or raising
  message_id      str(msg['Message-ID']).strip(); null when missing/raising
                  (stdlib keeps a leading space when the header is folded
                  right after the colon, as Outlook does)
  in_reply_to,
  references      every <...> token of the header, in order
  ticket_ref      first FT-XXXXX (reference alphabet) in the subject
  is_automated    recomputed from the RFC 3834 / common-practice rules below
  is_bounce       multipart/report;report-type=delivery-status, or a
                  MAILER-DAEMON mail carrying a copy of the original
  bounced_message_id  Message-ID found in the text/rfc822-headers or
                  message/rfc822 part (or after qmail's "Below this line")
  text_must_contain   found (whitespace-normalised) in a decoded text/*
                  part; for html also after entity unescaping; decoding
                  falls back to UTF-8 when the charset label is unknown.
                  null means: no text/* part has any non-blank content
  quoted_must_not_be_in_new_text  present in the decoded text, different
                  from text_must_contain, and (except for the listed
                  quote-first messages) located after it
  attachments     [part.get_filename() for part in msg.walk()] (non-None)
  html_hostile    recomputed with a regex list over text/html parts
  duplicates      Message-IDs are unique except for "duplicate" entries,
                  which must share theirs with exactly one other file

Not checkable mechanically (reviewed by hand): that the quoted phrase lies
*only* in the quoted history and the text phrase in the new text, the
category semantics, and "notes".

Also checked: the generator reproduces every file byte for byte, and
oversized_message() returns a parseable message of the exact size asked
(a small size by default, 30 MB with --full-oversized).
"""

from __future__ import annotations

import email
import email.policy
import html
import importlib.util
import json
import re
import sys
from email.parser import HeaderParser
from pathlib import Path

HERE = Path(__file__).resolve().parent

FIELDS = [
    "file",
    "category",
    "from",
    "subject",
    "message_id",
    "in_reply_to",
    "references",
    "ticket_ref",
    "is_automated",
    "is_bounce",
    "bounced_message_id",
    "text_must_contain",
    "quoted_must_not_be_in_new_text",
    "attachments",
    "html_hostile",
    "notes",
]
CATEGORIES = {
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
}
TICKET_RE = re.compile(r"FT-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{5}(?![0-9A-Z])")
MSGID_RE = re.compile(r"<[^<>\s]+>")
# Messages whose quoted history comes before the new text (bottom-posting).
QUOTE_FIRST = {
    "006-thunderbird-reply-flowed-bottom-post.eml",
    "009-reply-in-reply-to-only.eml",
}
HOSTILE_PATTERNS = [
    r"<\s*script",
    r"\son[a-z]+\s*=",
    r"javascript\s*:",
    r"vbscript\s*:",
    r"<\s*iframe",
    r"expression\s*\(",
    r"data:",
    r"-moz-binding",
    r"behavior\s*:",
    r"<img[^>]+src\s*=\s*[\"']?(https?:)?//",
    r"url\s*\(\s*[\"']?(https?:)?//",
    r"@import",
    r"<\s*(object|embed|form|base|link)\b",
    r"http-equiv\s*=\s*[\"']?refresh",
]
HOSTILE_RE = re.compile("|".join(HOSTILE_PATTERNS), re.I)


def norm(s: str) -> str:
    return " ".join(s.split())


def header(msg, name):
    """(value-or-None, error-or-None) for a possibly broken header."""
    try:
        h = msg[name]
    except Exception as exc:  # deliberately broken headers
        return None, exc
    return h, None


def sender(msg):
    h, err = header(msg, "From")
    if h is None:
        return None
    try:
        addrs = h.addresses
    except Exception:
        return None
    if not addrs or not addrs[0].domain or not addrs[0].username:
        return None
    return addrs[0].addr_spec.lower()


def text_parts(msg):
    """Decoded (content_type, text) for every leaf text/* part."""
    out = []
    for part in msg.walk():
        if part.is_multipart() or part.get_content_maintype() != "text":
            continue
        try:
            text = part.get_content()
        except LookupError:  # unknown charset label
            text = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
        out.append((part.get_content_type(), text))
    return out


def automated(msg, frm):
    h, _ = header(msg, "Auto-Submitted")
    if h is not None and str(h).split(";")[0].strip().lower() != "no":
        return True
    h, _ = header(msg, "Precedence")
    if h is not None and str(h).strip().lower() in ("bulk", "junk", "list"):
        return True
    for name in ("X-Autoreply", "X-Autorespond", "List-Id"):
        if msg[name] is not None:
            return True
    if frm and frm.split("@")[0] in ("mailer-daemon", "postmaster"):
        return True
    return is_dsn(msg)


def is_dsn(msg):
    return (
        msg.get_content_type() == "multipart/report"
        and (msg.get_param("report-type") or "").lower() == "delivery-status"
    )


def bounce_info(msg, frm, texts):
    """(is_bounce, bounced_message_id)"""
    if is_dsn(msg):
        for part in msg.walk():
            ctype = part.get_content_type()
            if ctype == "text/rfc822-headers":
                raw = part.get_payload(decode=True).decode("ascii", "replace")
                return True, HeaderParser().parsestr(raw)["Message-ID"]
            if ctype == "message/rfc822":
                return True, str(part.get_payload(0)["Message-ID"])
        return True, None
    if frm and frm.split("@")[0] == "mailer-daemon":
        for _, text in texts:
            if "Below this line is a copy of the message" in text:
                tail = text.split("Below this line is a copy of the message", 1)[1]
                m = re.search(r"^Message-ID:\s*(<[^>]+>)", tail, re.I | re.M)
                return True, m.group(1) if m else None
    return False, None


def defects_of(msg):
    found = []
    for part in msg.walk():
        found += [type(d).__name__ for d in part.defects]
        for name in set(part.keys()):
            try:
                for h in part.get_all(name, []):
                    found += [f"{name}:{type(d).__name__}" for d in getattr(h, "defects", ())]
            except Exception as exc:
                found.append(f"{name}:RAISES {type(exc).__name__}")
    return found


def _headers(msg, entry):
    out = []
    frm = sender(msg)
    if frm != entry["from"]:
        out.append(f"from {frm!r} != manifest {entry['from']!r}")
    h, _ = header(msg, "Subject")
    subject = None if h is None else str(h)
    if subject != entry["subject"]:
        out.append(f"subject {subject!r} != manifest {entry['subject']!r}")
    # str() keeps the folding whitespace when the value starts on a
    # continuation line (002, 014): compare the stripped value.
    h, err = header(msg, "Message-ID")
    mid = None if h is None else str(h).strip()
    if mid != entry["message_id"]:
        out.append(f"message_id {mid!r} != manifest {entry['message_id']!r} ({err!r})")
    for field, hname in (("in_reply_to", "In-Reply-To"), ("references", "References")):
        h, _ = header(msg, hname)
        ids = MSGID_RE.findall(str(h)) if h is not None else []
        if ids != entry[field]:
            out.append(f"{field} {ids!r} != manifest {entry[field]!r}")
    m = TICKET_RE.search(subject) if subject else None
    ref = m.group(0) if m else None
    if ref != entry["ticket_ref"]:
        out.append(f"ticket_ref {ref!r} != manifest {entry['ticket_ref']!r}")
    return out


def _automation(msg, entry, texts):
    out = []
    frm = sender(msg)
    auto = automated(msg, frm)
    if auto != entry["is_automated"]:
        out.append(f"is_automated {auto!r} != manifest {entry['is_automated']!r}")
    bounce, bounced = bounce_info(msg, frm, texts)
    if bounce != entry["is_bounce"]:
        out.append(f"is_bounce {bounce!r} != manifest {entry['is_bounce']!r}")
    if bounced != entry["bounced_message_id"]:
        out.append(f"bounced_message_id {bounced!r} != manifest {entry['bounced_message_id']!r}")
    return out


def _haystack(texts):
    hay = []
    for ctype, text in texts:
        hay.append(norm(text))
        if ctype == "text/html":
            hay.append(norm(html.unescape(text)))
    return "\n".join(hay)


def _phrases(entry, texts):
    joined = _haystack(texts)
    want = entry["text_must_contain"]
    quoted = entry["quoted_must_not_be_in_new_text"]
    if want is None:
        return (
            [f"text_must_contain is null but text exists: {joined[:80]!r}"]
            if joined.strip()
            else []
        )
    if norm(want) not in joined:
        return [f"text_must_contain {want!r} not found"]
    if quoted is None:
        return []
    if norm(quoted) not in joined:
        return [f"quoted phrase {quoted!r} not found"]
    if norm(quoted) in norm(want) or norm(want) in norm(quoted):
        return ["quoted phrase overlaps text_must_contain"]
    if entry["file"] not in QUOTE_FIRST and joined.find(norm(quoted)) < joined.find(norm(want)):
        return ["quoted phrase appears before the new text"]
    return []


def _parts(msg, entry, texts):
    out = []
    names = [p.get_filename() for p in msg.walk() if p.get_filename() is not None]
    if names != entry["attachments"]:
        out.append(f"attachments {names!r} != manifest {entry['attachments']!r}")
    hostile = any(
        HOSTILE_RE.search(t) or HOSTILE_RE.search(html.unescape(t))
        for c, t in texts
        if c == "text/html"
    )
    if hostile != entry["html_hostile"]:
        out.append(f"html_hostile {hostile!r} != manifest {entry['html_hostile']!r}")
    return out


def check_entry(entry, data, verbose=False):
    """Problems (strings) found for one manifest entry."""
    if sorted(entry) != sorted(FIELDS):
        return [f"fields {sorted(set(entry) ^ set(FIELDS))}"]
    out = []
    if entry["category"] not in CATEGORIES:
        out.append(f"bad category {entry['category']!r}")
    if not (entry["notes"] or "").strip():
        out.append("notes empty")
    msg = email.message_from_bytes(data, policy=email.policy.default)
    texts = text_parts(msg)
    out += _headers(msg, entry)
    out += _automation(msg, entry, texts)
    out += _phrases(entry, texts)
    out += _parts(msg, entry, texts)
    if verbose:
        found = sorted(set(defects_of(msg)))
        if found:
            print(f"  {entry['file']:<48} {', '.join(found)}")
    return [f"{entry['file']}: {p}" for p in out]


def load_generator():
    spec = importlib.util.spec_from_file_location("fuatilia_email_corpus", HERE / "make_corpus.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def check_files(manifest, verbose):
    problems = []
    files = sorted(p.name for p in HERE.glob("[0-9][0-9][0-9]-*.eml"))
    listed = [e["file"] for e in manifest]
    if sorted(listed) != files or len(set(listed)) != len(listed):
        problems.append(f"manifest vs disk differ: {sorted(set(listed) ^ set(files))}")
    if len(files) < 64:
        problems.append(f"only {len(files)} messages")
    if verbose:
        print("stdlib defects / exceptions per file:")
    for entry in manifest:
        path = HERE / entry["file"]
        if not path.exists():
            continue
        data = path.read_bytes()
        if len(data) > 1024 * 1024:
            problems.append(f"{entry['file']}: larger than 1 MiB")
        problems += check_entry(entry, data, verbose)
    return problems


def check_duplicates(manifest):
    problems = []
    by_id = {}
    for e in manifest:
        if e["message_id"] is not None:
            by_id.setdefault(e["message_id"], []).append(e)
    for mid, entries in by_id.items():
        cats = [e["category"] for e in entries]
        if len(entries) > 1 and (len(entries) != 2 or cats.count("duplicate") != 1):
            problems.append(f"message_id {mid} shared by {[e['file'] for e in entries]}")
    for e in manifest:
        if e["category"] == "duplicate" and len(by_id.get(e["message_id"], [])) != 2:
            problems.append(f"{e['file']}: duplicate without a twin")
    return problems


def check_generator(manifest, full_oversized):
    problems = []
    gen = load_generator()
    for name, data, entry in gen.build():
        path = HERE / name
        if not path.exists() or path.read_bytes() != data:
            problems.append(f"{name}: differs from make_corpus.py output")
        if entry not in manifest:
            problems.append(f"{name}: manifest entry differs from generator")
    size = 30 * 1024 * 1024 if full_oversized else 300_001
    big = gen.oversized_message(size)
    if len(big) != size:
        problems.append(f"oversized_message({size}) gave {len(big)} bytes")
    bmsg = email.message_from_bytes(big, policy=email.policy.default)
    att = list(bmsg.iter_attachments())
    if len(att) != 1 or not att[0].get_content() or bmsg.defects:
        problems.append("oversized message does not parse cleanly")
    return problems


def main(argv):
    verbose = "-v" in argv
    manifest = json.loads((HERE / "manifest.json").read_text(encoding="utf-8"))
    problems = check_files(manifest, verbose)
    problems += check_duplicates(manifest)
    problems += check_generator(manifest, "--full-oversized" in argv)
    counts = {}
    for e in manifest:
        counts[e["category"]] = counts.get(e["category"], 0) + 1
    summary = ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))
    print(f"{len(manifest)} messages: {summary}")
    if problems:
        print(f"FAILED ({len(problems)} problems):")
        for p in problems:
            print("  " + p)
        return 1
    print("OK: manifest matches every file")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
