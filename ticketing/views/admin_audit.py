"""The audit log for admins: filter it, page through it, take it away as CSV. Entries are only
ever added (ticketing/audit.py writes them); nothing in the app edits or deletes one."""

import json
from datetime import date, datetime, time, timedelta

from flask import Blueprint, abort, current_app, render_template, request, stream_with_context
from sqlalchemy import Select, func, select
from wtforms import DateField, Form, SelectField, StringField, ValidationError
from wtforms.validators import Length, Optional

from ticketing import hours
from ticketing.extensions import db
from ticketing.models import AuditEntry
from ticketing.models.enums import AuditAction
from ticketing.stats.export import csv_lines
from ticketing.views import audit_hooks
from ticketing.views.reports import csv_download

PAGE_SIZE = 50
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)  # beyond: a typo, not a search
CSV_COLUMNS = [
    *("at", "at_local", "action", "actor", "actor_id", "target", "ip", "user_agent", "detail")
]

bp = Blueprint("audit", __name__)  # nested in admin.bp: admins only


def _day_in_range(form, field) -> None:
    if field.data and not FIRST_DAY <= field.data <= LAST_DAY:
        raise ValidationError(f"Give a day from {FIRST_DAY.year} to {LAST_DAY.year}.")


class AuditFilters(Form):
    """The filters, read from the query string (a GET form changes nothing: no CSRF token)."""

    action = SelectField(
        "Action",
        choices=[("", "Any")] + [(a.value, a.value.replace("_", " ")) for a in AuditAction],
        default="",
    )
    actor = StringField("Actor (email contains)", validators=[Optional(), Length(max=254)])
    target = StringField(
        "Target",
        validators=[Optional(), Length(max=120)],
        description='"user:7", or "user" for every user',
    )
    ip = StringField("IP address", validators=[Optional(), Length(max=45)])
    since = DateField("From (local day)", name="from", validators=[Optional(), _day_in_range])
    until = DateField("To (local day)", name="to", validators=[Optional(), _day_in_range])

    def validate_until(self, field) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError("The last day comes before the first.")


@bp.get("/audit")
def page():
    form = AuditFilters(request.args)
    if not form.validate():
        return render_template("admin/audit.html", form=form, page=None, args={}), 400
    entries = db.paginate(
        _entries(form), per_page=PAGE_SIZE, max_per_page=PAGE_SIZE, error_out=False
    )
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "admin/audit.html", form=form, page=entries, args=args, describe=describe
    )


@bp.get("/audit.csv")
def export():
    """The entries the same filters select, newest first, streamed; the export is logged too."""
    form = AuditFilters(request.args)
    if not form.validate():
        abort(400, "; ".join(f"{form[k].label.text}: {e[0]}" for k, e in form.errors.items()))
    audit_hooks.exported("admin/audit")
    db.session.commit()
    lines = csv_lines(CSV_COLUMNS, _rows(_entries(form), current_app.config["TIMEZONE"]))
    return csv_download(f"audit-{hours.now():%Y%m%d-%H%M}.csv", stream_with_context(lines))


def _entries(form: AuditFilters) -> Select:
    query = select(AuditEntry)
    if form.action.data:
        query = query.where(AuditEntry.action == AuditAction(form.action.data))
    if actor := (form.actor.data or "").strip().lower():
        query = query.where(func.lower(AuditEntry.actor_label).contains(actor, autoescape=True))
    if target := (form.target.data or "").strip():
        query = query.where(
            AuditEntry.target == target
            if ":" in target
            else AuditEntry.target.startswith(f"{target}:", autoescape=True)
        )
    if ip := (form.ip.data or "").strip():
        query = query.where(AuditEntry.ip == ip)
    zone = current_app.config["TIMEZONE"]
    if form.since.data:
        query = query.where(AuditEntry.at >= _local_midnight(form.since.data, zone))
    if form.until.data:
        query = query.where(AuditEntry.at < _local_midnight(form.until.data + timedelta(1), zone))
    return query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def _local_midnight(day: date, zone: str) -> datetime:
    return hours.local_to_utc(datetime.combine(day, time()), zone)


def _rows(query: Select, zone: str):
    for entry in db.session.scalars(query.execution_options(yield_per=500)):
        yield [
            entry.at,
            hours.to_local(entry.at, zone).strftime("%Y-%m-%d %H:%M:%S"),
            entry.action,
            entry.actor_label,
            entry.actor_id,
            entry.target,
            entry.ip,
            entry.user_agent,
            json.dumps(entry.detail, ensure_ascii=False, sort_keys=True, default=str),
        ]


def describe(detail: dict) -> list[str]:
    """An entry's detail as short lines for people: "role: agent → supervisor"."""
    lines = []
    for key, value in sorted((detail or {}).items()):
        if key == "changes" and isinstance(value, dict):
            lines += [f"{field}: {_change(pair)}" for field, pair in value.items()]
        else:
            lines.append(f"{key.replace('_', ' ')}: {_show(value)}")
    return lines


def _change(pair) -> str:
    if isinstance(pair, list) and len(pair) == 2:
        return f"{_show(pair[0])} → {_show(pair[1])}"
    return _show(pair)


def _show(value) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_show(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(map(_show, value))
    text = str(value)
    return text if len(text) <= 80 else text[:79] + "…"
