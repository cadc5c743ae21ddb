"""Public pages: the new-ticket form, the customer's status page, and the health check.

Routes only: what the status page shows is built in ticketing/status_page.py and files go
in and out through views/files.py.
"""

import logging
from dataclasses import replace

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, text

from ticketing import answers, hours, intake, languages, limits, queues, spool, support_page
from ticketing.channels import Inbound, web
from ticketing.extensions import db
from ticketing.forms import ConfirmFixForm, CustomerReplyForm, RatingForm, SupportForm
from ticketing.models import Attachment, InboundRaw, Outbox, Ticket
from ticketing.models.enums import Category, Channel, InboundStatus, Language, OutboxStatus
from ticketing.status_page import status_context
from ticketing.uploads import accepts_files
from ticketing.views.files import send_attachment, uploaded_attachment

bp = Blueprint("public", __name__)
log = logging.getLogger(__name__)


@bp.get("/")
def home():
    return redirect(url_for("public.support"))


@bp.before_request
def replay_spool():
    """What the spool kept while the database was down goes in on the next public page."""
    spool.replay_when_due()


@bp.route("/support", methods=["GET", "POST"])
@accepts_files
@limits.support
def support():
    if request.method == "GET":
        return support_page.empty_form()
    form = SupportForm(language=languages.current())  # what they read is what we write in
    if not form.validate_on_submit():
        return render_template("public/support.html", form=form), 400
    attachments, error = uploaded_attachment(form.attachment.data)
    if error:
        form.attachment.errors = [error]
        return render_template("public/support.html", form=form), 400
    submission = _submission(form, attachments)
    try:
        ticket = intake.open_from_form(submission)
        # read before the commit expires them: the next page needs no more queries
        reference, token, language = ticket.reference, ticket.token, languages.for_ticket(ticket)
        db.session.commit()
    except spool.DATABASE_DOWN as outage:
        db.session.rollback()
        log.error("database unavailable (%s): spooling web form %s", outage, submission.key)
        return _keep_for_later(form, submission)
    with languages.speaking(language):  # the language of the next page
        flash(
            _(
                "Thank you. Your reference is %(reference)s. Keep this page's link to follow "
                "your request.",
                reference=reference,
            ),
            "success",
        )
    return redirect(url_for("public.status", token=token))


def _submission(form: SupportForm, attachments: list[dict]) -> web.Submission:
    return web.Submission(
        name=form.name.data,
        email=form.email.data or "",
        phone=form.phone.data or "",
        language=Language(form.language.data),
        category=Category(form.category.data),
        subject=form.subject.data,
        description=form.description.data,
        client=request.remote_addr or "",
        attachments=tuple(attachments),
    )


def _keep_for_later(form: SupportForm, submission: web.Submission):
    """The database is down: spool the submission and say honestly what happens next (202),
    or, when the disk refuses too, give the form back as typed (503): never a lost message
    behind a reassuring page."""
    kept = replace(submission, spooled_at=hours.now().isoformat(timespec="seconds"))
    try:
        spool.write(Channel.WEB, kept.key, web.encode(kept), "web-form")
    except OSError as error:
        log.error("spool unwritable (%s): web form %s handed back", error, kept.key)
        form.phone.data = (form.phone.raw_data or [""])[0]  # as typed, not as normalised
        page = render_template(
            "public/support.html", form=form, unavailable=True, file_lost=bool(kept.attachments)
        )
        return page, 503, {"Retry-After": "60"}
    chosen = session.get(languages.SESSION_KEY)
    with languages.speaking(chosen if chosen in languages.LANGUAGES else kept.language.value):
        page = render_template(
            "public/received.html", by_email=bool(kept.email), contact=kept.email or kept.phone
        )
    return page, 202


def _ticket_by_token(token: str) -> Ticket:
    ticket = (
        db.session.scalar(select(Ticket).where(Ticket.token == token)) if len(token) < 80 else None
    )
    if ticket is None:
        abort(404)
    languages.remember(ticket)
    return ticket


@bp.get("/t/<token>")
@limits.status_page
def status(token: str):
    ticket = _ticket_by_token(token)
    return render_template(
        "public/status.html",
        ticket=ticket,
        reply_form=CustomerReplyForm(),
        rating_form=RatingForm(),
        confirm_form=ConfirmFixForm(),
        **status_context(ticket),
    )


@bp.post("/t/<token>/reply")
@limits.status_post
def status_reply(token: str):
    ticket = _ticket_by_token(token)
    form = CustomerReplyForm()
    if not form.validate_on_submit():
        return render_template(
            "public/status.html",
            ticket=ticket,
            reply_form=form,
            rating_form=RatingForm(),
            confirm_form=ConfirmFixForm(),
            **status_context(ticket),
        ), 400
    inbound = Inbound(
        channel=Channel.WEB,
        sender=ticket.customer.email or ticket.customer.phone,
        text=form.body.data.strip(),
        external_id="",
    )
    filed = intake.file_message(ticket.customer, inbound, ticket)
    db.session.commit()
    flash(_("Thank you, we have your message."), "success")
    return redirect(url_for("public.status", token=filed.token))


# The words of the button the customer pressed, filed in the thread as theirs.
CONFIRM_WORDS = {"1": _l("Yes, it is fixed"), "2": _l("No, not yet")}
FIX_CHECK_WORDS = {"1": _l("Yes, still working"), "2": _l("No, the problem is back")}


@bp.post("/t/<token>/confirm")
@limits.status_post
def status_confirm(token: str):
    """The answer to "is it fixed?", as the SMS "1" or "2" would give it."""
    return _answer(
        token,
        lambda ticket, choice: answers.confirm_fix(
            ticket, fixed=choice == "1", words=str(CONFIRM_WORDS[choice]), channel=Channel.WEB
        ),
    )


@bp.post("/t/<token>/fix-check")
@limits.status_post
def status_fix_check(token: str):
    """The answer to "is it still working?", as the SMS "1" or "2" would give it."""
    return _answer(
        token,
        lambda ticket, choice: answers.check_fix(
            ticket, held=choice == "1", words=str(FIX_CHECK_WORDS[choice]), channel=Channel.WEB
        ),
    )


def _answer(token: str, record):
    ticket = _ticket_by_token(token)
    form = ConfirmFixForm()
    if not form.validate_on_submit():
        flash(_("Choose one of the answers."), "error")
        return redirect(url_for("public.status", token=token))
    result = record(ticket, form.fixed.data)
    db.session.commit()
    if result == answers.Result.RECORDED:
        flash(_("Thank you for letting us know."), "success")
    else:
        flash(_("There is no question to answer on this ticket now."), "info")
    return redirect(url_for("public.status", token=token))


@bp.post("/t/<token>/rate")
@limits.status_post
def status_rate(token: str):
    ticket = _ticket_by_token(token)
    form = RatingForm()
    if not form.validate_on_submit():
        flash(_("Choose a rating from 1 to 5."), "error")
        return redirect(url_for("public.status", token=token))
    comment = (form.comment.data or "").strip()
    result = answers.rate(
        ticket,
        form.score.data,
        comment,
        channel=Channel.WEB,
        words=f"{form.score.data}/5" + (f": {comment}" if comment else ""),
    )
    db.session.commit()
    if result == answers.Result.RECORDED:
        flash(_("Thank you for your rating."), "success")
    else:
        flash(_("This ticket cannot be rated now."), "info")
    return redirect(url_for("public.status", token=token))


@bp.get("/t/<token>/files/<int:attachment_id>")
@limits.status_page
def status_file(token: str, attachment_id: int):
    ticket = _ticket_by_token(token)
    attachment = db.session.get(Attachment, attachment_id)
    if (
        attachment is None
        or attachment.message.ticket_id != ticket.id
        or attachment.message.is_internal
    ):
        abort(404)
    return send_attachment(attachment, download=request.args.get("download") == "1")


@bp.get("/healthz")
def healthz():
    report, healthy = {}, True
    try:
        db.session.execute(text("SELECT 1"))
        now = hours.now()
        oldest = db.session.scalar(
            select(func.min(Outbox.created_at)).where(
                Outbox.status == OutboxStatus.PENDING, Outbox.not_before.is_(None)
            )
        )
        report["database"] = "ok"
        report["oldest_pending_outbox_seconds"] = (
            int((now - oldest).total_seconds()) if oldest else 0
        )
        report["failed_inbound"] = db.session.scalar(
            select(func.count(InboundRaw.id)).where(InboundRaw.status == InboundStatus.FAILED)
        )
    except Exception as error:  # noqa: BLE001 - the health check reports, it does not raise
        db.session.rollback()
        report["database"], healthy = f"error: {error.__class__.__name__}", False
    try:
        queues.connection().ping()
        report["redis"] = "ok"
        report["queues"] = {name: queues.get_queue(name).count for name in queues.ALL_QUEUES}
    except Exception as error:  # noqa: BLE001
        report["redis"], healthy = f"error: {error.__class__.__name__}", False
    report["status"] = "ok" if healthy else "degraded"
    return jsonify(report), 200 if healthy else 503


@bp.get("/charter")
def charter():
    from ticketing import stats

    return render_template("public/charter.html", rows=stats.charter_record())
