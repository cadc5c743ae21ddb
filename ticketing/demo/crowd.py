"""The crowd: a few hundred invented customers writing in over the past weeks, and what the
people around each ticket then do (answer, ask, promise, resolve, confirm, rate), drawn from
one seeded random source so that every seed tells the same history."""

import random
from datetime import datetime, timedelta

from ticketing import answers, charter, customers, hours, lifecycle, promises
from ticketing.demo.history import HISTORY_DAYS, History, business, load_ticket, local
from ticketing.demo.people import agent_for
from ticketing.extensions import db
from ticketing.models import Promise, Ticket
from ticketing.models.enums import Category, Channel, Language, Priority, PromiseStatus, Status

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
CUSTOMER_HOURS = [7, 8, 9, 9, 10, 10, 11, 12, 13, 14, 15, 16, 17, 19, 20]
PRIORITY_WEIGHTS = {Priority.URGENT: 1, Priority.HIGH: 2, Priority.NORMAL: 6, Priority.LOW: 2}
LATE_ANSWER = 0.07  # share of tickets answered after the first-response target
LATE_RESOLUTION = 0.06  # share resolved after the resolution target


def _business_left(ticket: Ticket, until: datetime | None) -> int:
    if until is None or until <= hours.now():
        return 60
    return charter.calendar_for(ticket.department).minutes_between(hours.now(), until)


def random_ticket(history: History, rng: random.Random, number: int, staff) -> None:
    channel, subject, language = rng.choice(SUBJECTS)
    name = rng.choice(FIRST_NAMES)
    contact = (
        {"email": f"{name.lower()}.{number}@example.co.ke"}
        if channel == Channel.EMAIL
        else {"phone": f"+2547{30000000 + number:08d}"}
    )
    priority = rng.choices(list(PRIORITY_WEIGHTS), weights=list(PRIORITY_WEIGHTS.values()))[0]
    created = local(
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
        history.at(business(ticket, ticket.created_at, target * share), story.answer)

    history.at(created, customer_writes)


class _TicketStory:
    """What the people around one random ticket do, each step at its moment; a step finds the
    ticket as the history left it (a pass may have closed it meanwhile) and acts on that."""

    def __init__(self, history: History, rng: random.Random, staff):
        self.history, self.rng, self.staff = history, rng, staff
        self.ticket_id = None

    @property
    def ticket(self) -> Ticket:
        return load_ticket(self.ticket_id)

    def answer(self):
        ticket, rng = self.ticket, self.rng
        if ticket.status not in (Status.NEW, Status.OPEN):
            return
        agent = agent_for(ticket, self.staff)
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
                due_at=business(ticket, hours.now(), minutes),
            )
            db.session.flush()
            if rng.random() < 0.7:  # kept; the others are missed (the pass says so)
                self.history.at(
                    business(ticket, hours.now(), minutes * 0.8), self.keeps(promise.id)
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
        self.history.at(business(ticket, hours.now(), left * share), self.resolve)

    def resolve(self):
        ticket, rng = self.ticket, self.rng
        if ticket.status not in (Status.NEW, Status.OPEN):
            return
        lifecycle.resolve(ticket, by=agent_for(ticket, self.staff), note="Sorted")
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
