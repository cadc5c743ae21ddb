"""/api/v1/reports: the dashboard's figures as JSON for integrations (supervisors and admins).

Routes live on the API blueprint, so they share its bearer-token authentication and errors.
"""

from flask import Blueprint, g, jsonify, request

from ticketing import search, stats
from ticketing.extensions import db
from ticketing.models.enums import Role
from ticketing.security import role_required, visible_tickets
from ticketing.views.api_io import ApiError, summary

bp = Blueprint("reports", __name__)  # nested in api.bp: its token check and errors apply


@bp.get("/reports/summary")
@role_required(Role.SUPERVISOR)
def report_summary():
    """Every figure of the dashboard for ?period=&from=&to=&department=&agent=&channel=..."""
    return jsonify(stats.summary(_scope()))


@bp.get("/reports/<name>")
@role_required(Role.SUPERVISOR)
def report_table(name: str):
    """One table of the dashboard (the same as its CSV), as a list of objects."""
    if name not in stats.TABLES:
        raise ApiError(
            404, "not_found", f"no report table '{name[:40]}'; try one of {', '.join(stats.TABLES)}"
        )
    scope = _scope()
    columns, rows = stats.table(stats.summary(scope), name)
    return jsonify(
        scope=scope.as_json(),
        columns=columns,
        rows=[dict(zip(columns, row, strict=True)) for row in rows],
    )


@bp.get("/reports/tickets")
@role_required(Role.SUPERVISOR)
def report_tickets():
    """The tickets behind one figure (?figure=...&part=...), most urgent first, paginated."""
    if not request.args.get("figure"):
        raise ApiError(
            400, "invalid_filter", f"'figure' is required: one of {', '.join(stats.FIGURES)}"
        )
    args = request.args.copy()
    args.setdefault("status", "")  # any status, unless narrowed: the figure decides
    try:
        filters = search.queue_filters(args)
    except stats.ScopeError as error:
        raise ApiError(400, "invalid_filter", str(error)) from error
    query = search.urgency_order(search.apply_filters(visible_tickets(g.api_user), **filters))
    page = db.paginate(
        query,
        per_page=request.args.get("per_page", 50, type=int),
        max_per_page=200,
        error_out=False,
    )
    return jsonify(
        tickets=[summary(t) for t in page.items], page=page.page, pages=page.pages, total=page.total
    )


def _scope() -> stats.Scope:
    try:
        return stats.Scope.from_args(request.args)
    except stats.ScopeError as error:
        raise ApiError(400, "invalid_filter", str(error)) from error
