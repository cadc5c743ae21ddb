"""The report's breakdown by tag: per tag, the tickets opened and resolved in the period and
those open now. A ticket with two tags counts under each."""

from sqlalchemy import and_, case, func, select

from ticketing.extensions import db
from ticketing.models import Ticket, TicketTag
from ticketing.models.enums import OPEN_STATUSES
from ticketing.stats.figures import resolved_during
from ticketing.stats.scope import Scope


def by_tag(scope: Scope) -> list[dict]:
    """[{"tag", "opened", "resolved", "open"}], busiest first; tags with none of the three
    in scope are left out. The counts are those of the figures "created", "resolved" and
    "open" (stats/figures.py), so the queue lists them with ?figure=...&tag=..."""
    opened = func.sum(case((scope.during(Ticket.created_at), 1), else_=0))
    resolved = func.sum(case((and_(*resolved_during(scope)), 1), else_=0))
    still_open = func.sum(case((Ticket.status.in_(OPEN_STATUSES), 1), else_=0))
    query = (
        select(TicketTag.name, opened, resolved, still_open)
        .join(TicketTag.ticket)
        .where(*scope.ticket_conditions())
        .group_by(TicketTag.name)
    )
    rows = [
        {"tag": name, "opened": int(o), "resolved": int(r), "open": int(n)}
        for name, o, r, n in db.session.execute(query)
    ]
    rows = [row for row in rows if row["opened"] or row["resolved"] or row["open"]]
    return sorted(rows, key=lambda row: (-row["opened"], -row["open"], row["tag"]))
