"""What the report's "By tag" table counts (ticketing/stats/tags.py), ticket by ticket: rows
written straight into a throwaway SQLite file with chosen times, statuses and closing
outcomes, one tag per rule, so each count says exactly which tickets it took.

No project conftest (`make mutate` runs these with --noconftest): the module builds its own app.
"""

from datetime import date, datetime, timedelta

import pytest

from ticketing import create_app
from ticketing.extensions import db
from ticketing.models import Customer, Department, Event, Ticket, TicketTag
from ticketing.models.enums import Channel, Outcome, Status
from ticketing.stats.scope import Scope
from ticketing.stats.tags import by_tag

MONDAY = date(2026, 3, 2)
START = datetime.combine(MONDAY, datetime.min.time())
END = START + timedelta(days=7)
INSIDE = START + timedelta(days=2, hours=10)
LONG_AGO = datetime(2025, 1, 1, 9, 0)


def scope(**dimensions) -> Scope:
    return Scope("custom", MONDAY, MONDAY + timedelta(days=6), START, END, END, 180, **dimensions)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    path = tmp_path_factory.mktemp("tag-figures") / "tags.db"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "tag-figure-rules",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "SQLALCHEMY_ENGINE_OPTIONS": {},
            "TIMEZONE": "Africa/Nairobi",
        }
    )
    with app.app_context():
        db.create_all()
        app.extensions["departments"] = build()
    return app


def build() -> dict[str, int]:
    main, other = Department(name="Main"), Department(name="Other")
    customer = Customer(name="Wanjiru")
    db.session.add_all([main, other, customer])
    db.session.flush()

    def ticket(tag, *, closing=None, department=main, **fields):
        values = {
            "subject": tag,
            "customer_id": customer.id,
            "department_id": department.id,
            "channel": Channel.WEB,
            "status": Status.CLOSED,
            "created_at": LONG_AGO,
        } | fields
        row = Ticket(**values)
        row.tags.append(TicketTag(name=tag))
        db.session.add(row)
        db.session.flush()
        if closing is not None:
            db.session.add(
                Event(
                    ticket_id=row.id,
                    kind="status",
                    data={"old": "resolved", "new": "closed", "outcome": closing.value},
                    created_at=INSIDE,
                )
            )
        return row

    # Opened: created in [START, END).
    ticket("opened-at-start", created_at=START, closing=Outcome.SOLVED)
    ticket("opened-inside", created_at=INSIDE, closing=Outcome.SOLVED)
    ticket("opened-before", created_at=START - timedelta(seconds=1), closing=Outcome.SOLVED)
    ticket("opened-at-end", created_at=END, closing=Outcome.SOLVED)
    # Resolved: resolved in the period and really resolved (not closed for silence).
    ticket("resolved-now", status=Status.RESOLVED, resolved_at=INSIDE)
    ticket("resolved-solved", resolved_at=INSIDE, closing=Outcome.SOLVED)
    ticket("resolved-fixed", resolved_at=INSIDE, closing=Outcome.CONFIRMED_FIXED)
    ticket("resolved-silence", resolved_at=INSIDE, closing=Outcome.CLOSED_AFTER_SILENCE)
    ticket("resolved-before", status=Status.RESOLVED, resolved_at=START - timedelta(seconds=1))
    ticket("resolved-at-end", status=Status.RESOLVED, resolved_at=END)
    # Open now: whatever the period.
    for status in (Status.NEW, Status.OPEN, Status.PENDING_CUSTOMER):
        ticket(f"open-{status.value}", status=status)
    # Counted nowhere: merged into another, or in another department when one is chosen.
    survivor = ticket("survivor", status=Status.OPEN)
    ticket("merged", status=Status.OPEN, created_at=INSIDE, merged_into_id=survivor.id)
    ticket("elsewhere", status=Status.OPEN, created_at=INSIDE, department=other)
    # Two tags on one ticket count under each.
    both = ticket("both-a", status=Status.OPEN, created_at=INSIDE)
    both.tags.append(TicketTag(name="both-b"))
    db.session.commit()
    return {"main": main.id, "other": other.id}


@pytest.fixture
def rows(app):
    with app.app_context():
        yield lambda **dimensions: {row.pop("tag"): row for row in by_tag(scope(**dimensions))}
        db.session.rollback()


def counts(opened=0, resolved=0, open=0) -> dict:
    return {"opened": opened, "resolved": resolved, "open": open}


def test_each_tag_counts_exactly_its_tickets(rows):
    assert rows() == {
        "opened-at-start": counts(opened=1),
        "opened-inside": counts(opened=1),
        "resolved-now": counts(resolved=1),
        "resolved-solved": counts(resolved=1),
        "resolved-fixed": counts(resolved=1),
        "open-new": counts(open=1),
        "open-open": counts(open=1),
        "open-pending_customer": counts(open=1),
        "survivor": counts(open=1),
        "elsewhere": counts(opened=1, open=1),
        "both-a": counts(opened=1, open=1),
        "both-b": counts(opened=1, open=1),
    }


def test_a_chosen_department_leaves_the_others_tickets_out(app, rows):
    main = app.extensions["departments"]["main"]
    other = app.extensions["departments"]["other"]
    assert "elsewhere" not in rows(department_id=main)
    assert rows(department_id=other) == {"elsewhere": counts(opened=1, open=1)}


def test_busiest_first_then_most_open_then_by_name(app):
    with app.app_context():
        order = [row["tag"] for row in by_tag(scope())]
    assert order == [
        "both-a",
        "both-b",
        "elsewhere",
        "opened-at-start",
        "opened-inside",
        "open-new",
        "open-open",
        "open-pending_customer",
        "survivor",
        "resolved-fixed",
        "resolved-now",
        "resolved-solved",
    ]
