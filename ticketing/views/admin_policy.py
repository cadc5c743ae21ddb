"""Administration of the follow-up engine: business hours, holidays, the follow-up policy and
the wording of every customer message (with a live SMS-length preview). Routes live on admin.bp,
so every page here is for admins only."""

from datetime import date

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ticketing import followup, hours, wording
from ticketing.channels.sms import segments
from ticketing.extensions import db
from ticketing.models import (
    Department,
    Holiday,
    MessageTemplate,
)
from ticketing.models.enums import Channel
from ticketing.views import audit_hooks

LANGUAGES = {"en": "English", "sw": "Kiswahili"}
CHANNELS = {"sms": Channel.SMS, "email": Channel.EMAIL}
MAX_BODY, MAX_SUBJECT = 5000, 255

bp = Blueprint("policy", __name__)  # nested in admin.bp: admins only


@bp.get("/follow-up")
def follow_up_index():
    departments = db.session.scalars(select(Department).order_by(Department.name)).all()
    return render_template(
        "admin/follow_up.html", departments=departments, day_names=hours.DAY_NAMES
    )


@bp.route("/departments/<int:department_id>/hours", methods=["GET", "POST"])
def business_hours(department_id: int):
    department = db.get_or_404(Department, department_id)
    week, error, error_day = department.working_hours or {}, None, None
    if request.method == "POST":
        typed = {
            day: (request.form.get(f"opens_{day}", ""), request.form.get(f"closes_{day}", ""))
            if request.form.get(f"open_{day}")
            else None
            for day in range(7)
        }
        try:
            department.working_hours = hours.parse_week(typed)
        except hours.WeekError as problem:
            error, error_day = str(problem), problem.day
            week = {str(day): list(span) for day, span in typed.items() if span}
        else:
            audit_hooks.setting_changed(
                "business_hours", department, week, department.working_hours
            )
            db.session.commit()
            flash(f"Business hours of {department.name} saved. New deadlines use them.", "success")
            return redirect(url_for("admin.policy.follow_up_index"))
    return render_template(
        "admin/hours.html",
        department=department,
        week=week,
        error=error,
        error_day=error_day,
        day_names=hours.DAY_NAMES,
    ), 400 if error else 200


@bp.route("/departments/<int:department_id>/policy", methods=["GET", "POST"])
def follow_up_policy(department_id: int):
    department = db.get_or_404(Department, department_id)
    typed, errors = _policy_as_text(department), {}
    if request.method == "POST":
        typed = {name: request.form.get(name, "") for name in typed}
        policy, errors = followup.parse_policy(typed)
        if not errors:
            before = audit_hooks.policy_state(department)
            department.policy = policy
            after = audit_hooks.policy_state(department)
            audit_hooks.setting_changed("follow_up_policy", department, before, after)
            db.session.commit()
            flash(
                f"Follow-up policy of {department.name} saved. It applies from each ticket's "
                "next step.",
                "success",
            )
            return redirect(url_for("admin.policy.follow_up_index"))
    return render_template(
        "admin/policy.html", department=department, typed=typed, errors=errors
    ), 400 if errors else 200


def _policy_as_text(department: Department) -> dict[str, str]:
    names = [*followup.POLICY_LIMITS, "pending_reminder_days", "quiet_start", "quiet_end"]
    values = {name: department.setting(name) for name in names}
    values["pending_reminder_days"] = ", ".join(map(str, values["pending_reminder_days"]))
    return {name: str(value) for name, value in values.items()}


@bp.route("/holidays", methods=["GET", "POST"])
def holidays():
    error = None
    if request.method == "POST":
        error = _add_holiday(request.form.get("day", ""), request.form.get("name", ""))
        if error is None:
            flash("Holiday added. Deadlines and quiet hours skip it from now on.", "success")
            return redirect(url_for("admin.policy.holidays"))
    added = db.session.scalars(select(Holiday).order_by(Holiday.day)).all()
    year = hours.now().year
    public = sorted(
        {
            **hours.public_holidays(current_app.config["HOLIDAY_COUNTRY"], year),
            **hours.public_holidays(current_app.config["HOLIDAY_COUNTRY"], year + 1),
        }.items()
    )
    return render_template(
        "admin/holidays.html", added=added, public=public, error=error, typed=request.form
    ), 400 if error else 200


def _add_holiday(day_text: str, name: str) -> dict[str, str] | None:
    """Store a closed day; the errors to show by field, or None."""
    name = name.strip()
    try:
        day = date.fromisoformat(day_text.strip()) if len(day_text) <= 20 else None
    except ValueError:
        day = None
    if day is None:
        return {"day": "Give the date as YYYY-MM-DD."}
    if not 1 <= len(name) <= 120:
        return {"name": "Give the holiday a name (up to 120 characters)."}
    holiday = Holiday(day=day, name=name)
    db.session.add(holiday)
    try:
        audit_hooks.setting_changed("holiday", holiday, {}, audit_hooks.holiday_state(holiday))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return {"day": f"{day.isoformat()} is already a holiday."}
    return None


@bp.post("/holidays/<int:holiday_id>/delete")
def delete_holiday(holiday_id: int):
    holiday = db.get_or_404(Holiday, holiday_id)
    audit_hooks.setting_changed("holiday", holiday, audit_hooks.holiday_state(holiday), {})
    db.session.delete(holiday)
    db.session.commit()
    flash("Holiday removed.", "success")
    return redirect(url_for("admin.policy.holidays"))


@bp.get("/templates")
def message_templates():
    edited = {
        (t.kind, t.language, t.channel.value) for t in db.session.scalars(select(MessageTemplate))
    }
    return render_template(
        "admin/templates.html", kinds=_kinds(), edited=edited, languages=LANGUAGES
    )


@bp.route("/templates/<language>/<channel>/<kind>", methods=["GET", "POST"])
def message_template(language: str, channel: str, kind: str):
    channel_ = _check_template_address(language, channel, kind)
    override = _override(kind, language, channel_)
    subject, body = (
        (override.subject, override.body)
        if override
        else wording.standard_source(kind, language, channel_)
    )
    saved = (subject, body)
    if request.method == "POST":
        subject, body = request.form.get("subject", ""), request.form.get("body", "")
    preview = _preview(kind, language, channel_, subject, body)
    if request.method == "POST" and request.form.get("action") == "save" and not preview["error"]:
        override = override or MessageTemplate(kind=kind, language=language, channel=channel_)
        override.subject, override.body, override.updated_at = subject, body, hours.now()
        db.session.add(override)
        audit_hooks.template_changed((language, channel, kind), saved, (subject, body))
        db.session.commit()
        flash(f"Saved the {LANGUAGES[language]} {channel.upper()} text of “{kind}”.", "success")
        return redirect(
            url_for("admin.policy.message_template", language=language, channel=channel, kind=kind)
        )
    status = 400 if request.method == "POST" and preview["error"] else 200
    return render_template(
        "admin/template.html",
        kind=kind,
        language=language,
        channel=channel,
        subject=subject,
        body=body,
        preview=preview,
        is_edited=bool(override),
        languages=LANGUAGES,
    ), status


@bp.post("/templates/<language>/<channel>/<kind>/preview")
def message_template_preview(language: str, channel: str, kind: str):
    channel_ = _check_template_address(language, channel, kind)
    return jsonify(
        _preview(
            kind, language, channel_, request.form.get("subject", ""), request.form.get("body", "")
        )
    )


@bp.post("/templates/<language>/<channel>/<kind>/reset")
def reset_message_template(language: str, channel: str, kind: str):
    override = _override(kind, language, _check_template_address(language, channel, kind))
    if override is not None:
        standard = wording.standard_source(kind, language, override.channel)
        edited = (override.subject, override.body)
        audit_hooks.template_changed((language, channel, kind), edited, standard, change="reset")
        db.session.delete(override)
        db.session.commit()
    flash(f"“{kind}” is back to the standard wording.", "success")
    return redirect(
        url_for("admin.policy.message_template", language=language, channel=channel, kind=kind)
    )


@bp.get("/templates/live-preview.js")
def template_preview_script():
    body = render_template("admin/template_preview.js")
    return current_app.response_class(body, mimetype="text/javascript")


def _kinds() -> dict[str, list[str]]:
    """Customer message kinds, each with the channels it has a standard template for."""
    kinds: dict[str, list[str]] = {}
    for name in current_app.jinja_env.list_templates(
        filter_func=lambda n: n.startswith("messages/en/")
    ):
        kind, _, extension = name.removeprefix("messages/en/").partition(".")
        channel = {"sms.txt": "sms", "email.txt": "email"}.get(extension)
        if channel:
            kinds.setdefault(kind, []).append(channel)
    return dict(sorted(kinds.items()))


def _check_template_address(language: str, channel: str, kind: str) -> Channel:
    if language not in LANGUAGES or channel not in _kinds().get(kind, []):
        abort(404)
    return CHANNELS[channel]


def _override(kind: str, language: str, channel: Channel) -> MessageTemplate | None:
    return db.session.scalar(
        select(MessageTemplate).where(
            MessageTemplate.kind == kind,
            MessageTemplate.language == language,
            MessageTemplate.channel == channel,
        )
    )


def _preview(kind: str, language: str, channel: Channel, subject: str, body: str) -> dict:
    """The text a sample customer would get, its SMS encoding and length, or the error."""
    result = {"subject": "", "text": "", "encoding": "", "segments": 0, "chars": 0, "error": ""}
    if not body.strip() or len(body) > MAX_BODY or len(subject) > MAX_SUBJECT:
        result["error"] = (
            f"The text is required, up to {MAX_BODY} characters; the subject up to {MAX_SUBJECT}."
        )
    elif channel == Channel.EMAIL and not subject.strip():
        result["error"] = "An email needs a subject."
    if result["error"]:
        return result
    try:
        context = wording.sample_context(language)
        result["subject"] = wording.render_text(subject, context) if subject else ""
        result["text"] = wording.render_text(body, context)
    except Exception as error:  # noqa: BLE001 - any fault in an admin's text is shown to them
        line = f" (line {error.lineno})" if getattr(error, "lineno", None) else ""
        result["error"] = f"{error.__class__.__name__}{line}: {error}"
        return result
    result["encoding"], result["segments"] = segments(result["text"])
    result["chars"] = len(result["text"])
    return result
