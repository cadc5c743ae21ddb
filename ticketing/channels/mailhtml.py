"""HTML from email: sanitised before any agent sees it, flattened to text, quoted history cut.

Mail HTML is written by strangers. nh3 (ammonia) keeps a small set of formatting tags; no
script, style, frames, forms, event handlers or images (a remote image is a tracking beacon,
a cid: image is kept as an attachment instead), and links only to http(s) and mailto.
"""

import re
from html.parser import HTMLParser

import nh3

# Beyond this the rest is cut (and said so) before sanitising: html5ever needs microseconds per
# character reference, so a hostile "&&&&..." costs seconds per 100,000 characters.
MAX_HTML_CHARS = 300_000
TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "code",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "font",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "ins",
    "li",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "span",
    "strike",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
# html5ever's cost grows with the square of how deep block containers nest: 40,000 nested
# divs take ten seconds. Real mail nests a few dozen deep; deeper markup is cut off.
CONTAINERS = re.compile(
    r"<(/?)(div|blockquote|ul|ol|dl|section|article|aside|center|pre|nav|"
    r"header|footer|main|figure|fieldset|details|address|menu|dir|listing|"
    r"hgroup|dialog|summary|figcaption)\b",
    re.IGNORECASE,
)
MAX_NESTING = 500
DROPPED_WITH_CONTENT = {
    "script",
    "style",
    "title",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "noscript",
    "template",
    "textarea",
    "select",
    "svg",
    "math",
    "head",
    "xmp",
    "noembed",
    "noframes",
}
ATTRIBUTES = {
    "a": {"href", "title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "abbr": {"title"},
}
SAFE_LINK = re.compile(r"^(https?://|mailto:)", re.IGNORECASE)
INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]+")
# Where mail programs start the quoted history in HTML: markers inside the opening tag of a
# div, blockquote or hr, found in the raw markup (the sanitiser drops class and id).
QUOTE_MARKERS = re.compile(
    r"""class=["']?(?:gmail_quote|yahoo_quoted|moz-cite-prefix)|type=["']?cite|"""
    r"""id=["']?(?:divRplyFwdMsg|appendonsend|mail-editor-reference-message-container|"""
    r"""stopSpelling)|border-top:\s*solid\s+#(?:E1E1E1|B5C4DF)|"""
    r"""(-----\s*Original Message\s*-----)""",
    re.IGNORECASE,
)
QUOTE_TAG = re.compile(r"<(?:div|blockquote|hr)\b", re.IGNORECASE)


def _keep_safe_links(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "href":
        # Browsers ignore tabs, newlines and control characters inside a scheme
        # ("jav&#x09;ascript:"), so judge the link the way a browser would read it.
        return value if SAFE_LINK.match(INVISIBLE.sub("", value)) else None
    return value


CLEANER = nh3.Cleaner(
    tags=TAGS,
    clean_content_tags=DROPPED_WITH_CONTENT,
    attributes=ATTRIBUTES,
    attribute_filter=_keep_safe_links,
    url_schemes={"http", "https", "mailto"},
    link_rel="noopener noreferrer nofollow",
    strip_comments=True,
)


def bounded(html: str) -> str:
    """The HTML cut to what can be sanitised in bounded time (see MAX_HTML_CHARS, MAX_NESTING)."""
    html = html[:MAX_HTML_CHARS]
    depth = 0
    for tag in CONTAINERS.finditer(html):
        depth = max(0, depth - 1) if tag.group(1) else depth + 1
        if depth > MAX_NESTING:
            return html[: tag.start()]
    return html


def sanitise(html: str) -> str:
    """Markup safe to put in the agent's page as is."""
    return CLEANER.clean(bounded(html)).strip()


def cut_quote(html: str) -> str | None:
    """The HTML before the quoted history, or None when no known quote marker has new text
    before it (then the caller falls back to the text part)."""
    html = html[:MAX_HTML_CHARS]
    start = _quote_start(html)
    if start is None:
        return None
    before = html[:start]
    words = re.sub(r"<[^>]*>|&nbsp;|&#160;|\s", "", before)
    return before if words else None


def _quote_start(html: str) -> int | None:
    for marker in QUOTE_MARKERS.finditer(html):
        if marker.group(1):  # Outlook's plain separator, anywhere in the markup
            return marker.start()
        tag = html.rfind("<", max(0, marker.start() - 500), marker.start())  # bounded look-back
        if tag != -1 and ">" not in html[tag : marker.start()] and QUOTE_TAG.match(html, tag):
            return tag
    return None


BLOCKS = {
    "p",
    "div",
    "br",
    "tr",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "ul",
    "ol",
    "pre",
    "hr",
    "dt",
    "dd",
    "blockquote",
    "section",
    "article",
    "header",
    "footer",
}
SKIPPED = {"script", "style", "head", "title", "noscript", "template", "xmp"}


class _TextMaker(HTMLParser):
    """Text the way a mail reader shows it: blocks on their own lines, quotes prefixed '> '."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines: list[list] = [[0, ""]]
        self.depth = 0
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED:
            self.skipping += 1
        elif tag in BLOCKS:
            self._new_line()
            if tag == "blockquote":
                self.depth += 1
            if tag == "li":
                self._write("- ")
        elif tag in {"td", "th"}:
            self._write(" ")

    def handle_endtag(self, tag):
        if tag in SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in BLOCKS:
            if tag == "blockquote":
                self.depth = max(0, self.depth - 1)
            self._new_line()

    def handle_data(self, data):
        if not self.skipping:
            self._write(re.sub(r"\s+", " ", data))

    def _write(self, text: str) -> None:
        line = self.lines[-1]
        if not line[1].strip():
            line[0] = self.depth
        line[1] += text

    def _new_line(self) -> None:
        self.lines.append([self.depth, ""])

    def text(self) -> str:
        rendered = [("> " * depth + line.strip()).rstrip() for depth, line in self.lines]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(rendered)).strip()


def to_text(html: str, *, sanitised: bool = False) -> str:
    """Readable plain text from HTML (for HTML-only mail); pass sanitise()'s output as is."""
    maker = _TextMaker()
    # html.parser is quadratic on unclosed tags ("<div<div<div..."); the sanitiser's output is
    # well-formed and keeps what matters here (blocks, quotes, text), so read that instead.
    maker.feed(html if sanitised else sanitise(html))
    maker.close()
    return maker.text().replace("\xa0", " ")
