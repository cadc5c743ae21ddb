"""What a stored file really is, from its first bytes: the only judge of what may be shown
inline. The name and the type the sender declared are never trusted for that, since a
".png" may hold HTML, SVG or a script that a browser would run as a page."""

import re

# Types a browser shows as a picture or a document, never as a page; checked by magic bytes.
INLINE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf")
DECLARED_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,60}/[a-z0-9][a-z0-9!#$&^_.+-]{0,60}$")


def inline_type(data: bytes | None) -> str | None:
    """The type to show `data` inline as, or None when it must stay a download."""
    head = (data or b"")[:16]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def content_type(data: bytes, declared: str | None) -> str:
    """The type to record for a new file: what its bytes prove; else the sender's word when it
    is well formed and claims nothing the bytes disprove; else application/octet-stream."""
    declared = (declared or "").strip().lower()
    proven = inline_type(data)
    if proven or declared in INLINE_TYPES or not DECLARED_TYPE.match(declared):
        return proven or "application/octet-stream"
    return declared
