"""/api/v1/reports: the dashboard's figures as JSON for integrations (supervisors and admins).

Routes live on the API blueprint, so they share its bearer-token authentication and errors.
"""

from flask import Blueprint, g, jsonify, request

from ticketing import api_params, search, stats
from ticketing.extensions import db
from ticketing.models.enums import Role
from ticketing.security import role_required, visible_tickets
from ticketing.stats import calls as call_stats
from ticketing.views import audit_hooks
from ticketing.views.api_io import ApiError, summary

bp = Blueprint("reports", __name__)  # nested in api.bp: its token check and errors apply


@bp.get("/reports/summary")
@role_required(Role.SUPERVISOR)
def report_summary():
    """Every figure of the dashboard for ?period=&from=&to=&department=&agent=&channel=..."""
    api_params.check_query(request.args, api_params.SCOPE)
    scope = _scope()
    figures = stats.summary(scope) | {"calls": call_stats.calls(scope)}
    _exported("api/reports/summary", scope)
    return jsonify(figures)


@bp.get("/reports/<name>")
@role_required(Role.SUPERVISOR)
def report_table(name: str):
    """One table of the dashboard (the same as its CSV), as a list of objects."""
    api_params.check_query(request.args, api_params.SCOPE)
    if name not in stats.TABLES:
        raise ApiError(
            404, "not_found", f"no report table '{name[:40]}'; try one of {', '.join(stats.TABLES)}"
        )
    scope = _scope()
    columns, rows = stats.table(stats.summary(scope), name)
    _exported(f"api/reports/{name}", scope)
    return jsonify(
        scope=scope.as_json(),
        columns=columns,
        rows=[dict(zip(columns, row, strict=True)) for row in rows],
    )


@bp.get("/reports/tickets")
@role_required(Role.SUPERVISOR)
def report_tickets():
    """The tickets behind one figure (?figure=...&part=...), most urgent first, paginated."""
    checked = api_params.check_query(request.args, api_params.FIGURE)
    args = request.args.copy()
    args.setdefault("status", "")  # any status, unless narrowed: the figure decides
    try:
        filters = search.queue_filters(args)
    except stats.ScopeError as error:
        raise ApiError(400, "invalid_filter", str(error)) from error
    query = search.urgency_order(search.apply_filters(visible_tickets(g.api_user), **filters))
    _exported("api/reports/tickets")  # first: the commit would expire the page's tickets
    page = db.paginate(
        query, page=checked.get("page", 1), per_page=checked.get("per_page", 50), error_out=False
    )
    return jsonify(
        tickets=[summary(t) for t in page.items], page=page.page, pages=page.pages, total=page.total
    )


def _scope() -> stats.Scope:
    try:
        return stats.Scope.from_args(request.args)
    except stats.ScopeError as error:
        raise ApiError(400, "invalid_filter", str(error)) from error


def _exported(name: str, scope: stats.Scope | None = None) -> None:
    """The JSON twins of the CSV exports are exports too: the same data leaves the same way."""
    audit_hooks.exported(name, scope)
    db.session.commit()
