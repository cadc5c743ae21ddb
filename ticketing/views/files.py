"""Files crossing the web pages: uploads read within the limits, a stored one sent back.

Shared by the public pages and the agent's ticket page, so neither imports the other's
private helpers. A stored file is shown inline only when its bytes prove it is a picture or a
PDF (ticketing/filetypes.py), under a policy that lets nothing in it run; anything else is a
download the browser is told not to sniff.
"""

from io import BytesIO

from flask import current_app, redirect, send_file
from flask_babel import gettext as _

from ticketing import filetypes
from ticketing.models import Attachment
from ticketing.uploads import safe_filename

# For a picture or a PDF opened on its own: no script, no form, no framing by other pages.
INLINE_POLICY = "; ".join(
    (
        "sandbox",
        "default-src 'none'",
        "img-src 'self'",
        "object-src 'self'",
        "frame-ancestors 'none'",
    )
)
DOWNLOAD_TYPE = "application/octet-stream"


def uploaded_attachment(upload) -> tuple[list[dict], str | None]:
    """The form's one upload as attachment dicts, or the error to show when it is refused."""
    return uploaded_files([upload] if upload else [], most=1)


def uploaded_files(uploads, *, most: int) -> tuple[list[dict], str | None]:
    """The form's uploads as attachment dicts, or the error to show: too many, too big (each
    or together), or empty. Nothing is kept when one is refused."""
    chosen = [upload for upload in uploads or () if upload and upload.filename]
    if len(chosen) > most:
        return [], _("Attach at most %(count)d files.", count=most)
    config = current_app.config
    limit, total = config["MAX_ATTACHMENT_BYTES"], config["MAX_MESSAGE_ATTACHMENT_BYTES"]
    files = []
    for upload in chosen:
        data = upload.read(limit + 1)
        name = safe_filename(upload.filename)
        if len(data) > limit:
            return [], _(
                "%(name)s is larger than %(size)d MB. Please send a smaller one.",
                name=name,
                size=limit // (1024 * 1024),
            )
        if not data:
            return [], _("%(name)s is empty. Please choose the file again.", name=name)
        files.append(
            {
                "filename": name,
                "content_type": filetypes.content_type(data, upload.mimetype),
                "size": len(data),
                "data": data,
            }
        )
    if sum(item["size"] for item in files) > total:
        return [], _("Together the files are over %(size)d MB.", size=total // (1024 * 1024))
    return files, None


def send_attachment(attachment: Attachment, *, download: bool = False):
    """A stored file: inline when its bytes are a picture or a PDF (unless `download`),
    otherwise a download; or a redirect to where a provider keeps it.

    Chromium will not run its PDF viewer under a sandbox policy ("This page has been blocked",
    crbug.com/413851), so the pages offer every PDF as a download too."""
    if attachment.url:
        return redirect(attachment.url)
    data = attachment.data or b""
    name = safe_filename(attachment.filename)
    shown_as = None if download else filetypes.inline_type(data)
    response = send_file(
        BytesIO(data),
        mimetype=shown_as or DOWNLOAD_TYPE,
        as_attachment=shown_as is None,
        download_name=name,
        conditional=False,
    )
    if shown_as:
        response.headers["Content-Security-Policy"] = INLINE_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
