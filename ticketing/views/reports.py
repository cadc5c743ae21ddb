"""The supervisor dashboard: backlog and charter figures, computed by SQL in ticketing.stats."""

from flask import Blueprint, render_template

from ticketing import stats
from ticketing.models.enums import Role
from ticketing.security import role_required

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.before_request
@role_required(Role.SUPERVISOR)
def supervisors_only():
    """Reports are for supervisors and admins."""


@bp.get("/")
def dashboard():
    return render_template("reports/dashboard.html", backlog=stats.backlog_by_department(),
                           silent=stats.silent_tickets())
