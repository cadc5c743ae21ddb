"""The new text of an email reply, apart from the quoted history below (or around) it.

Our own rules, written against the mail programs our customers use: '>' quotes with an
attribution line ("On ... wrote:", Gmail in Swahili "Mnamo ... aliandika:", Gnus "X writes:"),
Outlook's unquoted history under "-----Original Message-----" or a From:/Sent:/To:/Subject:
block (also in German and Swahili), Yahoo's unquoted history under "On ... wrote:", and
forwards. Interleaved (bottom-posted) answers keep every line the customer wrote.
"""

import re

QUOTED = re.compile(r"^[ \t]{0,3}>")
ATTRIBUTION_END = re.compile(
    r"(wrote|writes|a écrit|schrieb|escribió|ha scritto|schreef|escreveu|skrev|napisał|"
    r"aliandika|ameandika|imeandikwa)\s*:\s*$",
    re.IGNORECASE,
)
ATTRIBUTION_START = re.compile(r"^\s*(On|Am|Le|El|Il|Op|Em|Den|Mnamo|Tarehe|Siku)\s", re.IGNORECASE)
SEPARATOR = re.compile(
    r"^\s*(-{2,}\s*(Original Message|Forwarded message|Ursprüngliche Nachricht|Message d'origine|"
    r"Weitergeleitete Nachricht|Ujumbe wa awali|Ujumbe uliosambazwa)\s*-{2,}|_{20,}|"
    r"Begin forwarded message:)\s*$",
    re.IGNORECASE,
)
HEADER_FROM = re.compile(r"^\s*\*?(From|Von|De|Kutoka|Van|Da|Fra|Från)\s*:\*?\s*\S", re.IGNORECASE)
HEADER_OTHER = re.compile(
    r"^\s*\*?(Sent|Date|Gesendet|Datum|Envoyé|Enviado|Imetumwa|Tarehe|To|An|À|Para|Kwa|Cc|"
    r"Subject|Betreff|Objet|Asunto|Mada|Kichwa)\s*:",
    re.IGNORECASE,
)


def split(text: str) -> tuple[str, str]:
    """(new text, full text); full text is "" when nothing was cut."""
    whole = text.strip()
    lines = whole.split("\n")
    kept = _without_quotes(lines[: _history_start(lines)])
    new = re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in kept)).strip()
    if not new or new == whole:
        return whole, ""
    return new, whole


def _history_start(lines: list[str]) -> int:
    """Where unquoted history begins (Outlook, Yahoo, forwards); len(lines) when nowhere."""
    for index, line in enumerate(lines):
        if QUOTED.match(line):
            continue
        if SEPARATOR.match(line) or _header_block_at(lines, index):
            return index
        length = _attribution_length(lines, index)
        if length and not _quote_follows(lines, index + length):
            return index
    return len(lines)


def _header_block_at(lines: list[str], index: int) -> bool:
    if not HEADER_FROM.match(lines[index]):
        return False
    following = lines[index + 1 : index + 6]
    return sum(bool(HEADER_OTHER.match(line)) for line in following) >= 2


def _attribution_length(lines: list[str], index: int) -> int:
    """1 or 2 when an attribution ("On <date>, X wrote:") starts at `index`, else 0."""
    line = lines[index]
    if ATTRIBUTION_END.search(line) and (_looks_dated(line) or _quote_follows(lines, index + 1)):
        return 1
    if index + 1 < len(lines) and ATTRIBUTION_END.search(lines[index + 1]):
        joined = f"{line} {lines[index + 1]}"
        if ATTRIBUTION_START.match(line) and _looks_dated(joined) and line.strip():
            return 2
    return 0


def _looks_dated(line: str) -> bool:
    return bool(ATTRIBUTION_START.match(line) and re.search(r"\d", line))


def _quote_follows(lines: list[str], index: int) -> bool:
    for line in lines[index:]:
        if line.strip():
            return bool(QUOTED.match(line))
    return False


def _without_quotes(lines: list[str]) -> list[str]:
    """Drop '>' lines and the attribution that introduces each quoted block."""
    kept: list[str] = []
    index = 0
    while index < len(lines):
        length = _attribution_length(lines, index)
        if length and _quote_follows(lines, index + length):
            index += length
        elif QUOTED.match(lines[index]):
            index += 1
        else:
            kept.append(lines[index])
            index += 1
    return kept
