"""The demo seed: the stories' people and departments, and a few hundred tickets with a
present-day history.

History is played in time order on one simulated clock (hours.frozen): every action of a
person (a customer writing, an agent answering, promising, resolving) happens at its own past
moment, and before it, every scheduler pass that would have run meanwhile runs at the moment
its work fell due (follow-up steps, promise reminders and misses, breach digests, the daily
summaries), and every message owed goes when it would have gone (a held one at the end of
quiet hours), through the console backend so that nothing leaves the machine. So the seed ends
where real use would be now: no step overdue, nothing left to catch up, a few tickets in
breach, and the first real scheduler pass has next to nothing to do.
"""

import heapq
import itertools
import logging
import random
from contextlib import contextmanager
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import event, func, or_, select

from ticketing import answers, charter, customers, hours, lifecycle, promises, queues
from ticketing.extensions import db
from ticketing.models import CharterTarget, Department, Outbox, Promise, RoutingRule, Ticket, User
from ticketing.models.enums import (
    Category,
    Channel,
    Language,
    OutboxStatus,
    Priority,
    PromiseStatus,
    Role,
    Status,
)

PASSWORD = "fuatilia-demo"
TARGETS = {
    Priority.URGENT: (60, 240),
    Priority.HIGH: (120, 480),
    Priority.NORMAL: (240, 960),
    Priority.LOW: (480, 1920),
}
DEPARTMENTS = [
    ("General enquiries", "Anything that fits nowhere else.", True, "", None),
    (
        "Sales",
        "Orders, prices, delivery.",
        False,
        "order, price, quote, deliver, delivery, buy",
        Category.SALES,
    ),
    (
        "After-sales service",
        "Repairs, faults, warranty and installation.",
        False,
        "fridge, friji, jokofu, haipoi, repair, broken, warranty, install, cooling, tv, cooker",
        Category.AFTER_SALE,
    ),
    (
        "Billing",
        "Payments, refunds, M-Pesa, invoices.",
        False,
        "charged, refund, invoice, m-pesa, mpesa, payment, bill, nimelipa",
        Category.BILLING,
    ),
]
STAFF = [
    ("admin@fuatilia.test", "Amani Admin", Role.ADMIN, []),
    ("grace@fuatilia.test", "Grace Wambui", Role.SUPERVISOR, ["After-sales service", "Sales"]),
    ("otieno@fuatilia.test", "Otieno Ouma", Role.AGENT, ["After-sales service"]),
    ("achieng@fuatilia.test", "Achieng Atieno", Role.AGENT, ["After-sales service", "Sales"]),
    ("kamau@fuatilia.test", "Kamau Njoroge", Role.AGENT, ["Billing", "General enquiries"]),
    ("wanjiru@fuatilia.test", "Wanjiru Kariuki", Role.AGENT, ["Sales", "General enquiries"]),
]
SUBJECTS = [
    (Channel.SMS, "Jokofu langu haipoi", Language.SW),
    (Channel.SMS, "Nimelipa mara mbili kwa M-Pesa", Language.SW),
    (Channel.SMS, "My TV has no sound since the repair", Language.EN),
    (Channel.EMAIL, "Charged twice KES 4,500 for order 1182", Language.EN),
    (Channel.EMAIL, "Invoice for October is wrong", Language.EN),
    (Channel.EMAIL, "Quote for 20 office chairs", Language.EN),
    (Channel.WEB, "Delivery to Kisumu is 5 days late", Language.EN),
    (Channel.WEB, "Cooker installation date", Language.EN),
    (Channel.WEB, "Where is my order?", Language.EN),
    (Channel.SMS, "Refund bado sijapata", Language.SW),
]
FIRST_NAMES = [
    "Wanjiku",
    "Brian",
    "Amina",
    "Kevin",
    "Faith",
    "Mercy",
    "John",
    "Aisha",
    "Peter",
    "Esther",
    "Hassan",
    "Njeri",
    "Daniel",
    "Zawadi",
    "Mwangi",
]


HISTORY_DAYS = 45
MAX_PASSES = 100_000  # a guard: the history of a few hundred tickets needs a few thousand
CUSTOMER_HOURS = [7, 8, 9, 9, 10, 10, 11, 12, 13, 14, 15, 16, 17, 19, 20]
PRIORITY_WEIGHTS = {Priority.URGENT: 1, Priority.HIGH: 2, Priority.NORMAL: 6, Priority.LOW: 2}
LATE_ANSWER = 0.07  # share of tickets answered after the first-response target
LATE_RESOLUTION = 0.06  # share resolved after the resolution target


def seed(extra_tickets: int) -> list[tuple[str, str]]:
    rng = random.Random(2026)
    with _offline():
        departments = _departments()
        staff = _staff(departments)
        db.session.commit()
        history = History(hours.now())
        _stories(history, staff)
        for number in range(extra_tickets):
            _random_ticket(history, rng, number, staff)
        history.play()
    return [(email, role.value) for email, _, role, _ in STAFF]


class History:
    """The seed's timeline: people's actions in time order, and between them every scheduler
    pass and every delivery that would have happened, each at its own moment."""

    def __init__(self, now: datetime):
        self.now = now
        self.clock = now - timedelta(days=HISTORY_DAYS + 1)
        self._actions: list = []
        self._order = itertools.count()

    def at(self, moment: datetime, action) -> None:
        """Do `action` at `moment`; what would happen after now has not happened yet."""
        if moment < self.now:
            heapq.heappush(self._actions, (moment, next(self._order), action))

    def play(self) -> None:
        while self._actions:
            moment, _, action = heapq.heappop(self._actions)
            self.run_until(moment)
            self.clock = max(self.clock, moment)
            with hours.frozen(self.clock):
                action()
                db.session.commit()
                _deliver_due(self.clock)
        self.run_until(self.now)

    def run_until(self, until: datetime) -> None:
        """Run the scheduler passes that fall due up to `until`, each when its work is due."""
        from workers.followups import run_due_followups

        for _ in range(MAX_PASSES):
            moment = self._next_due(until)
            if moment is None:
                return
            self.clock = moment
            with hours.frozen(moment):
                run_due_followups(moment.isoformat(), inline=True)
                _deliver_due(moment)
        raise RuntimeError("the demo history does not settle")  # pragma: no cover

    def _next_due(self, until: datetime) -> datetime | None:
        """The earliest moment up to `until` at which a pass or a delivery has work."""
        step = db.session.scalar(
            select(func.min(Ticket.next_follow_up_at)).where(Ticket.next_follow_up_at <= until)
        )
        held = db.session.scalar(
            select(func.min(Outbox.not_before)).where(
                Outbox.status == OutboxStatus.PENDING,
                Outbox.not_before > self.clock,
                Outbox.not_before <= until,
            )
        )
        checks = []
        for due_at, reminded_at in db.session.execute(
            select(Promise.due_at, Promise.reminded_at).where(
                Promise.status == PromiseStatus.OPEN,
                Promise.due_at <= until + timedelta(hours=1),
            )
        ):
            if reminded_at is None and due_at > self.clock:
                checks.append(due_at - timedelta(hours=1))
            elif due_at <= until:
                checks.append(due_at)
        db.session.rollback()
        found = [moment for moment in (step, held, *checks) if moment is not None]
        return max(min(found), self.clock) if found else None


@contextmanager
def _offline():
    """While the history plays: messages go to the console backend (nothing leaves the machine,
    whatever the configuration), the console keeps quiet, and nothing is handed to Redis (the
    seed delivers its history itself; seeding needs no worker)."""
    config = current_app.config
    backends = config["SMS_BACKEND"], config["MAIL_BACKEND"]
    relay = queues.enqueue_now
    console = logging.getLogger("fuatilia.console")
    level = console.level
    config["SMS_BACKEND"] = config["MAIL_BACKEND"] = "console"
    queues.enqueue_now = lambda *args, **options: True
    console.setLevel(logging.WARNING)
    try:
        with _fast_commits():
            yield
    finally:
        config["SMS_BACKEND"], config["MAIL_BACKEND"] = backends
        queues.enqueue_now = relay
        console.setLevel(level)


# The history commits a few thousand small transactions; invented data needs no disk flush.
RELAXED = {
    "sqlite": ("PRAGMA synchronous = OFF", "PRAGMA synchronous = FULL"),
    "postgresql": ("SET synchronous_commit = off", "RESET synchronous_commit"),
}


@contextmanager
def _fast_commits():
    """Connections used while the history plays skip waiting for the disk on commit; each is
    set back when it returns to the pool."""
    db.session.commit()
    engine = db.engine
    relax, restore = RELAXED.get(engine.dialect.name, (None, None))
    if relax is None:
        yield
        return

    def on_checkout(dbapi_connection, record, proxy):
        _execute(dbapi_connection, relax)

    def on_checkin(dbapi_connection, record):
        _execute(dbapi_connection, restore)

    event.listen(engine, "checkout", on_checkout)
    event.listen(engine, "checkin", on_checkin)
    try:
        yield
    finally:
        db.session.commit()
        event.remove(engine, "checkout", on_checkout)
        event.remove(engine, "checkin", on_checkin)


def _execute(dbapi_connection, statement: str) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(statement)
    finally:
        cursor.close()
    dbapi_connection.commit()  # leave no transaction open for the pool


def _deliver_due(moment: datetime) -> None:
    """Hand over what is owed and due at `moment`, as the worker would have then."""
    from workers.deliver import deliver

    due = db.session.scalars(
        select(Outbox.id)
        .where(
            Outbox.status == OutboxStatus.PENDING,
            or_(Outbox.not_before.is_(None), Outbox.not_before <= moment),
            Outbox.claimed_at.is_(None),
        )
        .order_by(Outbox.id)
    ).all()
    db.session.rollback()
    for outbox_id in due:
        deliver(outbox_id)


def _departments() -> dict[str, Department]:
    departments = {}
    for name, description, is_default, keywords, category in DEPARTMENTS:
        department = Department(name=name, description=description, is_default=is_default)
        department.targets = [
            CharterTarget(priority=p, first_response_minutes=first, resolution_minutes=resolution)
            for p, (first, resolution) in TARGETS.items()
        ]
        if keywords:
            department.rules.append(RoutingRule(keywords=keywords, position=10))
        if category:
            department.rules.append(RoutingRule(category=category, position=20))
        db.session.add(department)
        departments[name] = department
    db.session.flush()
    return departments


def _staff(departments: dict[str, Department]) -> dict[str, User]:
    staff = {}
    for email, name, role, names in STAFF:
        user = User(email=email, name=name, role=role, departments=[departments[n] for n in names])
        user.set_password(PASSWORD)
        db.session.add(user)
        staff[email.split("@")[0]] = user
    db.session.flush()
    for department in departments.values():
        department.supervisor = staff["grace"]
    return staff


def _local(days_ago: float, hour: int, minute: int, now: datetime) -> datetime:
    """`days_ago` days before now at hh:mm Nairobi time, never later than ten minutes ago."""
    tz = current_app.config["TIMEZONE"]
    day = hours.to_local(now - timedelta(days=days_ago), tz).date()
    moment = hours.local_to_utc(datetime(day.year, day.month, day.day, hour, minute), tz)
    while moment > now - timedelta(minutes=10):
        moment -= timedelta(days=1)
    return moment


def _ticket(ticket_id: int) -> Ticket:
    return db.session.get(Ticket, ticket_id)


def _business(ticket: Ticket, start: datetime, minutes: float) -> datetime:
    """`minutes` of the department's working time after `start`: when staff would act."""
    return charter.calendar_for(ticket.department).add_minutes(start, max(1, int(minutes)))


def _business_left(ticket: Ticket, until: datetime | None) -> int:
    if until is None or until <= hours.now():
        return 60
    return charter.calendar_for(ticket.department).minutes_between(hours.now(), until)


def _agent(ticket: Ticket, staff: dict[str, User]) -> User:
    if ticket.assignee is not None:
        return ticket.assignee
    return next(
        (user for user in staff.values() if ticket.department in user.departments),
        staff["wanjiru"],
    )


def _stories(history: History, staff: dict[str, User]) -> None:
    """Wanjiku's fridge (SMS, Swahili; Otieno promises a visit), Brian's double charge
    (email; asked for a code, reminded, answers on day 2, refunded), Amina's late delivery
    (the web form at 22:40 last night); Grace supervises and hears of what breaches."""
    ids: dict[str, int] = {}
    _wanjiku(history, staff, ids)
    _brian(history, staff, ids)
    _amina(history, staff, ids)


def _wanjiku(history: History, staff: dict[str, User], ids: dict) -> None:
    now, otieno = history.now, staff["otieno"]

    def wanjiku_texts():
        wanjiku = customers.find_or_create(
            phone="+254712000001",
            name="Wanjiku Achieng",
            language=Language.SW,
            preferred_channel=Channel.SMS,
        )
        fridge = lifecycle.open_ticket(
            wanjiku,
            subject="",
            body="Friji yangu haipoi tangu jana",
            channel=Channel.SMS,
            category=Category.AFTER_SALE,
        )
        db.session.flush()
        ids["fridge"] = fridge.id

    def otieno_answers():
        fridge = _ticket(ids["fridge"])
        agent = fridge.assignee or otieno
        lifecycle.set_product(
            fridge,
            by=agent,
            product="Friji LG 260L",
            serial_number="LG260-88213",
            purchase_date=(now - timedelta(days=13)).date(),
        )
        lifecycle.reply(fridge, by=agent, body="Pole sana. Fundi atakuja kukagua friji yako.")
        visit_day = hours.to_local(now + timedelta(days=1), current_app.config["TIMEZONE"])
        promises.add_promise(
            fridge,
            by=agent,
            description="A technician will visit",
            due_at=hours.local_to_utc(
                datetime(visit_day.year, visit_day.month, visit_day.day, 10, 0),
                current_app.config["TIMEZONE"],
            ),
        )

    opened = _local(3, 9, 5, now)
    history.at(opened, wanjiku_texts)
    history.at(opened + timedelta(minutes=50), otieno_answers)


def _brian(history: History, staff: dict[str, User], ids: dict) -> None:
    now, kamau = history.now, staff["kamau"]

    def brian_emails():
        brian = customers.find_or_create(email="brian@example.co.ke", name="Brian Otieno")
        charge = lifecycle.open_ticket(
            brian,
            subject="Charged twice for order 1182",
            body="I was charged KES 4,500 twice. M-Pesa codes QK7H2LX9P1 and QK7H2LX9P2.",
            channel=Channel.EMAIL,
            category=Category.BILLING,
            cc=["accounts@otieno-hardware.example"],
        )
        db.session.flush()
        ids["charge"] = charge.id

    def kamau_asks():
        charge = _ticket(ids["charge"])
        lifecycle.reply(
            charge,
            by=charge.assignee or kamau,
            body="Sorry about this. Please send the second transaction code.",
            status=Status.PENDING_CUSTOMER,
        )

    def brian_answers():
        charge = _ticket(ids["charge"])
        lifecycle.add_customer_message(
            charge,
            body="The second code is QK7H2LX9P2.\n\nOn Monday, Fuatilia wrote:\n> Please send the "
            "second transaction code.",
            channel=Channel.EMAIL,
        )

    def kamau_refunds():
        charge = _ticket(ids["charge"])
        if charge.status in (Status.NEW, Status.OPEN):
            lifecycle.resolve(charge, by=charge.assignee or kamau, note="Refund of KES 4,500 sent")

    emailed = _local(2, 8, 10, now)
    history.at(emailed, brian_emails)
    history.at(emailed + timedelta(hours=1, minutes=50), kamau_asks)
    answered = emailed + timedelta(days=1, hours=5, minutes=20)  # day 2, after one reminder
    history.at(answered, brian_answers)
    history.at(answered + timedelta(hours=2), kamau_refunds)


def _amina(history: History, staff: dict[str, User], ids: dict) -> None:
    def amina_fills_the_form():
        amina = customers.find_or_create(
            phone="+254722000003", name="Amina Hassan", preferred_channel=Channel.SMS
        )
        late = lifecycle.open_ticket(
            amina,
            subject="Delivery is late",
            body="My delivery to Kisumu is 5 days late. Order 7731.",
            channel=Channel.WEB,
            category=Category.DELIVERY,
        )
        db.session.flush()
        ids["late"] = late.id
        history.at(_business(late, hours.now(), 45), sales_answers)

    def sales_answers():
        late = _ticket(ids["late"])
        if late.status in (Status.NEW, Status.OPEN):
            lifecycle.reply(
                late,
                by=_agent(late, staff),
                body="Sorry Amina. The lorry left Nairobi today; it reaches Kisumu tomorrow.",
            )

    history.at(_local(0, 22, 40, history.now), amina_fills_the_form)


def _random_ticket(history: History, rng: random.Random, number: int, staff) -> None:
    channel, subject, language = rng.choice(SUBJECTS)
    name = rng.choice(FIRST_NAMES)
    contact = (
        {"email": f"{name.lower()}.{number}@example.co.ke"}
        if channel == Channel.EMAIL
        else {"phone": f"+2547{30000000 + number:08d}"}
    )
    priority = rng.choices(list(PRIORITY_WEIGHTS), weights=list(PRIORITY_WEIGHTS.values()))[0]
    created = _local(
        HISTORY_DAYS * rng.random() ** 2,  # busier lately: more of them recent
        rng.choice(CUSTOMER_HOURS),
        rng.randrange(60),
        history.now,
    )
    story = _TicketStory(history, rng, staff)

    def customer_writes():
        customer = customers.find_or_create(
            **contact, name=f"{name} {number}", language=language, preferred_channel=channel
        )
        ticket = lifecycle.open_ticket(
            customer, subject=subject, body=subject, channel=channel, priority=priority
        )
        db.session.flush()
        story.ticket_id = ticket.id
        target = charter.calendar_for(ticket.department).minutes_between(
            ticket.created_at, ticket.first_response_due_at
        )
        late = rng.random() < LATE_ANSWER
        share = rng.uniform(1.1, 1.8) if late else rng.uniform(0.1, 0.8)
        history.at(_business(ticket, ticket.created_at, target * share), story.answer)

    history.at(created, customer_writes)


class _TicketStory:
    """What the people around one random ticket do, each step at its moment; a step finds the
    ticket as the history left it (a pass may have closed it meanwhile) and acts on that."""

    def __init__(self, history: History, rng: random.Random, staff):
        self.history, self.rng, self.staff = history, rng, staff
        self.ticket_id = None

    @property
    def ticket(self) -> Ticket:
        return _ticket(self.ticket_id)

    def answer(self):
        ticket, rng = self.ticket, self.rng
        if ticket.status not in (Status.NEW, Status.OPEN):
            return
        agent = _agent(ticket, self.staff)
        if rng.random() < 0.15:
            lifecycle.reply(
                ticket,
                by=agent,
                body="Please send us the receipt number.",
                status=Status.PENDING_CUSTOMER,
            )
            if rng.random() < 0.6:  # the others stay silent: reminded, then closed
                self.history.at(hours.now() + timedelta(hours=rng.uniform(2, 60)), self.writes_back)
            return
        lifecycle.reply(ticket, by=agent, body="Thank you, we are looking into it.")
        if rng.random() < 0.12:
            minutes = rng.choice([90, 180, 300, 480])
            promise = promises.add_promise(
                ticket,
                by=agent,
                description=rng.choice(["I will call you back", "A technician will visit"]),
                due_at=_business(ticket, hours.now(), minutes),
            )
            db.session.flush()
            if rng.random() < 0.7:  # kept; the others are missed (the pass says so)
                self.history.at(
                    _business(ticket, hours.now(), minutes * 0.8), self.keeps(promise.id)
                )
        self.plan_resolution()

    def keeps(self, promise_id: int):
        def keep():
            promise = db.session.get(Promise, promise_id)
            if promise.status == PromiseStatus.OPEN:
                promises.settle_promise(promise, kept=True, by=promise.agent)

        return keep

    def writes_back(self):
        ticket = self.ticket
        if ticket.status == Status.PENDING_CUSTOMER:
            lifecycle.add_customer_message(
                ticket, body="The receipt number is 55102.", channel=ticket.channel
            )
            self.plan_resolution()

    def plan_resolution(self):
        ticket, rng = self.ticket, self.rng
        left = _business_left(ticket, ticket.due_at or ticket.resolution_due_at)
        share = rng.uniform(1.2, 2) if rng.random() < LATE_RESOLUTION else rng.uniform(0.2, 0.85)
        self.history.at(_business(ticket, hours.now(), left * share), self.resolve)

    def resolve(self):
        ticket, rng = self.ticket, self.rng
        if ticket.status not in (Status.NEW, Status.OPEN):
            return
        lifecycle.resolve(ticket, by=_agent(ticket, self.staff), note="Sorted")
        now = hours.now()
        if ticket.category == Category.AFTER_SALE:
            answer = rng.random()
            if answer < 0.65:
                self.history.at(
                    now + timedelta(hours=rng.uniform(1, 30)), self.confirms(answer < 0.55)
                )
        # whoever stays silent: the follow-ups remind and close; some rate when asked
        self.history.at(now + timedelta(days=rng.uniform(3.1, 6)), self.rates)

    def confirms(self, fixed: bool):
        def confirm():
            ticket = self.ticket
            if ticket.status == Status.RESOLVED:
                answers.confirm_fix(
                    ticket, fixed=fixed, words="1" if fixed else "2", channel=ticket.channel
                )
                if not fixed:
                    self.plan_resolution()
            self.history.at(hours.now() + timedelta(hours=self.rng.uniform(0.2, 4)), self.rates)

        return confirm

    def rates(self):
        ticket = self.ticket
        asked = ticket.satisfaction_asked_at is not None and ticket.satisfaction_score is None
        if asked and ticket.status == Status.CLOSED and self.rng.random() < 0.6:
            score = self.rng.choice([3, 4, 4, 5, 5, 2])
            answers.rate(ticket, score, words=str(score), channel=ticket.channel)
