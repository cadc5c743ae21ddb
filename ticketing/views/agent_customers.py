"""The customer profile: details staff correct, the customer's tickets this agent may open, and
merging a duplicate into them. Each change is one call to ticketing/customers.py."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from ticketing import customers
from ticketing.extensions import db
from ticketing.forms import CustomerForm
from ticketing.models import Customer, Ticket
from ticketing.security import customer_for, handled_customers, may_handle, visible_tickets

bp = Blueprint("customers", __name__)  # nested in agent.bp: its sign-in guard applies

TICKETS_SHOWN = 50


@bp.get("/customers/<int:customer_id>")
def profile(customer_id: int):
    customer = customer_for(current_user, customer_id)
    if customer.merged_into_id is not None:  # an old link to a merged duplicate
        flash(f"{customer.display_name} was merged into this customer.", "info")
        return redirect(url_for("agent.customers.profile", customer_id=customer.merged_into_id))
    return _profile(customer, CustomerForm(obj=customer))


@bp.post("/customers/<int:customer_id>")
def edit(customer_id: int):
    customer = _live(customer_id)
    form = CustomerForm()
    if not form.validate_on_submit():
        return _profile(customer, form), 400
    try:
        changed = customers.update_details(customer, by=current_user, **form.values())
    except customers.ContactTaken as taken:
        db.session.rollback()
        getattr(form, taken.field).errors = [str(taken)]
        return _profile(customer, form, taken=taken), 400
    db.session.commit()
    flash("Details saved." if changed else "Nothing changed.", "success")
    return redirect(url_for("agent.customers.profile", customer_id=customer.id))


@bp.get("/customers/<int:customer_id>/merge")
def find_duplicate(customer_id: int):
    """Search for the duplicate to fold into this customer, among those the agent may edit."""
    customer = _live(customer_id)
    found = customers.look_up(
        request.args.get("q", ""),
        region=current_app.config["DEFAULT_PHONE_REGION"],
        among=handled_customers(current_user),
    )
    match = found.pop("customer", None)
    if match is not None and match.id != customer.id and may_handle(current_user, match):
        found["matches"] = [match]
    elif "matches" in found:
        found["matches"] = [other for other in found["matches"] if other.id != customer.id]
    elif found.get("q") and "lookup_error" not in found:
        found["matches"] = []
    return render_template("agent/customer_merge_find.html", customer=customer, **found)


@bp.get("/customers/<int:customer_id>/merge/<int:duplicate_id>")
def confirm_merge(customer_id: int, duplicate_id: int):
    customer, duplicate = _live(customer_id), customer_for(current_user, duplicate_id)
    return render_template(
        "agent/customer_merge.html",
        customer=customer,
        duplicate=duplicate,
        moves=customers.merge_preview(duplicate),
    )


@bp.post("/customers/<int:customer_id>/merge/<int:duplicate_id>")
def merge(customer_id: int, duplicate_id: int):
    customer, duplicate = _live(customer_id), customer_for(current_user, duplicate_id)
    try:
        merged = customers.merge(customer, duplicate, by=current_user)
    except customers.MergeRefused as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(url_for("agent.customers.profile", customer_id=customer.id))
    db.session.commit()
    flash("Merged: one customer now." if merged else "Those two were merged already.", "success")
    return redirect(url_for("agent.customers.profile", customer_id=customer.id))


def _live(customer_id: int) -> Customer:
    """The customer to act on: a merged duplicate's actions go to the one it became."""
    customer = customer_for(current_user, customer_id)
    return customer.merged_into or customer


def _profile(customer: Customer, form: CustomerForm, *, taken=None):
    theirs = Ticket.customer_id == customer.id
    tickets = db.session.scalars(
        visible_tickets(current_user, select(Ticket).where(theirs))
        .order_by(Ticket.created_at.desc())
        .limit(TICKETS_SHOWN)
    ).all()
    visible = visible_tickets(current_user, select(Ticket.id).where(theirs)).scalar_subquery()
    elsewhere = db.session.scalar(select(func.count()).where(theirs, Ticket.id.not_in(visible)))
    return render_template(
        "agent/customer.html",
        customer=customer,
        form=form,
        tickets=tickets,
        elsewhere=elsewhere,
        taken=taken,
        may_merge_taken=taken is not None and may_handle(current_user, taken.holder),
    )
