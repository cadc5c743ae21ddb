"""The one-writer rules, kept true by reading the source."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [p for p in (ROOT / "ticketing").rglob("*.py") if "migrations" not in p.parts] + list(
    (ROOT / "workers").rglob("*.py")
)


def files_matching(pattern: str) -> set[str]:
    regex = re.compile(pattern)
    return {str(p.relative_to(ROOT)) for p in SOURCES if regex.search(p.read_text())}


def test_only_channels_know_providers():
    providers = files_matching(r"(?m)^\s*(import|from)\s+(twilio|smtplib|imaplib)\b")
    assert all(
        path.startswith("ticketing/channels/") or path == "workers/mail.py" for path in providers
    ), providers


def test_only_config_reads_the_environment():
    readers = {str(p.relative_to(ROOT)) for p in SOURCES if "os.environ" in p.read_text()}
    assert readers <= {"ticketing/devserver.py"}  # it hands the environment to its children


def test_domain_modules_never_commit():
    domain = (
        "ticketing/lifecycle/",
        "ticketing/notify.py",
        "ticketing/intake.py",
        "ticketing/routing.py",
        "ticketing/followup.py",
        "ticketing/charter.py",
    )
    committing = files_matching(r"db\.session\.commit\(")
    assert not [path for path in committing if path.startswith(domain)]


def test_only_channels_speak_twilios_status_language():
    """Twilio's status words, tables from a provider's words to OutboxStatus, and Twilio's
    opt-out code 21610 live in ticketing/channels/; everyone else hears OutboxStatus and
    `opted_out`. (queued, sent, delivered and failed are our own words too.)"""
    import ast

    twilio_words = {
        "accepted",
        "scheduled",
        "sending",
        "undelivered",
        "read",
        "canceled",
        "partially_delivered",
    }
    found = set()
    for path in SOURCES:
        name = str(path.relative_to(ROOT))
        if name.startswith("ticketing/channels/"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and (
                str(node.value).lower() in twilio_words or "21610" in str(node.value)
            ):
                found.add(f"{name}:{node.lineno}: {node.value!r}")
            if (
                isinstance(node, ast.Dict)
                and any(
                    isinstance(v, ast.Attribute) and ast.unparse(v.value) == "OutboxStatus"
                    for v in node.values
                )
                and any(isinstance(k, ast.Constant) for k in node.keys)
            ):
                found.add(f"{name}:{node.lineno}: a table of words to OutboxStatus")
    assert sorted(found) == []


# -- one owning module per record: tests/record_writes.py finds creations and writes in any
# spelling; each rule says which columns, which owners, and each unavoidable exception why.

ROW_NAMES = {  # what the code calls each model's rows (see Record.names)
    "Outbox": r".*outbox.*",
    "InboundRaw": r"raws?|rows?|raw_row|inbound_raw|inbound_row",
    "Customer": r".*(customer|person).*",
    "Ticket": r"tickets?|.*_ticket",
    "Promise": r"promises?",
    "Event": r"events?",
    "Message": r"messages?",
    "IdempotencyKey": r"claims?|.*idempotency.*",
    "AuditEntry": r"entry|entries|audit.*",
    "TicketTag": r"tags?|.*_tags?",
    "CannedResponse": r"(canned_)?responses?|canned|macros?",
    "SavedView": r"(saved_)?views?",
}


PREVIEW = "ticketing/wording.py:sample_context"  # template preview: made up, never added


def record(name: str):
    from record_writes import Record

    from ticketing import models

    return Record(getattr(models, name), ROW_NAMES[name])


def strays(
    name: str, columns: set[str] | None, owners: tuple[str, ...], allowed: tuple[str, ...] = ()
) -> list[str]:
    """Writes of `columns` (None: creating rows) of model `name` outside the `owners` (paths or
    folders) and the `allowed` exceptions ("path" or "path:function")."""
    from record_writes import ANY, scan

    rec = record(name)
    if columns is not None:
        assert columns <= rec.columns, f"not {name} columns: {columns - rec.columns}"
    found = scan(rec, SOURCES, ROOT)
    assert found, f"the scan sees no {name} writes at all"
    used = {w.path for w in found} | {f"{w.path}:{w.function}" for w in found}
    assert set(allowed) <= used, f"stale exceptions: {set(allowed) - used}"
    return [
        str(w)
        for w in found
        if (w.column is None if columns is None else w.column in columns | {ANY})
        and not w.path.startswith(owners)
        and w.path not in allowed
        and f"{w.path}:{w.function}" not in allowed
    ]


def test_the_record_scanner_catches_its_own_cases():
    from record_writes import ANY, CAUGHT, INNOCENT, writes_in

    assert [code for name, code in CAUGHT if not writes_in(record(name), code)] == []
    assert [code for name, code in INNOCENT if writes_in(record(name), code)] == []
    claim = "db.session.execute(update(Ticket).where(x).values(next_follow_up_at=None))"
    assert {w.column for w in writes_in(record("Ticket"), claim)} == {"next_follow_up_at"}
    computed = "db.session.execute(update(Promise).values({column: now}))"
    assert {w.column for w in writes_in(record("Promise"), computed)} == {ANY}


OUTBOX_STATE = {
    "status",
    "attempts",
    "provider_id",
    "error_code",
    "last_error",
    "not_before",
    "claimed_at",
    "sent_at",
    "delivered_at",
}


def test_only_notify_creates_outbox_rows():
    assert strays("Outbox", None, ("ticketing/notify.py",)) == []


def test_only_the_outbox_module_writes_outbox_state():
    """After notify.py has created a row, only ticketing/outbox.py moves it, so one status
    table decides every move."""
    assert (
        strays(
            "Outbox",
            OUTBOX_STATE,
            ("ticketing/outbox.py",),
            allowed=(
                "ticketing/notify.py",  # at creation: suppressed by the cap, held, folded
            ),
        )
        == []
    )  # (seed-demo's backdating now goes through outbox.backdate_delivered)


def test_only_ticketing_inbound_writes_inbound_raw_rows():
    """One owner for dedupe and the done/ignored/failed/retry moves."""
    rec = record("InboundRaw")
    assert strays("InboundRaw", None, ("ticketing/inbound.py",)) == []
    assert strays("InboundRaw", rec.columns, ("ticketing/inbound.py",)) == []


def test_only_customers_module_creates_or_changes_customers():
    """customers.py is where find-or-create is safe."""
    columns = record("Customer").columns - {"id", "created_at", "tickets"}
    assert strays("Customer", None, ("ticketing/customers.py",), (PREVIEW,)) == []
    assert strays("Customer", columns, ("ticketing/customers.py",), (PREVIEW,)) == []


CHARTER = {
    "first_response_due_at",
    "resolution_due_at",
    "due_at",
    "resolution_minutes_left",
    "first_response_business_minutes",
    "resolution_business_minutes",
}
CLAIMED_STEP = {"follow_up_step", "next_follow_up_at"}
LIFECYCLE = (
    CHARTER
    | CLAIMED_STEP
    | {
        "status",
        "status_changed_at",
        "resolved_at",
        "closed_at",
        "assignee",
        "assignee_id",
        "assigned_at",
        "department",
        "department_id",
        "priority",
        "first_response_at",
        "follow_ups_done",
        "merged_into",
        "merged_into_id",
        "reopened_count",
    }
)
TICKET_EXCEPTIONS = (PREVIEW,)


def test_only_lifecycle_moves_a_ticket():
    """Status, assignment, department, priority, charter clocks, follow-up steps, merges and
    reopenings are written by ticketing/lifecycle/ (charter.py computes the due times)."""
    owners = ("ticketing/lifecycle/", "ticketing/charter.py")
    assert strays("Ticket", LIFECYCLE - CLAIMED_STEP, owners, TICKET_EXCEPTIONS) == []
    # the follow-up worker claims a step (next_follow_up_at=None) and puts a failed one back
    assert (
        strays("Ticket", CLAIMED_STEP, (*owners, "workers/followups.py"), TICKET_EXCEPTIONS) == []
    )


def test_only_answers_writes_satisfaction():
    columns = {"satisfaction_score", "satisfaction_comment", "satisfaction_asked_at"}
    assert strays("Ticket", columns, ("ticketing/answers.py",), TICKET_EXCEPTIONS) == []


def test_only_ccs_writes_a_tickets_copies():
    assert strays("Ticket", {"cc_emails"}, ("ticketing/ccs.py",), TICKET_EXCEPTIONS) == []


def test_only_promises_creates_or_settles_promises():
    rec = record("Promise")
    assert strays("Promise", None, ("ticketing/promises.py",), (PREVIEW,)) == []
    assert strays("Promise", rec.columns, ("ticketing/promises.py",), (PREVIEW,)) == []


def test_only_events_creates_events():
    assert strays("Event", None, ("ticketing/events.py",)) == []


def test_only_lifecycle_tags_tickets():
    """lifecycle.tag writes the one event a change of tags needs; no other module adds a row."""
    rec = record("TicketTag")
    owners = ("ticketing/lifecycle/tagging.py",)
    assert strays("TicketTag", None, owners) == []
    assert strays("TicketTag", rec.columns - {"id"}, owners) == []


def test_only_the_conversation_creates_messages():
    assert strays("Message", None, ("ticketing/lifecycle/conversation.py",), (PREVIEW,)) == []


def test_only_idempotency_creates_or_writes_idempotency_keys():
    """ticketing/idempotency.py alone claims, finishes and releases keys, so the replay, 409
    and 422 rules of the Idempotency-Key draft cannot drift apart."""
    rec = record("IdempotencyKey")
    assert strays("IdempotencyKey", None, ("ticketing/idempotency.py",)) == []
    imap_login = "ticketing/channels/imap.py:__init__"  # its self.user is a login, not a row's
    assert strays("IdempotencyKey", rec.columns, ("ticketing/idempotency.py",), (imap_login,)) == []


def test_only_the_audit_module_writes_the_audit_log():
    """An entry is never edited: ticketing/audit.py creates it and nothing writes it after."""
    rec = record("AuditEntry")
    assert strays("AuditEntry", None, ("ticketing/audit.py",)) == []
    assert strays("AuditEntry", rec.columns - {"id"}, ("ticketing/audit.py",)) == []


def test_only_the_canned_module_writes_canned_responses():
    """ticketing/canned.py checks a response's text and sharing before anything keeps it."""
    rec = record("CannedResponse")
    assert strays("CannedResponse", None, ("ticketing/canned.py",)) == []
    assert strays("CannedResponse", rec.columns - {"id"}, ("ticketing/canned.py",)) == []


def test_only_saved_views_creates_or_writes_saved_views():
    rec = record("SavedView")
    assert strays("SavedView", None, ("ticketing/saved_views.py",)) == []
    assert strays("SavedView", rec.columns - {"id"}, ("ticketing/saved_views.py",)) == []
