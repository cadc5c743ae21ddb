"""An agent's saved queue views: save the queue as shown under a name, delete one."""

from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user

from ticketing import saved_views
from ticketing.extensions import db
from ticketing.forms import SavedViewForm

bp = Blueprint("saved", __name__, url_prefix="/views")


@bp.post("")
def create():
    form = SavedViewForm()
    if not form.validate_on_submit():
        flash("The form had expired: try saving the view again.", "error")
        return redirect(url_for("agent.queue"))
    try:
        view = saved_views.save(current_user, form.name.data, form.args.data)
    except saved_views.Refused as refused:
        flash(refused.message, "error")
        return redirect(url_for("agent.queue", **saved_views.queue_args(form.args.data)))
    db.session.commit()
    flash(f"Saved the view “{view.name}”.", "success")
    return redirect(url_for("agent.queue", **view.args))


@bp.post("/<int:saved_view_id>/delete")
def delete(saved_view_id: int):
    """Another agent's view is not there for them (404); CSRFProtect guards every POST."""
    view = saved_views.delete(current_user, saved_view_id)
    if view is None:
        abort(404)
    db.session.commit()
    flash(f"Deleted the view “{view.name}”.", "success")
    return redirect(url_for("agent.queue"))
