"""The ticket page and every action an agent takes on it; each calls one lifecycle function."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select

from ticketing import (
    canned,
    ccs,
    customers,
    hours,
    lifecycle,
    lines,
    live,
    notify,
    outbox,
    overdue,
    promises,
    tags,
    thread,
    whatsapp,
)
from ticketing.extensions import db
from ticketing.forms import CcForm, NoteForm, ProductForm, PromiseForm, ReplyForm, TagsForm
from ticketing.models import Attachment, Department, Promise, Ticket, User
from ticketing.models.enums import Channel, Priority, Status
from ticketing.security import can_see, ticket_for, visible_tickets
from ticketing.uploads import accepts_files
from ticketing.views import agent_live
from ticketing.views.files import send_attachment, uploaded_files

bp = Blueprint("ticket", __name__)  # nested in agent.bp: its sign-in guard applies
AGAIN = "Your text is kept below; choose the files again."  # a browser cannot refill them


@bp.get("/tickets/<int:ticket_id>")
def page(ticket_id: int):
    ticket = agent_live.ticket_to_act_on(ticket_id)
    return render_template("agent/ticket.html", **_page_context(ticket))


bp.add_url_rule("/tickets/<int:ticket_id>/live", view_func=agent_live.live_news)


def _page_context(ticket: Ticket, *, conflict=None, seen=None, **forms) -> dict:
    customer = ticket.customer
    # The customer's other tickets this agent may open; of the rest, only how many there are.
    theirs = (Ticket.customer_id == customer.id, Ticket.id != ticket.id)
    others = db.session.scalars(
        visible_tickets(current_user, select(Ticket).where(*theirs))
        .order_by(Ticket.created_at.desc())
        .limit(10)
    ).all()
    visible = visible_tickets(current_user, select(Ticket.id).where(*theirs))
    others_elsewhere = db.session.scalar(
        select(func.count()).where(*theirs, Ticket.id.not_in(visible.scalar_subquery()))
    )
    agents = sorted(ticket.department.agents, key=lambda user: user.name)
    product = ProductForm(obj=ticket) if "product_form" not in forms else forms["product_form"]
    return {
        "ticket": ticket,
        "thread": thread.entries(ticket),
        "timeline": thread.timeline(ticket),
        "late": overdue.flags(ticket, hours.now()),
        "customer": customer,
        "others": others,
        "others_elsewhere": others_elsewhere,
        "customer_events": customers.recent_events(customer),
        "failures": thread.undelivered(ticket),
        "sent_by_sms": whatsapp.SENT_BY_SMS,  # a WhatsApp reply that went by SMS did arrive
        "agents": agents,
        "departments": db.session.scalars(select(Department).order_by(Department.name)).all(),
        "reply_form": forms.get("reply_form") or ReplyForm(),
        "note_form": forms.get("note_form") or NoteForm(),
        "promise_form": forms.get("promise_form") or PromiseForm(),
        "tags_form": forms.get("tags_form") or TagsForm(formdata=None),
        "known_tags": tags.known(limit=50),
        "product_form": product,
        "priorities": list(Priority),
        "cc_form": forms.get("cc_form") or CcForm(addresses="\n".join(ticket.cc_emails or [])),
        "statuses": [ticket.status] + [s for s in Status if s in lifecycle.NEXT[ticket.status]],
        "channel": notify.channel_for(customer, ticket),
        "sms_stop": customers.opt_out_for(customer, lines.reply_line(ticket, Channel.SMS)),
        # the version the forms were loaded at: what the agent sees on this page
        "seen": live.newest_event_id(ticket) if seen is None else seen,
        "conflict": conflict,
    }


def _done(ticket: Ticket, message: str):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("agent.ticket.page", ticket_id=ticket.id))


def _refuse(ticket: Ticket, error: Exception | str, **forms):
    db.session.rollback()
    flash(str(error), "error")
    # the page is shown again with the version its forms had, so the guard still holds
    seen = live.parse_seen(request.form.get("seen"))
    return render_template("agent/ticket.html", **_page_context(ticket, seen=seen, **forms)), 400


def _changed_meanwhile(ticket: Ticket, action: str, **forms):
    """None when nobody else changed the ticket since the agent's page was loaded; otherwise
    the page again (409), their draft kept, what changed listed."""
    conflict = agent_live.changed_meanwhile(ticket, action)
    if conflict is None:
        return None
    db.session.rollback()
    page = render_template("agent/ticket.html", **_page_context(ticket, conflict=conflict, **forms))
    return page, 409


@bp.post("/tickets/<int:ticket_id>/reply")
@accepts_files
def reply(ticket_id: int):
    ticket = agent_live.ticket_to_act_on(ticket_id)
    form = ReplyForm()
    if not form.validate_on_submit():
        return _refuse(ticket, "The reply was not sent: " + _errors(form), reply_form=form)
    macro_id = request.form.get("macro_id", type=int)
    macro = canned.offered(current_user, ticket, macro_id) if macro_id else None
    if macro_id and macro is None:
        refusal = "The reply was not sent: that macro is not yours to use here."
        return _refuse(ticket, refusal, reply_form=form)
    files, error = uploaded_files(form.files.data, most=current_app.config["MAX_REPLY_FILES"])
    if error:
        return _refuse(ticket, f"The reply was not sent: {error} {AGAIN}", reply_form=form)
    if conflict := _changed_meanwhile(ticket, "reply", reply_form=form):
        return conflict
    try:
        status = Status(form.status.data) if form.status.data else None
        message = lifecycle.reply(
            ticket, by=current_user, body=form.body.data, status=status, attachments=files
        )
        done = canned.apply(macro, ticket, by=current_user) if macro else []
    except lifecycle.TransitionError as error:
        return _refuse(ticket, str(error) + (f" {AGAIN}" if files else ""), reply_form=form)
    also = f" Also {', '.join(done)}." if done else ""
    if reason := outbox.undelivered(message.outbox):
        db.session.commit()
        flash(
            f"Reply not delivered: {reason}. It is kept on the ticket but does not count as an "
            "answer; reach the customer another way (see below)." + also,
            "warning",
        )
        return redirect(url_for("agent.ticket.page", ticket_id=ticket.id, _anchor="not-delivered"))
    return _done(ticket, "Reply sent." + also)


@bp.post("/tickets/<int:ticket_id>/note")
def note(ticket_id: int):
    ticket = agent_live.ticket_to_act_on(ticket_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return _refuse(ticket, "The note was not saved: " + _errors(form), note_form=form)
    if conflict := _changed_meanwhile(ticket, "note", note_form=form):
        return conflict
    lifecycle.note(ticket, by=current_user, body=form.body.data)
    return _done(ticket, "Note added.")


@bp.post("/tickets/<int:ticket_id>/assign")
def assign(ticket_id: int):
    ticket = agent_live.ticket_to_act_on(ticket_id)
    user_id = request.form.get("assignee_id", type=int)
    assignee = db.session.get(User, user_id) if user_id else None
    if user_id and assignee is None:
        abort(400)
    try:
        lifecycle.assign(ticket, assignee, by=current_user)
    except lifecycle.TransitionError as error:
        return _refuse(ticket, error)
    return _done(ticket, f"Assigned to {assignee.name}." if assignee else "Unassigned.")


@bp.post("/tickets/<int:ticket_id>/transfer")
def transfer(ticket_id: int):
    ticket = agent_live.ticket_to_act_on(ticket_id)
    department = db.session.get(Department, request.form.get("department_id", type=int) or 0)
    if department is None:
        abort(400)
    lifecycle.transfer(ticket, department, by=current_user)
    db.session.commit()
    flash(f"Transferred to {department.name}.", "success")
    if not can_see(current_user, ticket):
        return redirect(url_for("agent.queue"))
    return redirect(url_for("agent.ticket.page", ticket_id=ticket.id))


@bp.post("/tickets/<int:ticket_id>/status")
def status(ticket_id: int):
    ticket = agent_live.ticket_to_act_on(ticket_id)
    value = request.form.get("status", "")
    if value not in Status._value2member_map_:
        return _refuse(ticket, f"Unknown status '{value}'.")
    if value == ticket.status:
        flash(f"The status is already {ticket.status.label}; nothing changed.", "info")
        return redirect(url_for("agent.ticket.page", ticket_id=ticket.id))
    if conflict := _changed_meanwhile(ticket, "status"):
        return conflict
    try:
        lifecycle.set_status(
            ticket, Status(value), by=current_user, note=request.form.get("note", "")
        )
    except lifecycle.TransitionError as error:
        return _refuse(ticket, error)
    return _done(ticket, f"Status: {Status(value).label}.")


@bp.post("/tickets/<int:ticket_id>/priority")
def priority(ticket_id: int):
    ticket = agent_live.ticket_to_act_on(ticket_id)
    value = request.form.get("priority", "")
    if value not in Priority._value2member_map_:
        return _refuse(ticket, f"Unknown priority '{value}'.")
    lifecycle.set_priority(ticket, Priority(value), by=current_user)
    return _done(ticket, f"Priority: {value}.")


@bp.post("/tickets/<int:ticket_id>/promise")
def promise(ticket_id: int):
    ticket = agent_live.ticket_to_act_on(ticket_id)
    form = PromiseForm()
    if not form.validate_on_submit():
        return _refuse(ticket, "The promise was not saved: " + _errors(form), promise_form=form)
    due_at = hours.local_to_utc(form.due_at.data, current_app.config["TIMEZONE"])
    try:
        promises.add_promise(
            ticket, by=current_user, description=form.description.data, due_at=due_at
        )
    except lifecycle.TransitionError as error:
        return _refuse(ticket, error, promise_form=form)
    return _done(ticket, "Promise recorded; the customer has been told.")


@bp.post("/promises/<int:promise_id>/settle")
def settle(promise_id: int):
    promise = db.session.get(Promise, promise_id) or abort(404)
    ticket = agent_live.ticket_to_act_on(promise.ticket_id)
    try:
        promises.settle_promise(promise, kept=request.form.get("kept") == "1", by=current_user)
    except lifecycle.TransitionError as error:
        return _refuse(ticket, error)
    return _done(ticket, "Promise settled.")


@bp.post("/tickets/<int:ticket_id>/product")
def product(ticket_id: int):
    ticket = agent_live.ticket_to_act_on(ticket_id)
    form = ProductForm()
    if not form.validate_on_submit():
        return _refuse(ticket, "Product details not saved: " + _errors(form), product_form=form)
    lifecycle.set_product(
        ticket,
        by=current_user,
        product=form.product.data or "",
        serial_number=form.serial_number.data or "",
        purchase_date=form.purchase_date.data,
    )
    return _done(ticket, "Product details saved.")


@bp.post("/tickets/<int:ticket_id>/cc")
def cc(ticket_id: int):
    ticket = agent_live.ticket_to_act_on(ticket_id)
    form = CcForm()
    if not form.validate_on_submit():
        return _refuse(ticket, "The copy list was not saved: " + _errors(form), cc_form=form)
    try:
        ccs.set_ccs(ticket, form.addresses.data or [], by=current_user)
    except lifecycle.TransitionError as error:
        form.addresses.data = "\n".join(form.addresses.data or [])
        return _refuse(ticket, error, cc_form=form)
    count = len(ticket.cc_emails)
    return _done(
        ticket,
        f"{count} {'person' if count == 1 else 'people'} copied on email replies."
        if count
        else "Nobody is copied on email replies.",
    )


@bp.post("/tickets/<int:ticket_id>/merge")
def merge(ticket_id: int):
    ticket = agent_live.ticket_to_act_on(ticket_id)
    reference = (request.form.get("target") or "").strip().upper()
    target = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
    if target is None or not can_see(current_user, target):
        return _refuse(ticket, f"No ticket {reference or '(empty)'} that you can see.")
    try:
        lifecycle.merge(ticket, target, by=current_user)
    except lifecycle.TransitionError as error:
        return _refuse(ticket, error)
    db.session.commit()
    flash(f"Merged into {target.reference}.", "success")
    return redirect(url_for("agent.ticket.page", ticket_id=target.id))


@bp.get("/files/<int:attachment_id>")
def attachment(attachment_id: int):
    item = db.session.get(Attachment, attachment_id) or abort(404)
    ticket_for(current_user, item.message.ticket_id)
    return send_attachment(item, download=request.args.get("download") == "1")


def _errors(form) -> str:
    return "; ".join(error for errors in form.errors.values() for error in errors)
