"""Canned responses and macros at the desk: the management pages (an agent's own, a
supervisor's shared ones), what the ticket page's picker offers, and applying a macro."""

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ticketing import canned, lifecycle
from ticketing.extensions import db
from ticketing.forms import CannedResponseForm
from ticketing.models import CannedResponse, CannedScope, Department, User
from ticketing.models.enums import Priority, Role, Status
from ticketing.security import ticket_for
from ticketing.views import agent_live, audit_hooks
from ticketing.views.agent_ticket import _changed_meanwhile, _done, _refuse

bp = Blueprint("canned", __name__)  # nested in agent.bp: its sign-in guard applies


@bp.get("/canned")
def index():
    return render_template(
        "agent/canned.html",
        responses=canned.managed(current_user),
        placeholders=canned.PLACEHOLDERS,
        shares=canned.manages_shared(current_user),
    )


@bp.route("/canned/new", methods=["GET", "POST"])
def create():
    return _edit(None)


@bp.route("/canned/<int:response_id>", methods=["GET", "POST"])
def edit(response_id: int):
    return _edit(_managed_or_404(response_id))


@bp.post("/canned/<int:response_id>/delete")
def delete(response_id: int):
    response = _managed_or_404(response_id)
    audit_hooks.setting_changed(
        "canned_response", f"canned:{response.id}", canned.state(response), {}
    )
    canned.delete(response)
    db.session.commit()
    flash(f"Deleted “{response.title}”.", "success")
    return redirect(url_for("agent.canned.index"))


@bp.get("/tickets/<int:ticket_id>/canned")
def for_ticket(ticket_id: int):
    """What the ticket page's picker lists, each text filled in for this ticket."""
    ticket = ticket_for(current_user, ticket_id)
    return jsonify(
        responses=[_picked(row, ticket) for row in canned.for_ticket(current_user, ticket)]
    )


@bp.post("/tickets/<int:ticket_id>/canned/<int:canned_id>/apply")
def apply(ticket_id: int, canned_id: int):
    ticket = agent_live.ticket_to_act_on(ticket_id)
    response = canned.offered(current_user, ticket, canned_id) or abort(404)
    if conflict := _changed_meanwhile(ticket, "apply"):
        return conflict
    try:
        done = canned.apply(response, ticket, by=current_user)
    except lifecycle.TransitionError as error:
        return _refuse(ticket, error)
    return _done(ticket, f"Applied “{response.title}”: {', '.join(done) or 'nothing to change'}.")


def actions(response: CannedResponse) -> list[str]:
    """A macro's changes, in words for the agent before they apply it."""
    words = []
    if response.set_status:
        words.append(f"status {response.set_status.label}")
    if response.set_priority:
        words.append(f"priority {response.set_priority.value}")
    if response.set_assignee:
        words.append(f"assign to {response.set_assignee.name}")
    if response.tags:
        words.append(f"tag {', '.join(response.tags)}")
    return words


def _picked(response: CannedResponse, ticket) -> dict:
    item = {"id": response.id, "title": response.title, "scope": response.scope.value}
    item["actions"] = actions(response)
    try:
        rendered = canned.render(response, ticket, current_user)
    except canned.Unusable as error:
        return item | {"text": "", "language": "", "note": "", "error": str(error)}
    return item | {
        "text": rendered.text,
        "language": rendered.language.value,
        "note": rendered.note,
        "error": "",
    }


def _managed_or_404(response_id: int) -> CannedResponse:
    response = db.session.get(CannedResponse, response_id) if response_id <= canned.ID_MAX else None
    if response is None or not canned.can_manage(current_user, response):
        abort(404)
    return response


def _edit(response: CannedResponse | None):
    form = CannedResponseForm(obj=response if request.method == "GET" else None)
    _fill_choices(form)
    if response is not None and request.method == "GET":
        form.set_status.data = response.set_status.value if response.set_status else ""
        form.set_priority.data = response.set_priority.value if response.set_priority else ""
        form.tags.data = ", ".join(response.tags or [])
    errors = []
    if form.validate_on_submit():
        fields = _fields(form)
        errors = canned.problems(fields, current_user)
        if not errors:
            before = canned.state(response) if response is not None else {}
            response = canned.save(response, fields, by=current_user)
            target = f"canned:{response.id}"
            audit_hooks.setting_changed("canned_response", target, before, canned.state(response))
            db.session.commit()
            flash(f"Saved “{response.title}”.", "success")
            return redirect(url_for("agent.canned.index"))
    elif request.method == "POST":
        errors = [error for field in form.errors.values() for error in field]
    page = render_template(
        "agent/canned_form.html",
        form=form,
        response=response,
        errors=errors,
        placeholders=canned.PLACEHOLDERS,
        filters=sorted(canned.FILTERS),
    )
    return page, 400 if errors else 200


def _fill_choices(form: CannedResponseForm) -> None:
    departments = db.session.scalars(select(Department).order_by(Department.name)).all()
    form.department_id.choices = [(0, "—")] + [(d.id, d.name) for d in departments]
    staff = db.session.scalars(
        select(User).where(User.is_enabled, User.role == Role.AGENT).order_by(User.name)
    ).all()
    form.set_assignee_id.choices = [(0, "Keep assignee")] + [(u.id, u.name) for u in staff]
    if not canned.manages_shared(current_user):
        form.scope.choices = [("personal", "Only me")]


def _fields(form: CannedResponseForm) -> canned.Fields:
    return canned.Fields(
        title=form.title.data or "",
        scope=CannedScope(form.scope.data),
        department=db.session.get(Department, form.department_id.data or 0),
        body_en=form.body_en.data or "",
        body_sw=form.body_sw.data or "",
        set_status=Status(form.set_status.data) if form.set_status.data else None,
        set_priority=Priority(form.set_priority.data) if form.set_priority.data else None,
        set_assignee=db.session.get(User, form.set_assignee_id.data or 0),
        tags=tuple(tag for tag in (form.tags.data or "").split(",") if tag.strip()),
    )
