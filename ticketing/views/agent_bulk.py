"""Bulk actions from the queue: one change to the selected tickets, one transaction, and a
page that says per ticket what was done and what was skipped and why."""

from flask import Blueprint, flash, redirect, render_template, request
from flask_login import current_user

from ticketing import bulk
from ticketing.extensions import db
from ticketing.views.auth import safe_next

bp = Blueprint("bulk", __name__)  # nested in agent.bp: its sign-in guard applies

WORDS = {  # what each outcome code says on screen
    "done": "Done",
    "unchanged": "No change",
    "not_found": "Skipped",
    "not_in_department": "Skipped",
    "not_allowed": "Skipped",
    "merge_target": "Kept",
    "refused": "Skipped",
}


@bp.post("/bulk")
def change():
    back = safe_next(request.form.get("back"))
    try:
        ids = bulk.ticket_ids(request.form.getlist("ticket_ids"))
        action = request.form.get("action", "")
        field = "tag" if action in ("add_tag", "remove_tag") else action  # one tag box, two buttons
        outcomes = bulk.apply(current_user, ids, action, request.form.get(field, ""))
    except bulk.BulkError as error:
        db.session.rollback()
        flash(f"Nothing was changed: {error}", "error")
        return redirect(back)
    db.session.commit()
    done = sum(outcome.is_done for outcome in outcomes)
    return render_template(
        "agent/bulk.html", outcomes=outcomes, done=done, words=WORDS, back=back, action=action
    )
