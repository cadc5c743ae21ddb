"""The one place the tests share plain helpers (no fixtures, no tests: those live in conftest.py
and the test_*.py modules): constants, the customer's pretend phone, builders and small queries.

Test modules `from harness import ...`; fixtures built on these live in conftest.py."""

import importlib.util
import re
import struct
import threading
import zlib
from contextlib import contextmanager
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

from fakes.twilio_stub import inbound_sms_params, sign
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from werkzeug.serving import make_server

from ticketing import answers, chases, hours, intake, lifecycle, live, promises
from ticketing.channels import Inbound
from ticketing.extensions import db
from ticketing.models import CharterTarget, Customer, InboundRaw, Message, Outbox, Ticket
from ticketing.models.enums import Category, Channel, FollowUpStep, Priority, Role

PASSWORD = "correct horse battery"  # every member of staff the `staff` fixture makes
# What a customer types into /support (Amina's story); tests change one field at a time.
SUPPORT_FORM = {
    "name": "Amina Hassan",
    "phone": "0712 345 678",
    "email": "",
    "category": "delivery",
    "subject": "Delivery is late",
    "description": "My delivery to Kisumu is 5 days late.",
    "language": "en",
}


TZ = "Africa/Nairobi"


def eat(*fields) -> datetime:
    """A Nairobi wall-clock time (East Africa Time) as the naive UTC the system stores."""
    return hours.local_to_utc(datetime(*fields), TZ)


MONDAY_10_NAIROBI = datetime(2026, 11, 23, 7, 0)  # naive UTC

# --- SMS ---------------------------------------------------------------------------------------

OUR_NUMBER = "+254700000100"  # TWILIO_FROM in the test configuration
SERVICE_SID = "MG" + "5e" * 16
WEBHOOK = "/webhooks/twilio/sms"
STATUS = "/webhooks/twilio/status"
CUSTOMER = "+254712345678"


class Phone:
    """A customer's phone: texts reach the webhook signed exactly as Twilio signs them, and
    (given the Twilio stub) what we send it arrives at the stub."""

    def __init__(
        self,
        client,
        number: str,
        *,
        base_url: str = "http://fuatilia.test",
        token: str | None = None,
        twilio=None,
    ):
        self.client, self.number, self.base_url = client, number, base_url
        self.token = token or client.application.config["TWILIO_AUTH_TOKEN"]
        self.twilio = twilio

    def params(self, body: str, **fields) -> dict:
        return inbound_sms_params(from_=self.number, to=OUR_NUMBER, body=body, **fields)

    def post(
        self,
        params: dict,
        *,
        path: str = WEBHOOK,
        signed_url: str | None = None,
        headers: dict | None = None,
        signature: str | None = None,
        **options,
    ):
        url = signed_url or self.base_url + path
        headers = {
            "X-Twilio-Signature": sign(url, params, self.token) if signature is None else signature
        } | (headers or {})
        return self.client.post(path, data=params, headers=headers, **options)

    def text(self, body: str, **fields):
        response = self.post(self.params(body, **fields))
        assert response.status_code == 200, response.data
        return response

    def texts(self, body: str) -> None:
        self.text(body)

    def received(self) -> list[str]:
        """What the Twilio stub has delivered to this phone."""
        return self.twilio.sent_to(self.number)


def seen(ticket) -> str:
    """The version a freshly loaded ticket page puts in its reply, note and status forms
    (`seen`): without it the post is refused with what changed (HTTP 409)."""
    return str(live.newest_event_id(ticket))


def tiny_png() -> bytes:
    """A real 2x2 red PNG that a browser decodes, built here so no binary file is committed."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    rows = (b"\x00" + b"\xff\x00\x00" * 2) * 2  # each row: filter byte, then RGB pixels
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + (chunk(b"IEND", b""))
    )


def csrf_token(client, path: str) -> str:
    """The form token on the page at `path`, for this client's session."""
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def signed_in_with_csrf(app, user):
    """A client of `app` (made with CSRF on) signed in as `user`."""
    client = app.test_client()
    signed = {"email": user.email, "password": PASSWORD}
    token = csrf_token(client, "/auth/login")
    assert client.post("/auth/login", data=signed | {"csrf_token": token}).status_code == 302
    return client


def counts() -> dict:
    """How many rows of each kind the database holds now."""
    db.session.expire_all()
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in (InboundRaw, Message, Ticket, Outbox, Customer)
    }


def raw_rows() -> list[InboundRaw]:
    db.session.expire_all()
    return db.session.scalars(select(InboundRaw).order_by(InboundRaw.id)).all()


def newest_ticket() -> Ticket | None:
    db.session.expire_all()
    return db.session.scalar(select(Ticket).order_by(Ticket.id.desc()).limit(1))


def outbox_rows(**where) -> list[Outbox]:
    db.session.expire_all()
    query = select(Outbox).filter_by(**where).order_by(Outbox.id)
    return db.session.scalars(query).all()


@contextmanager
def serving(app):
    """Serve `app` over real HTTP on 127.0.0.1 (threaded); yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def sms_ticket(department, staff, *, acknowledge: bool = True) -> tuple:
    """An agent and an SMS ticket from CUSTOMER, committed: (agent, ticket)."""
    agent = staff("otieno", departments=[department("General")])
    person = Customer(name="Wanjiku", phone=CUSTOMER)
    db.session.add(person)
    ticket = lifecycle.open_ticket(
        person, subject="", body="Friji haipoi", channel=Channel.SMS, acknowledge=acknowledge
    )
    db.session.commit()
    return agent, ticket


# --- Email -------------------------------------------------------------------------------------

CORPUS = Path(__file__).parent / "corpus" / "email"
BRIAN = "brian.otieno@gmail.example"


def brian_writes(subject="Charged twice for my order", body=None, **headers) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Brian Otieno <{BRIAN}>"
    message["To"] = "Fuatilia Support <support@fuatilia.test>"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="mail.gmail.example")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body or "I was charged twice, KES 4,500 each. M-Pesa code SC73KQ9XYZ.")
    return message


def reply_to(received: EmailMessage, text: str, **headers) -> EmailMessage:
    """What Brian's mail program sends when he answers `received` above the quote."""
    quoted = "\n".join(
        f"> {line}" if line else ">"
        for line in received.get_body(("plain",)).get_content().splitlines()
    )
    references = f"{received['References'] or ''} {received['Message-ID']}".strip()
    return brian_writes(
        subject=f"Re: {received['Subject']}",
        body=f"{text}\n\nOn Mon, 23 Nov 2026 at 10:05, Fuatilia Support "
        f"<support@fuatilia.test> wrote:\n\n{quoted}\n",
        In_Reply_To=received["Message-ID"],
        References=references,
        **headers,
    )


def count(db, column, *where) -> int:
    return db.session.scalar(select(func.count(column)).where(*where))


def oversized_message(size: int) -> bytes:
    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.oversized_message(size)


# --- The reports' hand-built week (told in test_reports.py's docstring) ------------------------

WEEKDAYS = {str(day): ["08:00", "17:00"] for day in range(5)}  # no Saturday hours
WEEK = {"period": "custom", "from": "2026-10-16", "to": "2026-10-22"}
NOW = "2026-10-22 14:00"


def local(text: str) -> datetime:
    return hours.local_to_utc(datetime.fromisoformat(text), "Africa/Nairobi")


def targets(first_response: int, resolution: int) -> list[CharterTarget]:
    """Normal priority gets these; high half of them, urgent a quarter, low double."""
    scale = {Priority.LOW: 2, Priority.NORMAL: 1, Priority.HIGH: 0.5, Priority.URGENT: 0.25}
    return [
        CharterTarget(
            priority=p,
            first_response_minutes=int(first_response * f),
            resolution_minutes=int(resolution * f),
        )
        for p, f in scale.items()
    ]


class Week:
    """Runs the week's story: at() moves the clock; each step is committed as a view would."""

    def __init__(self, db, clock, run_jobs):
        self.db, self.clock, self.run_jobs, self.t = db, clock, run_jobs, {}

    def at(self, when: str) -> None:
        self.clock.set(local(when))

    def open(self, key, when, department, channel, customer, category=Category.GENERAL):
        self.at(when)
        self.t[key] = lifecycle.open_ticket(
            customer,
            subject=f"{key} trouble",
            body="Help",
            channel=channel,
            category=category,
            department=department,
        )
        self.db.session.commit()
        return self.t[key]

    def do(self, when: str, action, *args, **kwargs):
        self.at(when)
        result = action(*args, **kwargs)
        self.db.session.commit()
        return result

    def deliver(self, when: str) -> None:
        """At `when` the workers hand over what is owed by then (a digit the customer sends
        later answers only a question that was sent)."""
        from workers.sweep import sweep_stuck

        self.at(when)
        sweep_stuck()
        self.run_jobs()

    def texts(self, when: str, customer: Customer, text: str) -> None:
        self.do(
            when,
            intake.receive,
            Inbound(
                channel=Channel.SMS, sender=customer.phone, text=text, external_id=f"SM{when}{text}"
            ),
        )

    def step(self, ticket, step: FollowUpStep, expected_at: str) -> None:
        """Carry out the follow-up step the ticket has planned, checking what and when."""
        assert (ticket.follow_up_step, ticket.next_follow_up_at) == (step, local(expected_at))
        self.do(expected_at, chases.follow_up, ticket)


def people(db, count: int, channel: Channel) -> list[Customer]:
    made = [
        Customer(name=f"Customer {n}", phone=f"+2547120000{n:02d}")
        if channel == Channel.SMS
        else Customer(name=f"Customer {n}", email=f"customer{n}@example.co.ke")
        for n in range(count)
    ]
    db.session.add_all(made)
    db.session.commit()
    return made


def build_week(app, db, department, staff, clock, run_jobs, twilio, monkeypatch):
    """The week of the reports' story, every ticket made at its moment (see test_reports.py)."""
    clock.set(local("2026-10-15 07:00"))
    grace = staff("grace", role=Role.SUPERVISOR)
    billing = department(
        "Billing", working_hours=WEEKDAYS, targets=targets(240, 960), supervisor=grace
    )
    after = department(
        "After-sales service", working_hours=WEEKDAYS, targets=targets(120, 600), supervisor=grace
    )
    kamau, otieno = staff("kamau", departments=[billing]), staff("otieno", departments=[after])
    w, t = Week(db, clock, run_jobs), None
    sms, mail = people(db, 6, Channel.SMS), people(db, 5, Channel.EMAIL)
    twilio.clear()
    monkeypatch.setitem(app.config, "SMS_BACKEND", "twilio")
    monkeypatch.setitem(app.config, "TWILIO_API_BASE", twilio.base_url)
    twilio.script(sms[2].phone, ("http", 400, 21211, "The 'To' number is not a valid number"))
    t = w.t
    w.open("T0", "2026-10-15 10:00", billing, Channel.EMAIL, mail[0])
    w.do("2026-10-15 11:00", lifecycle.reply, t["T0"], by=kamau, body="Looking")
    w.do("2026-10-16 10:00", lifecycle.resolve, t["T0"], by=kamau)

    w.open("T6", "2026-10-15 09:00", after, Channel.SMS, sms[5], Category.AFTER_SALE)
    w.do("2026-10-15 10:00", lifecycle.reply, t["T6"], by=otieno, body="Coming")
    w.do("2026-10-15 12:00", lifecycle.resolve, t["T6"], by=otieno)
    w.step(t["T6"], FollowUpStep.CONFIRM_REMINDER, "2026-10-17 12:00")
    w.step(t["T6"], FollowUpStep.CONFIRM_CLOSE, "2026-10-20 12:00")

    w.open("T11", "2026-10-16 08:00", billing, Channel.EMAIL, mail[1], Category.BILLING)
    w.do("2026-10-16 16:00", lifecycle.reply, t["T11"], by=kamau, body="Checking")
    w.do("2026-10-21 10:00", lifecycle.resolve, t["T11"], by=kamau)
    w.do("2026-10-21 10:30", lifecycle.close, t["T11"], by=kamau)
    w.step(t["T11"], FollowUpStep.SATISFACTION, "2026-10-21 10:35")
    w.do(
        "2026-10-21 11:00",
        answers.rate,
        t["T11"],
        2,
        "Took too long",
        words="2",
        channel=Channel.WEB,
    )

    w.open("T3", "2026-10-16 09:00", billing, Channel.EMAIL, mail[2])
    w.do("2026-10-16 09:30", lifecycle.transfer, t["T3"], after, by=kamau)
    w.do("2026-10-16 14:00", lifecycle.reply, t["T3"], by=otieno, body="On it")
    w.do("2026-10-19 15:00", lifecycle.resolve, t["T3"], by=otieno)

    w.open("T1", "2026-10-16 15:00", after, Channel.SMS, sms[1], Category.AFTER_SALE)
    w.do("2026-10-16 16:00", lifecycle.reply, t["T1"], by=otieno, body="A technician comes")
    promise = w.do(
        "2026-10-16 16:05",
        promises.add_promise,
        t["T1"],
        by=otieno,
        description="Technician visits",
        due_at=local("2026-10-19 10:00"),
    )
    w.do("2026-10-19 09:30", promises.settle_promise, promise, kept=True, by=otieno)
    w.do("2026-10-19 10:00", lifecycle.resolve, t["T1"], by=otieno)
    w.deliver("2026-10-19 10:05")  # "is it fixed?" reaches her
    w.texts("2026-10-19 12:00", sms[1], "1")
    w.step(t["T1"], FollowUpStep.SATISFACTION, "2026-10-19 12:05")
    w.do(
        "2026-10-19 12:30",
        answers.rate,
        t["T1"],
        4,
        "Fundi alikuja mapema",
        words="4",
        channel=Channel.WEB,
    )

    w.open("T4", "2026-10-19 09:00", after, Channel.SMS, sms[4], Category.AFTER_SALE)
    w.do("2026-10-19 09:30", lifecycle.reply, t["T4"], by=otieno, body="Sorry")
    w.do("2026-10-19 11:00", lifecycle.resolve, t["T4"], by=otieno)
    w.deliver("2026-10-19 11:05")
    w.texts("2026-10-19 14:00", sms[4], "2")
    w.do("2026-10-21 10:00", lifecycle.resolve, t["T4"], by=otieno)

    w.open("T2", "2026-10-19 16:00", after, Channel.SMS, sms[2], Category.AFTER_SALE)
    w.do("2026-10-19 16:30", lifecycle.reply, t["T2"], by=otieno, body="Noted")
    w.do("2026-10-21 09:00", lifecycle.resolve, t["T2"], by=otieno)

    w.open("T7", "2026-10-20 09:30", billing, Channel.EMAIL, mail[3], Category.BILLING)
    w.open("T5", "2026-10-20 10:00", billing, Channel.EMAIL, mail[3], Category.BILLING)
    w.do("2026-10-21 09:00", lifecycle.merge, t["T5"], t["T7"], by=kamau)
    w.do("2026-10-21 11:00", lifecycle.reply, t["T7"], by=kamau, body="Which code?")
    w.do("2026-10-21 11:05", lifecycle.set_pending, t["T7"], by=kamau)

    w.open("T10", "2026-10-20 10:00", after, Channel.SMS, sms[3], Category.AFTER_SALE)
    w.do("2026-10-21 08:30", lifecycle.reply, t["T10"], by=otieno, body="Will call")
    w.deliver("2026-10-21 08:31")  # it reached him before his STOP: an answer
    promise = w.do(
        "2026-10-21 08:35",
        promises.add_promise,
        t["T10"],
        by=otieno,
        description="Call back",
        due_at=local("2026-10-21 15:00"),
    )
    w.do("2026-10-21 15:05", promises.settle_promise, promise, kept=False, by=None)
    w.texts("2026-10-21 16:00", sms[3], "STOP")

    w.open("T8", "2026-10-21 10:00", billing, Channel.WEB, mail[4])
    w.open("T9", "2026-10-22 12:30", after, Channel.WEB, sms[0])

    w.at(NOW)
    run_jobs()
    return SimpleNamespace(
        t=t,
        kamau=kamau,
        otieno=otieno,
        grace=grace,
        billing=billing,
        after=after,
        refs={k: v.reference for k, v in t.items()},
    )


class _Text(HTMLParser):
    """A page's words as a person reads them, and the words of each element with an id."""

    def __init__(self):
        super().__init__()
        self.words, self.by_id, self.open_ids = [], {}, []

    def handle_starttag(self, tag, attrs):
        element_id = dict(attrs).get("id")
        self.open_ids.append((tag, element_id))
        if element_id:
            self.by_id.setdefault(element_id, [])

    def handle_endtag(self, tag):
        while self.open_ids and self.open_ids.pop()[0] != tag:
            pass

    def handle_data(self, data):
        self.words.append(data)
        for _, element_id in self.open_ids:
            if element_id:
                self.by_id[element_id].append(data)


def _read(html: str) -> _Text:
    parser = _Text()
    parser.feed(html)
    return parser


def page_text(html: str) -> str:
    """The visible words of a page with white space folded: behaviour tests read what a person
    sees, not the markup around it."""
    return " ".join("".join(_read(html).words).split())


def text_of(html: str, element_id: str) -> str:
    """The words inside the element with this id, folded; "" when there is none."""
    return " ".join("".join(_read(html).by_id.get(element_id, [])).split())


def figures(html: str) -> dict[str, str]:
    """The numbers a page publishes, by their data-key (what a person reads, keyed stably)."""

    class Figures(HTMLParser):
        found: dict[str, str] = {}

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if "data-key" in attrs:
                self.found[attrs["data-key"]] = attrs.get("data-value", "")

    parser = Figures()
    parser.found = {}
    parser.feed(html)
    return parser.found


def statements_of(action, pattern: str) -> list[tuple[str, object]]:
    """The statements matching `pattern` that `action` sends to the database, with their
    parameters (from any engine: the test client's app has its own)."""
    seen = []

    def grab(conn, cursor, statement, params, context, many):
        if not many and re.search(pattern, statement):
            seen.append((statement, params))

    event.listen(Engine, "before_cursor_execute", grab)
    try:
        action()
    finally:
        event.remove(Engine, "before_cursor_execute", grab)
    return seen


def plans(statements) -> list[str]:
    """Each statement's plan as one line of text; on PostgreSQL with sequential scans
    priced out, so that the plan shows whether an index can serve it at all (a handful of
    rows would make any planner read the table)."""
    found = []
    with db.engine.connect() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            connection.exec_driver_sql("SET enable_seqscan = off")
        for statement, params in statements:
            prefix = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
            rows = connection.exec_driver_sql(prefix + statement, params).all()
            found.append(" | ".join(str(row[-1]) for row in rows))
        connection.rollback()
    return found
