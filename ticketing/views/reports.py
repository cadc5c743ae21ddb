"""The supervisor dashboard and its CSV exports. Figures come from ticketing.stats (SQL);
every number links to the agent queue filtered to the tickets behind it."""

from pathlib import Path

from flask import Blueprint, Response, abort, render_template, request, stream_with_context, url_for
from flask_login import current_user
from sqlalchemy import select

from ticketing import charts, search, stats
from ticketing.extensions import db
from ticketing.models import Ticket
from ticketing.models.enums import Category, Channel, Priority, Role
from ticketing.security import role_required, visible_tickets
from ticketing.stats import calls as call_stats
from ticketing.stats import desk as desk_stats
from ticketing.stats import figures
from ticketing.stats.export import TICKET_COLUMNS, csv_lines, ticket_rows
from ticketing.views import audit_hooks

bp = Blueprint(
    "reports",
    __name__,
    url_prefix="/reports",
    static_folder=str(Path(__file__).parents[2] / "templates" / "reports" / "static"),
)


@bp.before_request
@role_required(Role.SUPERVISOR)
def supervisors_only():
    """Reports are for supervisors and admins."""


@bp.get("/")
def dashboard():
    try:
        scope = stats.Scope.from_args(request.args)
    except stats.ScopeError as error:
        return _page(None, None, error=str(error)), 400
    return _page(scope, stats.summary(scope))


@bp.get("/export/<name>.csv")
def export(name: str):
    """One table of the dashboard, for the same period and filters, as CSV."""
    if name not in stats.TABLES:
        abort(404)
    scope = _scope()
    columns, rows = stats.table(stats.summary(scope), name)
    audit_hooks.exported(f"reports/{name}", scope)
    db.session.commit()
    return csv_download(
        f"{name}-{scope.first_day}-to-{scope.last_day}.csv", csv_lines(columns, rows)
    )


@bp.get("/tickets.csv")
def tickets_csv():
    """The tickets behind a number: the same arguments as the queue link beside it."""
    try:
        filters = search.queue_filters(request.args)
    except stats.ScopeError as error:
        abort(400, str(error))
    view = request.args.get("view", "all")
    if view not in search.VIEWS:
        abort(404)
    widened = search.widen_for_lookup(filters)  # as the queue page it is exported from
    ids = search.apply_view(
        visible_tickets(current_user, select(Ticket.id)), view, current_user, widened
    )
    rows = ticket_rows(search.apply_filters(ids, **filters))
    audit_hooks.exported("reports/tickets")
    db.session.commit()
    name = f"tickets-{request.args.get('figure', 'queue')[:30]}.csv"
    return csv_download(name, stream_with_context(csv_lines([c for c, _ in TICKET_COLUMNS], rows)))


def _scope() -> stats.Scope:
    try:
        return stats.Scope.from_args(request.args)
    except stats.ScopeError as error:
        abort(400, str(error))


def csv_download(filename: str, lines) -> Response:
    """A CSV file to save, never to render (the download security policy applies)."""
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in filename)
    return Response(
        lines,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{safe}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


def _page(scope, data, error: str | None = None) -> str:
    departments, people = stats.filter_choices()
    links = _links(scope) if scope else {}
    return render_template(
        "reports/dashboard.html",
        scope=scope,
        data=data,
        error=error,
        args=request.args,
        periods=stats.PERIODS,
        departments=departments,
        people=people,
        channels=list(Channel),
        priorities=list(Priority),
        categories=list(Category),
        charts=_charts(data, links["queue"]) if data else {},
        duration=duration,
        percent=percent,
        backlog=stats.backlog_by_department() if data else [],
        silent=stats.silent_tickets() if data else [],
        chase_labels=figures.CHASES,
        after_sale_labels=figures.AFTER_SALE_OUTCOMES,
        message_states=figures.MESSAGE_LABELS,
        calls=call_stats.calls(scope) if data else None,
        call_outcomes=call_stats.OUTCOMES,
        desk=desk_stats.desk(scope) if data else None,
        **links,
    )


def _links(scope: stats.Scope) -> dict:
    def tickets_args(figure, part="", status="", **overrides) -> dict:
        return (
            scope.query_args()
            | {"view": "all", "status": status, "figure": figure}
            | ({"part": part} if part else {})
            | overrides
        )

    return {
        "queue": lambda *a, **k: url_for("agent.queue", **tickets_args(*a, **k)),
        "tickets_csv": lambda *a, **k: url_for("reports.tickets_csv", **tickets_args(*a, **k)),
        "export": lambda name: url_for("reports.export", name=name, **scope.query_args()),
    }


def _charts(data: dict, queue) -> dict:
    def one_day(day, series):  # series: "created" or "resolved", figures of the same name
        return queue(series, period="custom", **{"from": day, "to": day})

    return {
        "trend": charts.created_vs_resolved("chart-trend", data["volume"]["daily"], one_day),
        "backlog": charts.backlog_by_age(
            "chart-backlog",
            data["backlog"]["by_age"],
            lambda bucket, status: queue("open", part=bucket, status=status),
        ),
    }


def duration(minutes: float | None) -> str:
    """Minutes for people: "45 min", "7 h 05 min", "3 d 4 h"."""
    if minutes is None:
        return "—"
    total = round(minutes)
    if total < 60:
        return f"{total} min"
    if total < 48 * 60:
        return f"{total // 60} h {total % 60:02d} min"
    return f"{total // 1440} d {total % 1440 // 60} h"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:g}%"
