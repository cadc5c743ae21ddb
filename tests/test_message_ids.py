"""A provider's message id is filed once per channel, and the unique index that says so holds
only the messages that carry one (migration 0016): notes and replies, which have none, are
not indexed, and the look-ups by id still go through the index."""

import pytest
from flask_migrate import downgrade, upgrade
from harness import plans, statements_of
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError

from ticketing import fulltext, intake, lifecycle
from ticketing.models import Customer, Message, Ticket
from ticketing.models.enums import Channel

INDEX = "uq_messages_channel_external_id"


def _ticket(db, body="Friji haipoi kabisa.", external_id="SM" + "1" * 32) -> Ticket:
    customer = Customer(name="Wanjiku", phone="+254712000001", email="wanjiku@example.test")
    db.session.add(customer)
    ticket = lifecycle.open_ticket(
        customer, subject="Fridge", body=body, channel=Channel.SMS, external_id=external_id
    )
    db.session.commit()
    return ticket


def test_an_id_is_taken_once_per_channel_and_messages_without_one_stand_side_by_side(
    db, department, staff
):
    department("General")
    agent = staff("Otieno")
    ticket = _ticket(db)
    for words in ("Tunakuja kesho.", "Fundi yuko njiani."):
        lifecycle.note(ticket, by=agent, body=words)  # no id: never a clash
    db.session.commit()
    lifecycle.add_customer_message(
        ticket, body="Same id, by email", channel=Channel.EMAIL, external_id="SM" + "1" * 32
    )
    db.session.commit()  # the same id on another channel is another message

    lifecycle.add_customer_message(
        ticket, body="A retried webhook", channel=Channel.SMS, external_id="SM" + "1" * 32
    )
    with pytest.raises(IntegrityError, match=r"(?i)unique|duplicate"):
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(select(func.count(Message.id))) == 4


def _plans_of(action) -> list[str]:
    sent = statements_of(action, r"(?s)FROM messages\b.*external_id")
    assert sent, "no look-up by external id was sent"
    return plans(sent)


def test_threading_by_message_id_reads_the_partial_index(db, department):
    department("General")
    _ticket(db)
    for plan in _plans_of(lambda: intake._by_references(["<a@mail.example>", "<b@mail.example>"])):
        assert INDEX in plan, plan


def test_the_migration_keeps_every_message_its_search_and_its_guarantee(app, db, department):
    department("General")
    ticket = _ticket(db)
    ticket_id = ticket.id
    db.session.remove()
    directory = str(app.config["MIGRATIONS_DIR"])
    try:
        downgrade(directory=directory, revision="0015")
        constraints = {c["name"] for c in inspect(db.engine).get_unique_constraints("messages")}
        assert INDEX in constraints  # the old whole-table constraint is back
    finally:
        upgrade(directory=directory)

    indexes = {i["name"]: i for i in inspect(db.engine).get_indexes("messages")}
    assert indexes[INDEX]["unique"]
    where = indexes[INDEX]["dialect_options"]
    assert "external_id IS NOT NULL" in str(
        where.get("sqlite_where", where.get("postgresql_where"))
    )
    assert INDEX not in {c["name"] for c in inspect(db.engine).get_unique_constraints("messages")}

    ticket = db.session.get(Ticket, ticket_id)
    assert [m.body for m in ticket.messages] == ["Friji haipoi kabisa."]
    lifecycle.add_customer_message(
        ticket, body="Bado inavuja maji.", channel=Channel.SMS, external_id="SM" + "2" * 32
    )
    db.session.commit()  # the full-text triggers, made again with the table, index new words

    def found(words: str) -> list[int]:
        return sorted(
            {
                i
                for q in fulltext.tickets_with_words(tuple(words.split()))
                for i in db.session.scalars(q)
            }
        )

    assert found("haipoi") == [ticket_id] and found("inavuja") == [ticket_id]
    lifecycle.add_customer_message(
        ticket, body="A retried webhook", channel=Channel.SMS, external_id="SM" + "2" * 32
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
