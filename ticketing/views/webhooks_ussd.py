"""The USSD menu Africa's Talking's gateway calls, and its end-of-session notifications.

The gateway waits a few seconds for each screen and shows the caller whatever we answer, so
every answer is a 200 with a "CON"/"END" screen, even when we cannot act (a bad phone number,
the database down): the caller reads an apology instead of the network's error. Only what
is not the gateway's request at all (no session id, an oversized body) is refused with a 4xx.
"""

import logging

from flask import Blueprint, Response, abort, request

from ticketing import limits, spool, ussd
from ticketing import ussd_screens as screens
from ticketing.channels import africastalking
from ticketing.extensions import csrf, db

bp = Blueprint("ussd", __name__, url_prefix="/africastalking/ussd")
csrf.exempt(bp)
log = logging.getLogger(__name__)
MAX_BODY_BYTES = 16 * 1024  # a USSD step is a few hundred bytes
MAX_SESSION_ID = 100  # ussd_sessions.session_id


@bp.post("")
@limits.ussd
@africastalking.verified
def menu():
    form = _form()
    try:
        reply = ussd.answer(
            session_id=_session_id(form),
            phone=form.get("phoneNumber", ""),
            text=form.get("text", ""),
            service_code=form.get("serviceCode", ""),
            network_code=form.get("networkCode", ""),
        )
        db.session.commit()
    except spool.DATABASE_DOWN as error:
        db.session.rollback()
        log.error("USSD session %s: database unavailable (%s)", form.get("sessionId"), error)
        return _plain("END " + screens.word(None, "busy"))
    return _plain(reply.body)


@bp.post("/events")
@limits.ussd
@africastalking.verified
def events():
    """End of session: status (Success, Incomplete, Failed...) and errorMessage, if any."""
    form = _form()
    ussd.session_ended(
        session_id=_session_id(form),
        status=form.get("status", ""),
        reason=form.get("errorMessage", ""),
        phone=form.get("phoneNumber", ""),
    )
    db.session.commit()
    return Response(status=200)


def _form():
    request.max_content_length = MAX_BODY_BYTES  # request.form answers 413 beyond it
    return request.form


def _session_id(form) -> str:
    session_id = (form.get("sessionId") or "").strip()
    if not session_id or len(session_id) > MAX_SESSION_ID or not session_id.isprintable():
        abort(400, f"sessionId is missing or not an id (at most {MAX_SESSION_ID} characters)")
    return session_id


def _plain(body: str) -> Response:
    return Response(body, mimetype="text/plain")
