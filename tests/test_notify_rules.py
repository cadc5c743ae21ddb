"""The notify rules, to the row: the loop guard and hourly cap (ticketing/loop_guard.py) and the
re-wording of a held status update at send time (ticketing/updates.py).

No project conftest (`make mutate` runs these with --noconftest): the module builds its own app
on a throwaway SQLite file (db.create_all), inserts Outbox, Ticket, Customer, Department, User
and Event rows directly and calls the functions. Nothing here goes through notify.customer or
anything else that enqueues an RQ job, so no Redis is needed. The clock is frozen at
Tuesday 2 June 2026 10:00 UTC.
"""

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from ticketing import create_app, hours, loop_guard, updates
from ticketing.extensions import db
from ticketing.models import (
    Customer,
    Department,
    Event,
    MessageTemplate,
    Outbox,
    Ticket,
    User,
)
from ticketing.models.enums import Category, Channel, Language, OutboxStatus, Status

NOW = datetime(2026, 6, 2, 10, 0)
PHONE = "+254700000001"
CAP = "automatic message cap reached"
REPEATED = "same automatic message sent twice to this address within minutes (loop guard)"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    path = tmp_path_factory.mktemp("notify_rules") / "notify.db"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "notify-rules",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "SQLALCHEMY_ENGINE_OPTIONS": {},
            "TIMEZONE": "Africa/Nairobi",
            "AUTO_MESSAGES_PER_HOUR": 5,
            "PUBLIC_BASE_URL": "https://help.example",
        }
    )
    with app.app_context():
        db.create_all()
    return app


@pytest.fixture(autouse=True)
def context(app):
    """An app context per test, the clock frozen; nothing is committed (rows are only flushed),
    so the rollback afterwards leaves every table empty for the next test."""
    with app.app_context(), hours.frozen(NOW):
        yield
        db.session.rollback()


def sent(ago: timedelta = timedelta(minutes=1), **fields) -> Outbox:
    """An automatic SMS to PHONE created `ago` before NOW."""
    defaults = {
        "channel": Channel.SMS,
        "kind": "received",
        "recipient": PHONE,
        "body": "We got your message.",
        "is_automatic": True,
        "status": OutboxStatus.SENT,
        "created_at": NOW - ago,
    }
    row = Outbox(**(defaults | fields))
    db.session.add(row)
    db.session.flush()
    return row


def staff_user() -> User:
    user = User(id=9, email="agent@fuatilia.test", name="Amina Otieno", password_hash="x")
    db.session.add(user)
    db.session.flush()
    return user


# -- the hourly cap ------------------------------------------------------------------------------


def kinds(n: int, **fields) -> None:
    """n automatic messages to PHONE in the last hour, each of another kind (no repetition)."""
    for i in range(n):
        sent(kind=f"kind{i}", **fields)


def test_the_cap_allows_four_and_stops_the_fifth_capped_message():
    kinds(4)
    assert loop_guard.guard(PHONE, "satisfaction", None, capped=True) is None
    sent(kind="kind4")
    assert loop_guard.guard(PHONE, "satisfaction", None, capped=True) == CAP


def test_answers_are_never_capped():
    kinds(7)
    assert loop_guard.guard(PHONE, "status", "Your ticket is open.", capped=False) is None


def test_suppressed_rows_do_not_count_against_the_cap():
    kinds(4)
    for i in range(5):
        sent(kind=f"other{i}", status=OutboxStatus.SUPPRESSED)
    assert loop_guard.guard(PHONE, "satisfaction", None, capped=True) is None


def test_every_other_status_counts_against_the_cap():
    for i, status in enumerate(
        [OutboxStatus.PENDING, OutboxStatus.QUEUED, OutboxStatus.DELIVERED, OutboxStatus.FAILED]
    ):
        sent(kind=f"kind{i}", status=status)
    sent(kind="kind9", status=OutboxStatus.SENT)
    assert loop_guard.guard(PHONE, "satisfaction", None, capped=True) == CAP


def test_the_cap_counts_the_last_hour_inclusive():
    kinds(4)
    sent(timedelta(hours=1), kind="at_the_edge")
    assert loop_guard.guard(PHONE, "satisfaction", None, capped=True) == CAP


def test_the_cap_forgets_what_is_older_than_an_hour():
    kinds(4)
    sent(timedelta(hours=1, seconds=1), kind="just_before")
    sent(timedelta(minutes=90), kind="long_before")
    assert loop_guard.guard(PHONE, "satisfaction", None, capped=True) is None


def test_the_cap_counts_only_this_address_and_only_automatic_messages():
    kinds(4)
    kinds(3, recipient="+254700000002")
    sent(kind="reply", is_automatic=False)
    sent(kind="reply2", is_automatic=False)
    assert loop_guard.guard(PHONE, "satisfaction", None, capped=True) is None


def test_the_cap_comes_from_the_config(app):
    app.config["AUTO_MESSAGES_PER_HOUR"] = 1
    try:
        assert loop_guard.guard(PHONE, "satisfaction", None, capped=True) is None
        sent(kind="kind0")
        assert loop_guard.guard(PHONE, "satisfaction", None, capped=True) == CAP
    finally:
        app.config["AUTO_MESSAGES_PER_HOUR"] = 5


def test_the_cap_is_named_before_the_loop_guard():
    kinds(3)
    sent(kind="satisfaction")
    sent(kind="satisfaction")
    assert loop_guard.guard(PHONE, "satisfaction", None, capped=True) == CAP
    assert loop_guard.guard(PHONE, "satisfaction", None, capped=False) == REPEATED


# -- the repetition guard ------------------------------------------------------------------------


def test_a_second_copy_goes_and_the_third_is_suppressed():
    assert loop_guard.guard(PHONE, "received", None, capped=False) is None
    sent()
    assert loop_guard.guard(PHONE, "received", None, capped=False) is None
    sent()
    assert loop_guard.guard(PHONE, "received", None, capped=False) == REPEATED


def test_suppressed_copies_count_so_a_loop_stays_stopped():
    sent(status=OutboxStatus.SUPPRESSED)
    sent(status=OutboxStatus.SUPPRESSED)
    assert loop_guard.guard(PHONE, "received", None, capped=False) == REPEATED


def test_the_repeat_window_is_fifteen_minutes_inclusive():
    sent(timedelta(minutes=15))
    sent(timedelta(minutes=14))
    assert loop_guard.guard(PHONE, "received", None, capped=False) == REPEATED


def test_copies_older_than_the_window_are_forgotten():
    sent(timedelta(minutes=15, seconds=1))
    sent(timedelta(minutes=40))
    sent(timedelta(minutes=1))
    assert loop_guard.guard(PHONE, "received", None, capped=False) is None


def test_other_kinds_other_addresses_and_staff_alerts_are_not_copies():
    user = staff_user()
    sent(kind="waiting")
    sent(kind="resolved")
    sent(recipient="+254700000002")
    sent(recipient="+254700000002")
    sent(user_id=user.id)
    sent(user_id=user.id)
    sent(is_automatic=False)
    sent(is_automatic=False)
    sent()
    assert loop_guard.guard(PHONE, "received", None, capped=False) is None


def test_outside_a_ticket_only_the_same_text_is_a_copy():
    sent(kind="status", body="T-1 is open.", ticket_id=None)
    sent(kind="status", body="T-2 is open.", ticket_id=None)
    assert loop_guard.guard(PHONE, "status", "T-3 is open.", capped=False) is None
    assert loop_guard.guard(PHONE, "status", "T-1 is open.", capped=False) is None
    sent(kind="status", body="T-1 is open.", ticket_id=None)
    assert loop_guard.guard(PHONE, "status", "T-1 is open.", capped=False) == REPEATED
    # without a text to compare, the kind alone decides
    assert loop_guard.guard(PHONE, "status", None, capped=False) == REPEATED


def test_consent_confirmations_are_never_dropped_as_repeats():
    for _ in range(3):
        sent(kind="opted_in", body="You will get SMS again.")
    assert loop_guard.guard(PHONE, "opted_in", "You will get SMS again.", capped=False) is None


def test_the_repeat_limit_is_read_from_the_module(monkeypatch):
    monkeypatch.setattr(loop_guard, "REPEAT_LIMIT", 1)
    assert loop_guard.guard(PHONE, "received", None, capped=False) is None
    sent()
    assert loop_guard.guard(PHONE, "received", None, capped=False) == REPEATED


def test_nothing_sent_means_nothing_to_guard():
    assert loop_guard.guard(PHONE, "received", None, capped=True) is None
    assert loop_guard.guard(PHONE, "received", "text", capped=False) is None


# -- updates: which state a held update tells ---------------------------------------------------


def plain(**fields) -> SimpleNamespace:
    return SimpleNamespace(**({"category": Category.GENERAL, "assignee": None} | fields))


@pytest.mark.parametrize(
    "status, category, assignee, held, expected",
    [
        (Status.CLOSED, Category.GENERAL, None, [], "closed"),
        (Status.CLOSED, Category.AFTER_SALE, "x", ["assigned"], "closed"),
        (Status.RESOLVED, Category.AFTER_SALE, None, [], "confirm_fix"),
        (Status.RESOLVED, Category.GENERAL, None, ["reopened"], "resolved"),
        (Status.PENDING_CUSTOMER, Category.GENERAL, "x", ["assigned"], "waiting"),
        (Status.OPEN, Category.GENERAL, "x", ["waiting", "assigned"], "assigned"),
        (Status.OPEN, Category.GENERAL, None, ["assigned", "reopened"], "reopened"),
        (Status.OPEN, Category.GENERAL, None, ["assigned"], None),
        (Status.OPEN, Category.GENERAL, "x", ["reopened"], "reopened"),
        (Status.OPEN, Category.GENERAL, "x", ["waiting"], None),
        (Status.NEW, Category.GENERAL, None, [], None),
    ],
)
def test_update_kind(status, category, assignee, held, expected):
    ticket = plain(status=status, category=category, assignee=assignee)
    assert updates.update_kind(ticket, held) == expected


# -- updates: what the customer last heard -----------------------------------------------------


def a_ticket(status=Status.OPEN, *, language=Language.EN, **fields) -> Ticket:
    department = db.session.get(Department, 1) or Department(id=1, name="Billing")
    person = db.session.get(Customer, 1) or Customer(
        id=1, name="Wanjiru", email="wanjiru@example.com", phone=PHONE, language=language
    )
    ticket = Ticket(
        subject="Router down",
        customer=person,
        department=department,
        status=status,
        channel=Channel.EMAIL,
        **fields,
    )
    db.session.add(ticket)
    db.session.flush()
    return ticket


def notice(ticket: Ticket, kind: str, status=OutboxStatus.SENT, **fields) -> Outbox:
    return sent(
        kind=kind,
        status=status,
        ticket_id=ticket.id,
        channel=Channel.EMAIL,
        recipient="wanjiru@example.com",
        **fields,
    )


def test_nothing_heard_yet():
    assert updates.last_heard(a_ticket()) is None


@pytest.mark.parametrize(
    "kind, expected",
    [
        ("received", Status.OPEN),
        ("assigned", Status.OPEN),
        ("reopened", Status.OPEN),
        ("waiting", Status.PENDING_CUSTOMER),
        ("pending_reminder", Status.PENDING_CUSTOMER),
        ("resolved", Status.RESOLVED),
        ("confirm_fix", Status.RESOLVED),
        ("confirm_reminder", Status.RESOLVED),
        ("closed", Status.CLOSED),
        ("closed_auto", Status.CLOSED),
        ("closed_no_reply", Status.CLOSED),
        ("closed_silence", Status.CLOSED),
        ("confirmed_fixed", Status.CLOSED),
    ],
)
def test_each_notice_tells_a_state(kind, expected):
    ticket = a_ticket()
    notice(ticket, kind)
    assert updates.last_heard(ticket) == expected


def test_the_latest_handed_over_notice_of_this_ticket_counts():
    ticket = a_ticket()
    other = a_ticket()
    user = staff_user()
    notice(ticket, "waiting")
    notice(ticket, "resolved", status=OutboxStatus.QUEUED)
    notice(ticket, "closed", status=OutboxStatus.PENDING)
    notice(ticket, "closed", status=OutboxStatus.FAILED)
    notice(ticket, "closed", status=OutboxStatus.SUPPRESSED)
    notice(ticket, "reply")  # an agent's words tell no state
    notice(ticket, "closed", user_id=user.id)  # a staff alert about the ticket
    notice(other, "closed")
    assert updates.last_heard(ticket) == Status.RESOLVED
    notice(ticket, "confirm_fix", status=OutboxStatus.DELIVERED)
    notice(ticket, "waiting", status=OutboxStatus.SENT)
    assert updates.last_heard(ticket) == Status.PENDING_CUSTOMER


def test_the_row_being_sent_is_left_out():
    ticket = a_ticket()
    notice(ticket, "received")
    row = notice(ticket, "waiting", id=5)
    assert updates.last_heard(ticket) == Status.PENDING_CUSTOMER
    assert updates.last_heard(ticket, exclude_id=row.id) == Status.OPEN


def test_without_exclusion_row_one_counts():
    ticket = a_ticket()
    notice(ticket, "waiting", id=1)
    assert updates.last_heard(ticket) == Status.PENDING_CUSTOMER
    assert updates.last_heard(ticket, exclude_id=None) == Status.PENDING_CUSTOMER


# -- updates: the close reason -------------------------------------------------------------------


def status_event(ticket: Ticket, data) -> None:
    db.session.add(Event(ticket_id=ticket.id, kind="status", data=data))
    db.session.flush()


def test_the_reason_of_the_latest_close():
    ticket = a_ticket(Status.CLOSED)
    status_event(ticket, {"new": "closed", "reason": "duplicate"})
    status_event(ticket, {"new": "closed", "reason": "customer asked"})
    db.session.add(Event(ticket_id=ticket.id, kind="note", data={"new": "x", "reason": "no"}))
    other = a_ticket(Status.CLOSED)
    status_event(other, {"new": "closed", "reason": "other ticket"})
    assert updates._close_reason(ticket) == "customer asked"


def test_no_reason_when_there_is_none():
    ticket = a_ticket(Status.CLOSED)
    assert updates._close_reason(ticket) == ""
    status_event(ticket, {"new": "closed"})
    assert updates._close_reason(ticket) == ""
    status_event(ticket, None)
    assert updates._close_reason(ticket) == ""


def test_no_reason_when_the_latest_status_change_was_not_a_close():
    ticket = a_ticket(Status.CLOSED)
    status_event(ticket, {"new": "closed", "reason": "old"})
    status_event(ticket, {"new": "resolved", "reason": "fixed the cable"})
    assert updates._close_reason(ticket) == ""


# -- updates: the held row at send time ---------------------------------------------------------


def held(ticket: Ticket, kinds, **fields) -> Outbox:
    return notice(
        ticket,
        kinds[-1],
        status=OutboxStatus.PENDING,
        combines=kinds,
        subject="old subject",
        body="old body",
        html="old html",
        **fields,
    )


def reload(row: Outbox) -> Outbox:
    db.session.expire_all()
    return db.session.get(Outbox, row.id)


def test_a_row_that_is_no_status_update_is_left_alone():
    ticket = a_ticket(Status.CLOSED)
    row = notice(ticket, "reply", status=OutboxStatus.PENDING, subject="s", html="h")
    assert updates.refresh_held_update(row) is None
    row = reload(row)
    assert (row.kind, row.subject, row.body, row.html) == (
        "reply",
        "s",
        "We got your message.",
        "h",
    )


def test_a_row_without_a_ticket_is_left_alone():
    row = sent(kind="status", status=OutboxStatus.PENDING, combines=["waiting"])
    assert updates.refresh_held_update(row) is None
    assert reload(row).kind == "status"


def test_a_held_waiting_update_says_closed_when_the_ticket_closed_meanwhile():
    ticket = a_ticket(Status.CLOSED)
    status_event(ticket, {"new": "closed", "reason": "customer asked"})
    notice(ticket, "received")
    row = held(ticket, ["waiting"])
    assert updates.refresh_held_update(row) is None
    row = reload(row)
    assert row.kind == "closed"
    assert row.subject == f"[{ticket.reference}] Closed: Router down"
    assert row.body == (
        f"Hello,\n\n{ticket.reference} (Router down) is closed. (customer asked) "
        "Reply to this email if you need us again."
    )
    assert "(customer asked)" in row.html and ticket.reference in row.html
    assert row.combines == ["waiting"]


def test_the_words_follow_the_customer_language_now():
    ticket = a_ticket(Status.CLOSED, language=Language.SW)
    row = held(ticket, ["resolved"])
    assert updates.refresh_held_update(row) is None
    row = reload(row)
    assert row.subject == f"[{ticket.reference}] Imefungwa: Router down"


def test_on_sms_the_update_has_no_subject_or_html():
    ticket = a_ticket(Status.RESOLVED)
    row = sent(
        kind="waiting",
        status=OutboxStatus.PENDING,
        ticket_id=ticket.id,
        combines=["waiting", "resolved"],
        subject="old",
        html="old",
    )
    assert updates.refresh_held_update(row) is None
    row = reload(row)
    assert (row.kind, row.subject, row.html) == ("resolved", "", "")
    assert row.body.startswith(f"{ticket.reference} is resolved.")


def test_nothing_new_when_the_customer_already_heard_that_state():
    ticket = a_ticket(Status.PENDING_CUSTOMER)
    notice(ticket, "waiting")
    row = held(ticket, ["resolved", "waiting"])
    assert (
        updates.refresh_held_update(row)
        == "nothing new: the customer last heard the ticket was Waiting for customer"
    )
    assert reload(row).body == "old body"


def test_a_new_ticket_reads_as_open():
    ticket = a_ticket(Status.NEW, assignee=staff_user())
    notice(ticket, "received")
    row = held(ticket, ["reopened"])
    assert (
        updates.refresh_held_update(row)
        == "nothing new: the customer last heard the ticket was Open"
    )


def test_nothing_new_when_an_open_ticket_has_nothing_to_tell():
    ticket = a_ticket(Status.OPEN)
    notice(ticket, "waiting")
    row = held(ticket, ["waiting"])
    assert (
        updates.refresh_held_update(row)
        == "nothing new: the customer last heard the ticket was Open"
    )


def test_an_assignment_goes_even_when_the_state_is_unchanged():
    ticket = a_ticket(Status.OPEN, assignee=staff_user())
    notice(ticket, "received")
    row = held(ticket, ["assigned"])
    assert updates.refresh_held_update(row) is None
    row = reload(row)
    assert row.kind == "assigned"
    assert row.subject == f"[{ticket.reference}] Amina Otieno is handling your request"


def test_the_row_itself_is_not_what_the_customer_heard():
    ticket = a_ticket(Status.RESOLVED)
    notice(ticket, "waiting")
    row = held(ticket, ["resolved"], id=50)
    row.status = OutboxStatus.QUEUED  # say a retry after the provider accepted it once
    db.session.flush()
    assert updates.refresh_held_update(row) is None
    assert reload(row).body.startswith("Hello,")


def test_an_admin_wording_sees_the_customer_and_a_reason_only_on_a_close():
    """The standard templates of other kinds ignore `reason`; an admin's wording may not."""
    db.session.add(
        MessageTemplate(
            kind="resolved",
            language="en",
            channel=Channel.EMAIL,
            subject="Resolved for {{ customer.name }}",
            body="Dear {{ customer.name }}: [{{ reason }}]",
        )
    )
    ticket = a_ticket(Status.RESOLVED)
    status_event(ticket, {"new": "closed", "reason": "SHOULD NOT SHOW"})
    row = held(ticket, ["waiting"])
    assert updates.refresh_held_update(row) is None
    row = reload(row)
    assert (row.kind, row.subject, row.body) == (
        "resolved",
        "Resolved for Wanjiru",
        "Dear Wanjiru: []",
    )
