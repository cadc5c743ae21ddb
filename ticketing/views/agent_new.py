"""Tickets for callers and walk-ins: the agent finds the customer (by phone, email or name) or
adds them, then logs what they said. The ticket opens like any other (routed, charter-timed,
acknowledged on the customer's channel); a phone call's start is kept for the reports."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ticketing import customers, events, hours, lifecycle, notify
from ticketing.extensions import db
from ticketing.forms import DeskTicketForm
from ticketing.models import Customer, Department
from ticketing.models.enums import Category, Channel, Language, Priority
from ticketing.security import can_see

bp = Blueprint("desk", __name__)  # nested in agent.bp: its sign-in guard applies


@bp.get("/tickets/new")
def new_ticket():
    form = DeskTicketForm(formdata=None)
    local_now = hours.to_local(hours.now(), current_app.config["TIMEZONE"])
    form.call_started_at.data = local_now.replace(tzinfo=None, second=0, microsecond=0)
    customer = db.session.get(Customer, request.args.get("customer", 0, type=int) or 0)
    customer = customers.current(customer) if customer is not None else None
    found = _look_up(request.args.get("q", ""), form) if customer is None else {}
    customer = customer or found.pop("customer", None)
    form.customer_id.data = customer.id if customer else None
    return _page(form, customer, **found)


@bp.post("/tickets/new")
def create():
    form = DeskTicketForm()
    _department_choices(form)
    customer = db.session.get(Customer, form.customer_id.data) if form.customer_id.data else None
    customer = customers.current(customer) if customer is not None else None
    if not form.validate():
        return _page(form, customer), 400
    if form.customer_id.data and customer is None:
        form.customer_id.errors = ["That customer is not known: find them again."]
        return _page(form, None), 400
    customer = customer or customers.for_desk(
        name=form.name.data,
        phone=form.phone.data or None,
        email=form.email.data or None,
        language=Language(form.language.data or Language.EN),
    )
    ticket = _open(form, customer)
    acknowledgment = _acknowledgment(customer, ticket)
    db.session.commit()
    flash(f"{ticket.reference} logged. {acknowledgment}", "success")
    if not can_see(current_user, ticket):  # routed to a department this agent does not serve
        return redirect(url_for("agent.queue"))
    return redirect(url_for("agent.ticket.page", ticket_id=ticket.id))


def _open(form: DeskTicketForm, customer: Customer):
    channel = Channel(form.channel.data)
    department = db.session.get(Department, form.department_id.data or 0)
    ticket = lifecycle.open_ticket(
        customer,
        subject=form.subject.data.strip(),
        body=form.body.data.strip(),
        channel=channel,
        category=Category(form.category.data),
        priority=Priority(form.priority.data),
        department=department,
        by=current_user,
    )
    if channel == Channel.PHONE:
        started_at = form.call_started_utc
        events.record(ticket, "call_logged", current_user, call_started_at=started_at.isoformat())
    return ticket


def _acknowledgment(customer: Customer, ticket) -> str:
    """What the agent tells the customer, for the flash: where the reference went, or that
    it went nowhere and must be read out."""
    channel = notify.channel_for(customer, ticket)
    if channel is not None:
        where = {Channel.EMAIL: "by email", Channel.WHATSAPP: "on WhatsApp"}.get(channel, "by SMS")
        return f"The customer gets the acknowledgment with the reference {where}."
    if not (customer.phone or customer.email):
        reason = "the customer has no phone or email"
    else:
        reason = "the customer cannot be reached (SMS stopped, no email)"
    return f"No acknowledgment: {reason}. Read them the reference: {ticket.reference}."


def _look_up(text: str, form: DeskTicketForm) -> dict:
    """The customer a phone or email belongs to, or up to 10 whose name matches; what was
    typed fills the new-customer fields when nobody is found."""
    found = customers.look_up(text, region=current_app.config["DEFAULT_PHONE_REGION"])
    form.email.data = found.pop("email", None)
    form.phone.data = found.pop("phone", None)
    if "matches" in found:
        form.name.data = found["q"]
    return found


def _department_choices(form: DeskTicketForm) -> None:
    """Agents log tickets for their own departments; supervisors and admins for any."""
    if current_user.sees_all:
        mine = db.session.scalars(select(Department).order_by(Department.name)).all()
    else:
        mine = sorted(current_user.departments, key=lambda department: department.name)
    form.department_id.choices = [(0, "Route by what they said")] + [(d.id, d.name) for d in mine]


def _page(form: DeskTicketForm, customer: Customer | None, **found):
    if not form.department_id.choices:
        _department_choices(form)
    return render_template("agent/new_ticket.html", form=form, customer=customer, **found)
