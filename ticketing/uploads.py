"""Request bodies that carry files: read to the end, so a file that is too big still gets its
form back with everything typed, and never kept past the per-file limit.

Werkzeug answers 413 before it reads a body over MAX_CONTENT_LENGTH, which loses the form: the
customer sees a bare error page and their text is gone. A view marked `accepts_files` reads
bodies up to MAX_UPLOAD_READ_BYTES instead; each file keeps only its first
MAX_ATTACHMENT_BYTES + 1 bytes (enough to tell it is too big) and the rest is counted and
dropped, so memory and disk stay bounded. Past MAX_UPLOAD_READ_BYTES the body is not read
(413); the browser-side check in static/app.js stops such a file before it is sent.
"""

import re
import unicodedata
from tempfile import SpooledTemporaryFile

from flask import Request, current_app

IN_MEMORY_BYTES = 512 * 1024  # as Werkzeug's default: bigger files spill to a temporary file
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def accepts_files(view):
    """Mark a view whose form carries files (put it just under the route decorator)."""
    view.accepts_files = True
    return view


def safe_filename(name: str, fallback: str = "attachment") -> str:
    """A file name safe to store, to show, and to put in a header: no directories, no control
    characters (CR, LF, NUL), no leading dots, at most 200 characters with its extension kept."""
    name = unicodedata.normalize("NFC", name or "")
    name = CONTROL.sub("", name).replace("\\", "/").rsplit("/", 1)[-1].strip().lstrip(". ")
    stem, dot, extension = name.rpartition(".")
    if len(name) > 200:
        name = f"{stem[:190]}.{extension[:9]}" if dot else name[:200]
    return name or fallback


class CappedFile(SpooledTemporaryFile):
    """One uploaded file, kept up to `cap` bytes; `received` counts every byte that came."""

    def __init__(self, cap: int):
        super().__init__(max_size=IN_MEMORY_BYTES)
        self.cap, self.received = cap, 0

    def write(self, data) -> int:
        room = max(self.cap - self.received, 0)
        self.received += len(data)
        if room:
            super().write(bytes(data[:room]))
        return len(data)


class UploadRequest(Request):
    """Flask's request, with the larger body limit for views marked `accepts_files`."""

    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is None and self._takes_files():
            return current_app.config["MAX_UPLOAD_READ_BYTES"]
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    def _takes_files(self) -> bool:
        view = current_app.view_functions.get(self.endpoint or "")
        return getattr(view, "accepts_files", False)

    def _get_file_stream(self, total_content_length, content_type, filename=None, **_):
        return CappedFile(current_app.config["MAX_ATTACHMENT_BYTES"] + 1)
