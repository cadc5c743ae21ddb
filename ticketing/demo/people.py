"""Who the demo is about: its departments (charter targets, routing rules) and its staff,
who all log in with one password, and which of them acts on a ticket. The cast, apart from
the plot, so that a story or the crowd only names who acts."""

from ticketing import lines
from ticketing.extensions import db
from ticketing.models import CharterTarget, Department, RoutingRule, Ticket, User
from ticketing.models.enums import Category, Channel, Priority, Provider, Role

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
# Two lines of their own, so the demo shows routing by number: a text to the shortcode lands in
# After-sales whatever it says (try it at /dev/sms).
LINES = [
    (Provider.TWILIO, "+254711000100", "General enquiries", "Main number"),
    (Provider.AFRICASTALKING, "21525", "After-sales service", "Repairs shortcode"),
]
STAFF = [
    ("admin@fuatilia.test", "Amani Admin", Role.ADMIN, []),
    ("grace@fuatilia.test", "Grace Wambui", Role.SUPERVISOR, ["After-sales service", "Sales"]),
    ("otieno@fuatilia.test", "Otieno Ouma", Role.AGENT, ["After-sales service"]),
    ("achieng@fuatilia.test", "Achieng Atieno", Role.AGENT, ["After-sales service", "Sales"]),
    ("kamau@fuatilia.test", "Kamau Njoroge", Role.AGENT, ["Billing", "General enquiries"]),
    ("wanjiru@fuatilia.test", "Wanjiru Kariuki", Role.AGENT, ["Sales", "General enquiries"]),
]


def make_departments() -> dict[str, Department]:
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


def make_lines(departments: dict[str, Department]) -> None:
    for provider, address, name, label in LINES:
        lines.add(provider, Channel.SMS, address, department=departments[name], label=label)


def make_staff(departments: dict[str, Department]) -> dict[str, User]:
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


def agent_for(ticket: Ticket, staff: dict[str, User]) -> User:
    if ticket.assignee is not None:
        return ticket.assignee
    return next(
        (user for user in staff.values() if ticket.department in user.departments),
        staff["wanjiru"],
    )
