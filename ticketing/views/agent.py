"""The agent's queue, their own settings, and the page where an agent makes an API token."""

from urllib.parse import urlencode

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ticketing import hours, live, saved_views, search, stats, tags
from ticketing.extensions import db
from ticketing.forms import MySettingsForm, SavedViewForm
from ticketing.models import Department, Ticket, User, user_departments
from ticketing.models.enums import Channel, Priority, Status
from ticketing.security import issue_token, revoke_token, visible_tickets
from ticketing.views import audit_hooks

bp = Blueprint("agent", __name__, url_prefix="/agent")


@bp.before_request
@login_required
def staff_only():
    """Every /agent page needs a signed-in member of staff."""


@bp.get("/")
def queue():
    view = _view()
    query, widened, found = _queue_query(view)
    query = search.ordered(query, request.args.get("sort"), request.args.get("dir"))
    # a page's customers, departments, assignees and tags in four queries, not four a row
    query = query.options(
        selectinload(Ticket.customer),
        selectinload(Ticket.department),
        selectinload(Ticket.assignee),
        selectinload(Ticket.tags),
    )
    listed = current_app.config["QUEUE_COUNT_CAP"] if found is not None and found.broad else None
    page = search.paginate(query, *_page_asked(), listed)
    departments = db.session.scalars(select(Department).order_by(Department.name)).all()
    # every argument but the page, empty ones too: an empty status= means every status
    args = {k: v for k, v in request.args.items() if k != "page"} | {"view": view}
    return render_template(
        "agent/queue.html",
        page=page,
        view=view,
        views=search.VIEWS,
        filters=request.args,
        args=args,
        widened=widened,
        broad=found is not None and found.broad,
        sorts=search.SORTS,
        saved_views=saved_views.listed(current_user),
        save_form=SavedViewForm(args=urlencode(args)),
        departments=departments,
        statuses=[("active", "Active")] + [(s.value, s.label) for s in Status],
        priorities=list(Priority),
        channels=list(Channel),
        due_state=search.due_state,
        callbacks=search.owed_callbacks(page.items),
        known_tags=tags.known(limit=50),
        bulk_agents=_colleagues(),
        # every argument as the page got it: an empty status= means every status, not none
        live_url=url_for(
            "agent.queue_live",
            **({k: v for k, v in request.args.items() if k != "page"} | {"view": view}),
        ),
        live_since=live.iso(hours.now()),
        live_key=lambda ticket: f"{ticket.id}@{live.iso(ticket.updated_at)}",
    )


@bp.get("/queue/live")
def queue_live():
    """What the open queue page polls: its count now, the tickets new or changed since the
    last poll, and the tickets given to this agent since then."""
    since = live.parse_since(request.args.get("since"))
    if since is None:
        return jsonify(error="bad_since", message="since must be an ISO time."), 400
    news = live.queue_news(_queue_query(_view())[0], since, current_user)
    for item in news["changed"] + news["assigned"]:
        item["url"] = url_for("agent.ticket.page", ticket_id=item["id"])
    return jsonify(news)


def _page_asked() -> tuple[int, int]:
    """?page= and ?per_page= as db.paginate read them: page 1 and QUEUE_PAGE_SIZE when missing
    or not positive numbers, at most 100 a page."""
    number = request.args.get("page", type=int)
    size = request.args.get("per_page", type=int)
    return (
        number if number and number > 0 else 1,
        min(size, 100) if size and size > 0 else current_app.config["QUEUE_PAGE_SIZE"],
    )


def _view() -> str:
    view = request.args.get("view") or ("departments" if current_user.sees_all else "mine")
    if view not in search.VIEWS:
        abort(404)
    return view


def _queue_query(view: str):
    """The tickets of one queue view, as the page's filters narrow it, that the user may see;
    whether the search widened it to every status; and what the search found (search.Found)."""
    filters = _filters(request.args)
    widened = search.widen_for_lookup(filters)
    query = search.apply_view(visible_tickets(current_user), view, current_user, widened)
    query = search.apply_filters(query, **(filters | {"q": None}))
    if not filters["q"]:
        return query, widened, None
    found = search.gather(query, filters["q"])
    return search.only_found(query, found), widened, found


def _colleagues() -> list[User]:
    """Who the bulk bar can assign to: active staff of the departments this user works in
    (every department, for those who see all)."""
    query = select(User).where(User.is_enabled, User.departments.any()).order_by(User.name)
    if not current_user.sees_all:
        mine = select(user_departments.c.department_id).where(
            user_departments.c.user_id == current_user.id
        )
        query = query.where(User.departments.any(Department.id.in_(mine)))
    return db.session.scalars(query).all()


def _filters(args) -> dict:
    try:
        return search.queue_filters(args)
    except stats.ScopeError as error:  # a malformed link to the tickets behind a report figure
        abort(400, str(error))


@bp.route("/token", methods=["GET", "POST"])
def token():
    """Make a new API token; it is shown once, and replaces the previous one."""
    new_token = None
    if request.method == "POST":
        replaced = bool(current_user.api_token_hash)
        new_token = issue_token(current_user)
        audit_hooks.token_created(current_user, replaced=replaced)
        db.session.commit()
    return render_template(
        "agent/token.html", new_token=new_token, has_token=bool(current_user.api_token_hash)
    )


@bp.post("/token/revoke")
def revoke_my_token():
    """Revoke one's own API token (a leaked script, a lost laptop): it stops working now."""
    if revoke_token(current_user):
        audit_hooks.token_revoked(current_user)
        db.session.commit()
        flash("Your API token is revoked: it no longer works.", "success")
    else:
        flash("You have no API token.", "info")
    return redirect(url_for("agent.token"))


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    """A member of staff's own choices: today, whether an assignment reaches them by email."""
    if request.method == "GET":
        return render_template("agent/settings.html", form=MySettingsForm(obj=current_user))
    form = MySettingsForm(formdata=request.form)  # an empty post is every box unticked
    if not form.validate_on_submit():
        return render_template("agent/settings.html", form=form), 400
    user = current_user._get_current_object()
    before = {"assignment_email": user.wants_assignment_email}
    user.wants_assignment_email = form.wants_assignment_email.data
    audit_hooks.setting_changed(
        "my_settings", user, before, {"assignment_email": user.wants_assignment_email}
    )
    db.session.commit()
    flash("Your settings are saved.", "success")
    return redirect(url_for("agent.settings"))
