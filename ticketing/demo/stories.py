"""The three stories the demo is told by: Wanjiku's fridge, Brian's double charge and Amina's
late delivery, each a few named steps at their moments. Apart from the crowd because these
are written by hand and the walkthrough leans on them."""

from datetime import datetime, timedelta

from flask import current_app

from ticketing import customers, hours, lifecycle, promises
from ticketing.demo.history import History, business, load_ticket, local
from ticketing.demo.people import agent_for
from ticketing.extensions import db
from ticketing.models import User
from ticketing.models.enums import Category, Channel, Language, Status


def stories(history: History, staff: dict[str, User]) -> None:
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
        fridge = load_ticket(ids["fridge"])
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

    opened = local(3, 9, 5, now)
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
        charge = load_ticket(ids["charge"])
        lifecycle.reply(
            charge,
            by=charge.assignee or kamau,
            body="Sorry about this. Please send the second transaction code.",
            status=Status.PENDING_CUSTOMER,
        )

    def brian_answers():
        charge = load_ticket(ids["charge"])
        lifecycle.add_customer_message(
            charge,
            body="The second code is QK7H2LX9P2.\n\nOn Monday, Fuatilia wrote:\n> Please send the "
            "second transaction code.",
            channel=Channel.EMAIL,
        )

    def kamau_refunds():
        charge = load_ticket(ids["charge"])
        if charge.status in (Status.NEW, Status.OPEN):
            lifecycle.resolve(charge, by=charge.assignee or kamau, note="Refund of KES 4,500 sent")

    emailed = local(2, 8, 10, now)
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
        history.at(business(late, hours.now(), 45), sales_answers)

    def sales_answers():
        late = load_ticket(ids["late"])
        if late.status in (Status.NEW, Status.OPEN):
            lifecycle.reply(
                late,
                by=agent_for(late, staff),
                body="Sorry Amina. The lorry left Nairobi today; it reaches Kisumu tomorrow.",
            )

    history.at(local(0, 22, 40, history.now), amina_fills_the_form)
