"""Admin: our lines (numbers and sender ids) and the department each belongs to, each
department's desk phone, and the webhook URLs to paste into each provider's console (made by
ticketing/webhook_urls.py, which the channels screen shows too).

Nested in the admin blueprint, so its admins-only guard covers every route here. Line rows are
written by ticketing/lines.py; each change is audited in the transaction that makes it."""

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ticketing import lines, webhook_urls
from ticketing.channels import africastalking
from ticketing.extensions import db
from ticketing.forms import DeskPhoneForm, LineForm, LineMoveForm, LineSwitchForm
from ticketing.models import Department, Line
from ticketing.models.enums import Channel, Provider
from ticketing.views import audit_hooks

bp = Blueprint("lines", __name__, url_prefix="/lines")


@bp.get("/")
def page():
    return _render()


@bp.post("/")
def add():
    form = LineForm()
    form.department_id.choices = _department_choices()
    if form.validate_on_submit():
        try:
            row = lines.add(
                form.provider.data,
                form.channel.data,
                form.address.data,
                department=_department(form.department_id.data),
                label=(form.label.data or "").strip(),
            )
            audit_hooks.setting_changed("line", f"line:{row.id}", {}, lines.state(row))
            db.session.commit()
        except lines.InvalidLine as error:
            form.address.errors = [str(error)]
        except IntegrityError:  # the same line added at the same moment elsewhere
            db.session.rollback()
            form.address.errors = [f"{form.address.data} is already a line"]
        else:
            flash(f"Added {row.key}.", "success")
            return redirect(url_for(".page"))
    return _render(form=form), 400


@bp.post("/move")
def move():
    form = LineMoveForm()
    form.department_id.choices = _department_choices()
    if not form.validate_on_submit():
        flash("Choose a line and a department.", "error")
        return _render(), 400
    row = db.get_or_404(Line, form.line_id.data)
    before = lines.state(row)
    lines.move(row, _department(form.department_id.data))
    audit_hooks.setting_changed("line", f"line:{row.id}", before, lines.state(row))
    db.session.commit()
    owner = row.department.name if row.department else "no department"
    flash(f"{row.key} now belongs to {owner}.", "success")
    return redirect(url_for(".page"))


@bp.post("/switch")
def switch():
    form = LineSwitchForm()
    if not form.validate_on_submit():
        flash("Choose a line, and whether it is on or off.", "error")
        return _render(), 400
    row = db.get_or_404(Line, form.line_id.data)
    before = lines.state(row)
    lines.set_enabled(row, form.enabled.data == "1")
    audit_hooks.setting_changed("line", f"line:{row.id}", before, lines.state(row))
    db.session.commit()
    flash(f"{row.key} is {'on' if row.is_enabled else 'off'}.", "success")
    return redirect(url_for(".page"))


@bp.post("/departments/<int:department_id>/desk-phone")
def desk_phone(department_id: int):
    department = db.get_or_404(Department, department_id)
    form = DeskPhoneForm(prefix=f"desk{department.id}")
    if not form.validate_on_submit():
        return _render(desk=(department.id, form)), 400
    before = {"desk_phone": department.desk_phone}
    department.desk_phone = form.desk_phone.data or None
    audit_hooks.setting_changed(
        "desk_phone", department, before, {"desk_phone": department.desk_phone}
    )
    db.session.commit()
    flash(f"Desk phone of {department.name}: {department.desk_phone or 'none'}.", "success")
    return redirect(url_for(".page"))


def _department_choices() -> list[tuple[int, str]]:
    departments = db.session.scalars(select(Department).order_by(Department.name))
    return [(0, "— none (keyword rules route it)")] + [(d.id, d.name) for d in departments]


def _department(department_id: int) -> Department | None:
    return db.session.get(Department, department_id) if department_id else None


def _render(form: LineForm | None = None, desk: tuple[int, DeskPhoneForm] | None = None):
    form = form or LineForm(formdata=None)
    form.department_id.choices = _department_choices()
    departments = db.session.scalars(select(Department).order_by(Department.name)).all()
    desks = {d.id: DeskPhoneForm(formdata=None, obj=d, prefix=f"desk{d.id}") for d in departments}
    if desk is not None:
        desks[desk[0]] = desk[1]
    return render_template(
        "admin/lines.html",
        form=form,
        rows=lines.listed(),
        departments=departments,
        desks=desks,
        choices=form.department_id.choices,
        configured=_configured(),
        twilio_hooks=webhook_urls.twilio_urls(),
        at_hooks=webhook_urls.africastalking_urls(),
        at_secret_set=bool(africastalking.webhook_secret()),
    )


def _configured() -> list[dict]:
    """The configuration's lines (shown, not editable here): every department without a line
    of its own answers from them. `line` is empty when the setting is."""
    sms, whatsapp = lines.configured(Channel.SMS), lines.configured(Channel.WHATSAPP)
    at = lines.split(sms)[0] == Provider.AFRICASTALKING
    return [
        {"what": "SMS", "setting": "AT_FROM" if at else "TWILIO_FROM", "line": _set(sms)},
        {"what": "WhatsApp", "setting": "TWILIO_WHATSAPP_FROM", "line": _set(whatsapp)},
        {"what": "Calls", "setting": "VOICE_NUMBER", "line": current_app.config["VOICE_NUMBER"]},
    ]


def _set(line: str | None) -> str:
    return line if line and lines.split(line)[1] else ""
