"""The demo seed: the stories' people and departments, and a few hundred tickets with history.

History is made by calling lifecycle at past moments (hours.frozen), so every ticket has the
events, due times and follow-up plan that real use would have given it.
"""

import random
from datetime import timedelta

from ticketing import answers, customers, hours, lifecycle, outbox, promises
from ticketing.extensions import db
from ticketing.models import CharterTarget, Department, RoutingRule, User
from ticketing.models.enums import (
    Category,
    Channel,
    Language,
    Outcome,
    Priority,
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
        "fridge, friji, haipoi, repair, broken, warranty, install, cooling, tv, cooker",
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
    (Channel.SMS, "Friji yangu haipoi tangu jana", Language.SW),
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


def seed(extra_tickets: int) -> list[tuple[str, str]]:
    rng = random.Random(2026)
    departments = _departments()
    staff = _staff(departments)
    _stories(staff)
    now = hours.now()
    for number in range(extra_tickets):
        _random_ticket(rng, number, staff, now)
    _settle_history(now)
    return [(email, role.value) for email, _, role, _ in STAFF]


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


def _at(days_ago: float, hour: int = 10):
    moment = hours.now() - timedelta(days=days_ago)
    return hours.frozen(moment.replace(hour=hour - 3 if hour >= 3 else 0, minute=17))


def _stories(staff: dict[str, User]) -> None:
    """Wanjiku's fridge (SMS, Swahili), Brian's double charge (email), Amina's late delivery."""
    wanjiku = customers.find_or_create(
        phone="+254712000001",
        name="Wanjiku Achieng",
        language=Language.SW,
        preferred_channel=Channel.SMS,
    )
    brian = customers.find_or_create(email="brian@example.co.ke", name="Brian Otieno")
    amina = customers.find_or_create(
        phone="+254722000003", name="Amina Hassan", preferred_channel=Channel.SMS
    )
    with _at(3, 9):
        fridge = lifecycle.open_ticket(
            wanjiku,
            subject="",
            body="Friji yangu haipoi tangu jana",
            channel=Channel.SMS,
            category=Category.AFTER_SALE,
        )
        lifecycle.set_product(
            fridge,
            by=staff["otieno"],
            product="Friji LG 260L",
            serial_number="LG260-88213",
            purchase_date=None,
        )
    with _at(3, 11):
        lifecycle.reply(
            fridge,
            by=fridge.assignee or staff["otieno"],
            body="Pole sana. Fundi atakuja kukagua friji yako.",
        )
        promises.add_promise(
            fridge,
            by=fridge.assignee or staff["otieno"],
            description="A technician will visit",
            due_at=hours.now() + timedelta(days=4),
        )
    with _at(2, 8):
        charge = lifecycle.open_ticket(
            brian,
            subject="Charged twice for order 1182",
            body="I was charged KES 4,500 twice. M-Pesa codes QK7H2LX9P1 and QK7H2LX9P2.",
            channel=Channel.EMAIL,
            category=Category.BILLING,
            cc=["accounts@otieno-hardware.example"],
        )
    with _at(2, 10):
        lifecycle.reply(
            charge,
            by=charge.assignee or staff["kamau"],
            body="Sorry about this. Please send the second transaction code.",
            status=Status.PENDING_CUSTOMER,
        )
    with _at(0.2, 22):
        lifecycle.open_ticket(
            amina,
            subject="Delivery is late",
            body="My delivery to Kisumu is 5 days late. Order 7731.",
            channel=Channel.WEB,
            category=Category.DELIVERY,
        )


def _random_ticket(rng: random.Random, number: int, staff: dict[str, User], now) -> None:
    channel, subject, language = rng.choice(SUBJECTS)
    name = rng.choice(FIRST_NAMES)
    contact = (
        {"email": f"{name.lower()}.{number}@example.co.ke"}
        if channel == Channel.EMAIL
        else {"phone": f"+2547{30000000 + number:08d}"}
    )
    customer = customers.find_or_create(
        **contact, name=f"{name} {number}", language=language, preferred_channel=channel
    )
    age = rng.uniform(0.05, 45)
    with _at(age, rng.choice([8, 9, 10, 11, 14, 15, 16, 20])) as created:
        ticket = lifecycle.open_ticket(
            customer,
            subject=subject,
            body=subject,
            channel=channel,
            priority=rng.choice(list(Priority)),
        )
    agent = ticket.assignee or staff["wanjiru"]
    fate = rng.random()
    steps = [
        (
            timedelta(hours=rng.uniform(0.2, 10)),
            lambda: lifecycle.reply(ticket, by=agent, body="Thank you, we are looking into it."),
        )
    ]
    if 0.35 <= fate < 0.5:
        steps.append((timedelta(hours=1), lambda: lifecycle.set_pending(ticket, by=agent)))
    elif fate >= 0.5:
        steps.append(
            (
                timedelta(days=rng.uniform(0.5, 3)),
                lambda: lifecycle.resolve(ticket, by=agent, note="Sorted"),
            )
        )
        if fate >= 0.65:
            steps.append((timedelta(days=1), lambda: _close_and_rate(rng, ticket)))
    if fate < 0.15:
        return  # still new: waiting for a first answer
    moment = created
    for delay, action in steps:
        moment += delay
        if moment >= now:
            return  # the rest has not happened yet
        with hours.frozen(moment):
            action()


def _close_and_rate(rng: random.Random, ticket) -> None:
    lifecycle.close(ticket, by=None, outcome=Outcome.CONFIRMED_FIXED)
    if rng.random() < 0.7:
        score = rng.choice([3, 4, 4, 5, 5, 2])
        answers.rate(ticket, score, words=str(score), channel=Channel.WEB)


def _settle_history(now) -> None:
    """Messages owed in the past count as delivered; only today's are left for the worker."""
    outbox.backdate_delivered(before=now - timedelta(hours=6), provider_id="demo-history")
    db.session.info.pop("after_commit", None)
    db.session.commit()
