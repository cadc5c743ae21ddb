"""Tag names: what makes one acceptable, how agents type several, and which exist. The tags
themselves are written only by lifecycle.tag, which records each change as an event."""

import re
import unicodedata

from sqlalchemy import func, select

from ticketing.extensions import db
from ticketing.models import Ticket, TicketTag

MAX_LENGTH = 40
MAX_PER_TICKET = 20  # a label, not a notebook: more is a mistake or an attack
SEPARATORS = re.compile(r"[\s,\u060c\u3001]+")  # also the Arabic and the ideographic comma
JOINERS = frozenset("-_")
# Letters, marks (Arabic vowels, Devanagari signs) and digits of any script make a tag.
WORD_CATEGORIES = ("L", "M", "N")
# Emoji and other pictures are symbols (So), with skin tones and the emoji-style selector
# beside them; a tag of pictures is hard to type back into a filter, so they have their own code.
PICTURES = re.compile("[\ufe0f\U0001f3fb-\U0001f3ff]")
# Zero-width spaces and joiners, bidi controls, soft hyphens (Cf), controls (Cc), private use
# (Co), unassigned code points (Cn) and other variation selectors: two tags that look the same
# would be two tags.
INVISIBLE_CATEGORIES = ("Cf", "Cc", "Co", "Cn", "Cs")
VARIATION_SELECTORS = re.compile("[\ufe00-\ufe0e\U000e0100-\U000e01ef]")


class TagError(ValueError):
    """A tag name we refuse; `code` says why for programs, the message for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def normalise(name: str) -> str:
    """The stored form of a tag name, in any script: NFKC and case-folded, so "Friji",
    "FRIJI" and a full-width "ｆｒｉｊｉ" are one tag; refused when empty, longer than 40
    characters, or holding anything but letters, marks, digits, - and _ (emoji and
    invisible characters have codes of their own)."""
    name = _folded((name or "").strip())
    if not name:
        raise TagError("tag_empty", "A tag needs a name.")
    if len(name) > MAX_LENGTH:
        raise TagError("tag_too_long", f"A tag is at most {MAX_LENGTH} characters.")
    categories = [unicodedata.category(char) for char in name]
    if PICTURES.search(name) or "So" in categories:
        raise TagError("tag_emoji", "A tag is words: emoji and pictures cannot be tags.")
    if VARIATION_SELECTORS.search(name) or any(c in INVISIBLE_CATEGORIES for c in categories):
        raise TagError(
            "tag_invisible_characters",
            "The tag holds invisible characters (such as a zero-width space or a direction "
            "mark), often pasted along with it: type it again.",
        )
    if not all(_is_word(char) for char in name):
        raise TagError(
            "tag_bad_characters",
            f"“{name[:MAX_LENGTH]}” is not a tag: use letters, digits, - and _ only.",
        )
    return name


def _is_word(char: str) -> bool:
    return char in JOINERS or unicodedata.category(char)[0] in WORD_CATEGORIES


def _folded(text: str) -> str:
    # NFKC, case fold, NFKC again: Unicode's NFKC_Casefold, closely enough for tag names
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def parse(text: str) -> list[str]:
    """The tag names in what an agent typed, separated by commas or spaces, each once."""
    names = [normalise(part) for part in SEPARATORS.split(text or "") if part]
    return list(dict.fromkeys(names))


def of(ticket: Ticket) -> list[str]:
    return sorted(tag.name for tag in ticket.tags)


def known(prefix: str = "", limit: int = 10) -> list[str]:
    """Tag names in use that start with `prefix`, the most used first, for suggestions."""
    try:
        prefix = normalise(prefix) if (prefix or "").strip() else ""
    except TagError:
        return []
    escaped = prefix.replace("_", "\\_")  # "-", letters and digits need no escaping in LIKE
    uses = func.count(TicketTag.id)
    query = (
        select(TicketTag.name)
        .where(TicketTag.name.like(f"{escaped}%", escape="\\"))
        .group_by(TicketTag.name)
        .order_by(uses.desc(), TicketTag.name)
        .limit(max(1, min(limit, 100)))
    )
    return list(db.session.scalars(query))
