"""Files crossing the web pages: an upload read within the size limit, a stored one sent back.

Shared by the public pages and the agent's ticket page, so neither imports the other's
private helpers.
"""

from io import BytesIO

from flask import current_app, redirect, send_file
from flask_babel import gettext as _

from ticketing.models import Attachment


def uploaded_attachment(upload) -> tuple[list[dict], str | None]:
    """The form's upload as attachment dicts, or the error to show when it is too big."""
    if not upload or not upload.filename:
        return [], None
    limit = current_app.config["MAX_ATTACHMENT_BYTES"]
    data = upload.read(limit + 1)
    if len(data) > limit:
        return (
            [],
            _(
                "The file is larger than %(size)d MB. Please send a smaller one.",
                size=limit // (1024 * 1024),
            ),
        )
    name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1][:255] or "attachment"
    return [
        {
            "filename": name,
            "content_type": upload.mimetype or "application/octet-stream",
            "size": len(data),
            "data": data,
        }
    ], None


def send_attachment(attachment: Attachment):
    """A stored file as a download (never rendered inline), or a redirect to where it lives."""
    if attachment.url:
        return redirect(attachment.url)
    return send_file(
        BytesIO(attachment.data or b""),
        mimetype="application/octet-stream",
        as_attachment=True,
        download_name=attachment.filename,
    )
