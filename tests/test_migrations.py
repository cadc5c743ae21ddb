"""The migrations are the schema: they match the models, and each one upgrades a database that
already holds tickets without losing them (on SQLite through batch table copies)."""

from datetime import datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from ticketing import customers, extensions, fulltext, lifecycle
from ticketing.models import Customer, Event, Message, OptOut, Ticket, User
from ticketing.models.enums import Channel


def test_the_models_and_the_migrations_describe_the_same_schema(db):
    with db.engine.connect() as connection:
        opts = {"render_as_batch": True, "include_name": extensions.is_model_table}
        context = MigrationContext.configure(connection, opts=opts)
        assert compare_metadata(context, db.metadata) == []


def test_email_ccs_migrate_down_and_up_with_tickets_in_place(app, db, department):
    department("General")
    customer = Customer(name="Brian", email="brian@example.test")
    db.session.add(customer)
    ticket = lifecycle.open_ticket(
        customer,
        subject="Fridge",
        body="It is warm.",
        channel=Channel.EMAIL,
        cc=["amina@example.test"],
    )
    db.session.commit()
    ticket_id = ticket.id
    db.session.remove()
    directory = str(app.config["MIGRATIONS_DIR"])

    try:
        downgrade(directory=directory, revision="0001")
        columns = {c["name"] for c in inspect(db.engine).get_columns("tickets")}
        assert "cc_emails" not in columns
    finally:
        upgrade(directory=directory)

    ticket = db.session.get(Ticket, ticket_id)
    assert ticket.subject == "Fridge" and ticket.cc_emails == []
    assert db.session.scalar(select(Message.sender).where(Message.ticket_id == ticket_id)) is None


def test_status_events_written_with_reasons_get_their_outcome_codes(app, db, department):
    department("General")
    customer = Customer(name="Wanjiku", phone="+254712000001")
    db.session.add(customer)
    ticket = lifecycle.open_ticket(
        customer, subject="Fridge", body="It is warm.", channel=Channel.SMS
    )
    db.session.flush()
    old = {
        "customer confirmed the fix": ("resolved", "closed"),
        "customer says it is not fixed": ("resolved", "open"),
        "no answer after the fix": ("resolved", "closed"),
        "merged into FT-ABCDE": ("open", "closed"),
    }
    for reason, (before, after) in old.items():
        db.session.add(
            Event(
                ticket_id=ticket.id,
                kind="status",
                data={"old": before, "new": after, "reason": reason},
            )
        )
    db.session.commit()
    db.session.remove()
    directory = str(app.config["MIGRATIONS_DIR"])
    try:
        downgrade(directory=directory, revision="0002")
    finally:
        upgrade(directory=directory)

    rows = db.session.scalars(select(Event).where(Event.kind == "status").order_by(Event.id)).all()
    codes = {row.data.get("reason"): row.data.get("outcome") for row in rows}
    assert codes == {
        "customer confirmed the fix": "confirmed_fixed",
        "customer says it is not fixed": "reopened_not_fixed",
        "no answer after the fix": "closed_after_silence",
        "merged into FT-ABCDE": "merged",
    }


def test_rebuilding_the_users_table_keeps_their_departments_and_tickets(app, db, department, staff):
    """0004 rebuilds `users` on SQLite (a batch copy). With foreign keys enforced, dropping the
    old table would have deleted every user's departments (ON DELETE CASCADE): migrations run
    with them off, and check the references after."""
    sales = department("Sales")
    agent = staff("achieng", departments=[sales])
    customer = Customer(name="Amina", phone="+254722000003")
    db.session.add(customer)
    ticket = lifecycle.open_ticket(customer, subject="Late", body="5 days", channel=Channel.SMS)
    db.session.commit()
    ids = (agent.id, ticket.id, ticket.assignee_id)
    db.session.remove()
    directory = str(app.config["MIGRATIONS_DIR"])

    try:
        downgrade(directory=directory, revision="0003")
    finally:
        upgrade(directory=directory)

    agent = db.session.get(User, ids[0])
    assert [d.name for d in agent.departments] == ["Sales"]
    assert db.session.get(Ticket, ids[1]).assignee_id == ids[2] == agent.id


def test_the_embedded_sqlite_is_set_up_for_several_processes(db):
    """WAL, NORMAL sync, a busy timeout that outlasts a burst, foreign keys on (README)."""
    if db.engine.dialect.name != "sqlite":
        return
    with db.engine.connect() as connection:
        pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("synchronous") == 1  # NORMAL
        assert pragma("busy_timeout") == 30000
        assert pragma("foreign_keys") == 1


def test_an_sms_stop_from_before_lines_keeps_every_line_silent(app, db, department):
    """0005 turns the single opt-out flag into a STOP for every line, and back."""
    department("General")
    quiet, talker = Customer(name="Otieno", phone="+254712000002"), Customer(name="Akinyi")
    db.session.add_all([quiet, talker])
    db.session.commit()
    quiet_id = quiet.id
    db.session.remove()
    directory = str(app.config["MIGRATIONS_DIR"])
    try:
        downgrade(directory=directory, revision="0004")
        with db.engine.begin() as connection:
            connection.execute(
                text("UPDATE customers SET sms_opted_out = :yes WHERE id = :id"),
                {"yes": True, "id": quiet_id},
            )
    finally:
        upgrade(directory=directory)
    rows = db.session.execute(select(OptOut.customer_id, OptOut.line)).all()
    assert [tuple(r) for r in rows] == [(quiet_id, "*")]
    assert customers.is_opted_out(db.session.get(Customer, quiet_id), "africastalking:21525")


def test_sqlite_times_are_integers_and_migrate_to_text_and_back_to_the_microsecond(
    app, db, department
):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL keeps its own timestamps")
    department("General")
    customer = Customer(name="Amina", phone="+254712000002")
    db.session.add(customer)
    ticket = lifecycle.open_ticket(customer, subject="Fridge", body="Warm.", channel=Channel.SMS)
    ticket.next_follow_up_at = datetime(2026, 12, 3, 14, 0, 0, 123456)
    ticket.resolved_at = datetime(2026, 12, 3, 14, 0, 0)  # no microseconds
    db.session.commit()
    ticket_id, created = ticket.id, ticket.created_at
    stored = "SELECT typeof(created_at), next_follow_up_at FROM tickets WHERE id = :id"
    assert tuple(db.session.execute(text(stored), {"id": ticket_id}).one()) == (
        "integer",
        1796306400123456,
    )
    db.session.remove()
    directory = str(app.config["MIGRATIONS_DIR"])

    try:
        downgrade(directory=directory, revision="0013")
        as_text = db.session.execute(text(stored), {"id": ticket_id}).one()
        assert tuple(as_text) == ("text", "2026-12-03 14:00:00.123456")
        db.session.remove()
    finally:
        upgrade(directory=directory)

    ticket = db.session.get(Ticket, ticket_id)
    assert ticket.created_at == created
    assert ticket.next_follow_up_at == datetime(2026, 12, 3, 14, 0, 0, 123456)
    assert ticket.resolved_at == datetime(2026, 12, 3, 14, 0, 0)


def test_sqlite_full_text_keeps_rows_not_positions_and_finds_old_and_new_words(app, db, department):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's GIN indexes are not changed")
    department("General")
    customer = Customer(name="Wanjiku Kariuki", phone="+254712000003")
    db.session.add(customer)
    lifecycle.open_ticket(customer, subject="Fridge", body="Haipoi kabisa.", channel=Channel.SMS)
    db.session.commit()
    db.session.remove()
    directory = str(app.config["MIGRATIONS_DIR"])
    try:
        downgrade(directory=directory, revision="0014")
        assert "detail" not in _fts_options(db, "messages_fts")
    finally:
        upgrade(directory=directory)  # made again, and filled from the messages

    for fts in ("messages_fts", "tickets_fts", "customers_fts"):
        assert "detail=none, columnsize=0" in _fts_options(db, fts)
    later = Customer(name="Otieno", phone="+254712000004")
    db.session.add(later)
    lifecycle.open_ticket(later, subject="Cooker", body="Haiwaki.", channel=Channel.SMS)
    db.session.commit()  # the triggers still feed the remade tables

    def found(words: str) -> list[str]:
        ids = {
            i
            for q in fulltext.tickets_with_words(tuple(words.split()))
            for i in db.session.scalars(q)
        }
        return sorted(db.session.get(Ticket, i).subject for i in ids)

    assert found("haip kab") == ["Fridge"] and found("haiw") == ["Cooker"]
    assert found("wanj kari") == ["Fridge"] and found("cook") == ["Cooker"]
    assert found("haipoi cooker") == []


def _fts_options(db, name: str) -> str:
    return db.session.scalar(text("SELECT sql FROM sqlite_master WHERE name = :n"), {"n": name})
