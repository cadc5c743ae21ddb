"""Friendly error pages for people, JSON for the API."""

import logging

from flask import render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DataError
from werkzeug.exceptions import BadRequest, HTTPException, MethodNotAllowed

from ticketing import languages
from ticketing.extensions import db

log = logging.getLogger(__name__)

# Lazy: each page says them in its own language (a customer's in en or sw, staff's in en).
TITLES = {
    400: _l("That did not work"),
    401: _l("Please sign in"),
    403: _l("Not allowed"),
    404: _l("Not found"),
    405: _l("Not allowed"),
    413: _l("Too large"),
    429: _l("Too many requests"),
    500: _l("Something went wrong"),
}
MESSAGES = {
    413: _l("The upload is larger than we accept. Please send a smaller file."),
    429: _l("You have done that too often. Please wait a little and try again."),
    404: _l("There is nothing at this address."),
    403: _l("Your account may not do this."),
    # Never "nothing was lost": a message may or may not have reached us before the failure.
    500: _l(
        "Something went wrong on our side. If you were sending us a message, it may not have "
        "reached us: please try again in a minute."
    ),
}


def allow_header(error: HTTPException) -> dict:
    """A 405 names the methods the URL does take (RFC 9110, section 15.5.6)."""
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        return {"Allow": ", ".join(sorted(error.valid_methods))}
    return {}


def init_app(app) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        headers = allow_header(error)
        if request.path.startswith(("/api/", "/webhooks/")):
            body = {"code": error.name.lower().replace(" ", "_"), "message": error.description}
            return {"error": body}, error.code, headers
        return _page(error.code, error.description), error.code, headers

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def bad_input(error):
        """The last line behind ticketing.edge: a value the database cannot hold (too long,
        out of range, NUL) is the sender's mistake, so 400, and nothing of it is kept."""
        db.session.rollback()
        log.warning("input the database refused on %s: %s", request.path, error)
        return http_error(BadRequest("A value sent is out of range or too long."))

    @app.errorhandler(500)
    def server_error(error):
        return _page(500, None), 500


def _page(code: int, description: str | None) -> str:
    message = MESSAGES.get(code) or (description if languages.current() == "en" else None) or ""
    title = TITLES.get(code) or _("Error")
    try:
        return render_template("errors/error.html", code=code, title=title, message=message)
    except Exception:  # noqa: BLE001 - the database behind current_user may be what failed
        return f"<h1>{code} {title}</h1><p>{message}</p>"
