"""Administration: departments with their routing rules and charter, staff, failed inbound."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ticketing import inbound, targets
from ticketing.extensions import db
from ticketing.forms import DepartmentForm, RuleForm, UserForm
from ticketing.models import CharterTarget, Department, InboundRaw, Outbox, RoutingRule, User
from ticketing.models.enums import Category, Channel, InboundStatus, OutboxStatus, Priority, Role
from ticketing.security import revoke_token, role_required
from ticketing.views import audit_hooks

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@role_required(Role.ADMIN)
def admins_only():
    """Every /admin page is for admins."""


@bp.get("/")
def index():
    departments = db.session.scalars(select(Department).order_by(Department.name)).all()
    users = db.session.scalars(select(User).order_by(User.name)).all()
    failed = db.session.scalars(
        select(InboundRaw)
        .where(InboundRaw.status == InboundStatus.FAILED)
        .order_by(InboundRaw.id.desc())
        .limit(50)
    ).all()
    stuck = db.session.scalars(
        select(Outbox)
        .where(Outbox.status == OutboxStatus.FAILED)
        .order_by(Outbox.id.desc())
        .limit(50)
    ).all()
    return render_template(
        "admin/index.html", departments=departments, users=users, failed=failed, stuck=stuck
    )


@bp.route("/departments/new", methods=["GET", "POST"])
@bp.route("/departments/<int:department_id>", methods=["GET", "POST"])
def department(department_id: int | None = None):
    item = db.get_or_404(Department, department_id) if department_id else Department()
    form = _department_form(item)
    typed, target_errors = targets.typed_from(item), {}
    if request.method == "POST":
        charter, typed, target_errors = targets.parse(item, request.form)
        if form.validate_on_submit() and not target_errors:
            return _save_department(item, form, charter)
    return _department_page(item, form, typed, target_errors)


def _department_form(item: Department, **options) -> DepartmentForm:
    form = DepartmentForm(obj=item, **options)
    form.supervisor_id.choices = [(0, "—")] + [
        (u.id, u.name)
        for u in db.session.scalars(
            select(User).where(User.role.in_([Role.SUPERVISOR, Role.ADMIN])).order_by(User.name)
        )
    ]
    return form


def _department_page(item, form, typed, target_errors, rule_form=None):
    page = render_template(
        "admin/department.html",
        item=item,
        form=form,
        rule_form=rule_form or RuleForm(formdata=None),
        priorities=list(Priority),
        typed=typed,
        target_errors=target_errors,
        units=list(targets.UNITS),
        field=targets.field,
    )
    return page, 400 if request.method == "POST" else 200


def _save_department(item: Department, form: DepartmentForm, charter: dict):
    before = audit_hooks.department_state(item) if item.id else {}
    item.name, item.description = form.name.data.strip(), form.description.data or ""
    item.supervisor_id = form.supervisor_id.data or None
    if form.is_default.data:
        for other in db.session.scalars(select(Department).where(Department.is_default)):
            other.is_default = False
    item.is_default = form.is_default.data
    for priority, (first, resolution) in charter.items():
        target = item.target_for(priority)
        if target is None:
            target = CharterTarget(priority=priority)
            item.targets.append(target)
        target.first_response_minutes, target.resolution_minutes = first, resolution
    db.session.add(item)
    try:
        after = audit_hooks.department_state(item)
        audit_hooks.setting_changed("department", item, before, after)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        form.name.errors = ["A department with that name exists."]
        return _department_page(item, form, targets.typed_from(item), {})
    flash(f"Saved {item.name}.", "success")
    return redirect(url_for("admin.department", department_id=item.id))


@bp.post("/departments/<int:department_id>/rules")
def add_rule(department_id: int):
    item = db.get_or_404(Department, department_id)
    form = RuleForm()
    if form.validate_on_submit() and not (
        form.keywords.data or form.channel.data or form.category.data
    ):
        form.keywords.errors = ["A rule needs keywords, a channel or a category."]
    elif not form.errors:
        rule = RoutingRule(
            keywords=form.keywords.data or "",
            channel=Channel(form.channel.data) if form.channel.data else None,
            category=Category(form.category.data) if form.category.data else None,
            position=form.position.data,
        )
        item.rules.append(rule)
        audit_hooks.setting_changed("routing_rule", rule, {}, audit_hooks.rule_state(rule))
        db.session.commit()
        flash("Rule added.", "success")
        return redirect(url_for("admin.department", department_id=item.id))
    flash("The rule was not added: see the form.", "error")
    department_form = _department_form(item, formdata=None)
    return _department_page(item, department_form, targets.typed_from(item), {}, form)


@bp.post("/rules/<int:rule_id>/delete")
def delete_rule(rule_id: int):
    rule = db.get_or_404(RoutingRule, rule_id)
    department_id = rule.department_id
    audit_hooks.setting_changed("routing_rule", rule, audit_hooks.rule_state(rule), {})
    db.session.delete(rule)
    db.session.commit()
    flash("Rule removed.", "success")
    return redirect(url_for("admin.department", department_id=department_id))


@bp.route("/users/new", methods=["GET", "POST"])
@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user(user_id: int | None = None):
    item = db.get_or_404(User, user_id) if user_id else User()
    form = UserForm(obj=item)
    form.departments.choices = [
        (d.id, d.name) for d in db.session.scalars(select(Department).order_by(Department.name))
    ]
    if request.method == "GET" and item.id:
        form.departments.data = [d.id for d in item.departments]
    if form.validate_on_submit():
        if not item.id and not form.password.data:
            form.password.errors = ["A new user needs a password (10 characters or more)."]
        else:
            return _save_user(item, form)
    return render_template(
        "admin/user.html", item=item, form=form
    ), 400 if request.method == "POST" else 200


def _save_user(item: User, form: UserForm):
    before = audit_hooks.user_state(item) if item.id else None
    item.name, item.email = form.name.data.strip(), form.email.data.strip().lower()
    item.role = Role(form.role.data)
    item.is_enabled, item.is_away = form.is_enabled.data, form.is_away.data
    item.departments = [db.session.get(Department, i) for i in form.departments.data or []]
    if form.password.data:
        item.set_password(form.password.data)
    db.session.add(item)
    try:
        audit_hooks.user_saved(item, before, password_set=bool(form.password.data))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        form.email.errors = ["Another user has that email."]
        return render_template("admin/user.html", item=item, form=form), 400
    flash(f"Saved {item.name}.", "success")
    return redirect(url_for("admin.index"))


@bp.post("/users/<int:user_id>/token/revoke")
def revoke_user_token(user_id: int):
    """Revoke a member of staff's API token (a lost laptop, a leaver): it stops working now."""
    item = db.get_or_404(User, user_id)
    if revoke_token(item):
        audit_hooks.token_revoked(item)
        db.session.commit()
        flash(f"The API token of {item.name} is revoked.", "success")
    else:
        flash(f"{item.name} has no API token.", "info")
    return redirect(url_for("admin.user", user_id=item.id))


@bp.post("/inbound/<int:raw_id>/retry")
def retry(raw_id: int):
    raw = db.get_or_404(InboundRaw, raw_id)
    if inbound.retry(raw):
        db.session.commit()
        flash(f"Inbound #{raw.id} queued again.", "success")
    else:
        flash(f"Inbound #{raw.id} is not failed (any more): nothing to retry.", "info")
    return redirect(url_for("admin.index"))
