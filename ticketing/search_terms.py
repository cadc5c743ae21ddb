"""What an agent typed in the search box, read once: a ticket reference, a phone number in any
format, an email address, or words. Pure: no database, so every caller reads a query alike."""

import re
from dataclasses import dataclass

from ticketing.contacts import InvalidContact, normalise_phone

MAX_QUERY = 200  # longer is not a search, it is a paste: the rest is ignored
MAX_WORDS = 8
MAX_WORD = 40
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_REFERENCE = re.compile(r"(FT-?)?([0-9A-Z]{5})", re.IGNORECASE)
_PHONE = re.compile(r"\+?[0-9][0-9 ().-]{5,23}")
_WORD = re.compile(r"[^\W_]+")  # letters and digits only: nothing a full-text engine parses


@dataclass(frozen=True)
class Terms:
    reference: str | None = None  # "FT-XXXXX"
    phone: str | None = None  # E.164
    email: str | None = None
    words: tuple[str, ...] = ()
    names_one: bool = False  # a reference or a contact: it means the same in every status

    @property
    def is_empty(self) -> bool:
        return not (self.reference or self.phone or self.email or self.words)


def parse(query: str, region: str) -> Terms:
    """Read a search query; a query of nothing but symbols has no terms (and finds nothing)."""
    text = _CONTROL.sub(" ", query or "")[:MAX_QUERY].strip()
    if "@" in text and " " not in text:
        return Terms(email=text.lower(), names_one=True)
    phone = _phone(text, region)
    if phone:
        return Terms(phone=phone, names_one=True)
    words = tuple(word[:MAX_WORD] for word in _WORD.findall(text.lower())[:MAX_WORDS])
    match = _REFERENCE.fullmatch(text)
    if match and match.group(1):  # typed with its FT- prefix: a reference, nothing else
        return Terms(reference=f"FT-{match.group(2).upper()}", names_one=True)
    if match:  # five letters or digits: a bare reference, or a word
        return Terms(reference=f"FT-{match.group(2).upper()}", words=words)
    return Terms(words=words)


def _phone(text: str, region: str) -> str | None:
    """E.164 for "0711 999 001", "+254711999001", "254711999001", "0711-999-001", "711999001"."""
    digits = re.sub(r"\D", "", text)
    if not _PHONE.fullmatch(text) or not 7 <= len(digits) <= 15:
        return None
    for candidate in (text, f"+{digits}"):
        try:
            return normalise_phone(candidate, region)
        except InvalidContact:
            continue
    return None
