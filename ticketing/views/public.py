"""Public pages: the new-ticket form, the customer's status page, and the health check.

Routes only: what the status page shows is built in ticketing/status_page.py and files go
in and out through views/files.py.
"""

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, text

from ticketing import answers, customers, hours, intake, languages, lifecycle, queues, ratelimit
from ticketing.channels import Inbound
from ticketing.extensions import db
from ticketing.forms import ConfirmFixForm, CustomerReplyForm, RatingForm, SupportForm
from ticketing.models import Attachment, InboundRaw, Outbox, Ticket
from ticketing.models.enums import Category, Channel, InboundStatus, Language, OutboxStatus
from ticketing.status_page import status_context
from ticketing.views.files import send_attachment, uploaded_attachment

bp = Blueprint("public", __name__)


@bp.get("/")
def home():
    return redirect(url_for("public.support"))


@bp.route("/support", methods=["GET", "POST"])
def support():
    form = SupportForm(language=languages.current())  # what they read is what we write in
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("public/support.html", form=form), status
    if not ratelimit.allow(f"support:{request.remote_addr}", 20, 3600):
        abort(429)
    attachments, error = uploaded_attachment(form.attachment.data)
    if error:
        form.attachment.errors = [error]
        return render_template("public/support.html", form=form), 400
    customer = customers.from_form(
        name=form.name.data,
        email=form.email.data,
        phone=form.phone.data,
        language=Language(form.language.data),
    )
    ticket = lifecycle.open_ticket(
        customer,
        subject=form.subject.data,
        body=form.description.data,
        channel=Channel.WEB,
        category=Category(form.category.data),
        attachments=attachments,
    )
    db.session.commit()
    with languages.speaking(languages.for_ticket(ticket)):  # the language of the next page
        flash(
            _(
                "Thank you. Your reference is %(reference)s. Keep this page's link to follow "
                "your request.",
                reference=ticket.reference,
            ),
            "success",
        )
    return redirect(url_for("public.status", token=ticket.token))


def _ticket_by_token(token: str) -> Ticket:
    ticket = (
        db.session.scalar(select(Ticket).where(Ticket.token == token)) if len(token) < 80 else None
    )
    if ticket is None:
        abort(404)
    languages.remember(ticket)
    return ticket


@bp.get("/t/<token>")
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
def status_confirm(token: str):
    """The answer to "is it fixed?", as the SMS "1" or "2" would give it."""
    return _answer(
        token,
        lambda ticket, choice: answers.confirm_fix(
            ticket, fixed=choice == "1", words=str(CONFIRM_WORDS[choice]), channel=Channel.WEB
        ),
    )


@bp.post("/t/<token>/fix-check")
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
def status_file(token: str, attachment_id: int):
    ticket = _ticket_by_token(token)
    attachment = db.session.get(Attachment, attachment_id)
    if (
        attachment is None
        or attachment.message.ticket_id != ticket.id
        or attachment.message.is_internal
    ):
        abort(404)
    return send_attachment(attachment)


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
