"""Staff sign-in (throttled by ticketing/signin.py, audited), safe redirects, and sessions that
really end."""

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from ticketing import audit, signin
from ticketing.audit import AuditAction
from ticketing.extensions import db
from ticketing.forms import LoginForm, PasswordChangeForm
from ticketing.models import User

bp = Blueprint("auth", __name__, url_prefix="/auth")
GENERIC_FAILURE = "Wrong email or password."


def safe_next(target: str | None) -> str:
    """Only same-site paths: no scheme, no host, no "//" or backslash tricks."""
    if not target:
        return url_for("agent.queue")
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith(("//", "/\\"))
    ):
        return url_for("agent.queue")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("agent.queue"))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template(
            "auth/login.html", form=form
        ), 400 if request.method == "POST" else 200
    email = form.email.data.strip().lower()
    user = db.session.scalar(select(User).where(User.email == email))
    device = signin.device_for(user)
    throttle = signin.throttle(email, device)
    if throttle is not None:
        return _throttled(form, email, throttle)
    failure = signin.check_password(user, form.password.data)
    if failure is not None:
        return _failed(form, email, device, failure)
    signin.record_success(email, device)
    audit.record(AuditAction.SIGN_IN, actor=user, detail={"known_device": device is not None})
    db.session.commit()
    session.clear()
    login_user(user, remember=form.remember.data)
    response = redirect(safe_next(request.args.get("next")))
    signin.remember_device(response, user, device)
    return response


def _throttled(form: LoginForm, email: str, throttle: signin.Throttle):
    """Refused before the password is looked at: the same for every email, known or not."""
    audit.record(
        AuditAction.SIGN_IN_THROTTLED,
        actor_label=email,
        detail={"scope": throttle.scope, "retry_after": throttle.retry_after},
    )
    db.session.commit()
    flash(f"Too many attempts. Try again in {throttle.retry_after} seconds.", "error")
    response = make_response(render_template("auth/login.html", form=form), 429)
    response.headers["Retry-After"] = str(throttle.retry_after)
    return response


def _failed(form: LoginForm, email: str, device: str | None, failure: signin.Failure):
    signin.record_failure(email, device)
    audit.record(
        AuditAction.SIGN_IN_FAILED,
        actor_label=email,
        detail={"reason": failure, "known_device": device is not None},
    )
    db.session.commit()
    flash(GENERIC_FAILURE, "error")
    return render_template("auth/login.html", form=form), 401


@bp.post("/logout")
@login_required
def logout():
    """End this session and every copy of it: the session version moves on."""
    current_user.session_version += 1
    audit.record(AuditAction.SIGN_OUT, actor=current_user._get_current_object())
    db.session.commit()
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors = ["That is not your current password."]
        else:
            user = current_user._get_current_object()
            device = signin.device_for(user)  # before the change, which re-keys the cookie
            user.set_password(form.new.data)
            audit.record(AuditAction.PASSWORD_CHANGED, actor=user)
            db.session.commit()
            login_user(user)  # this session carries on with the new version; others end
            flash("Password changed. Other sessions are signed out.", "success")
            response = redirect(url_for("agent.queue"))
            signin.remember_device(response, user, device)
            return response
    return render_template("auth/password.html", form=form)
