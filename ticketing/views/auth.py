"""Staff sign-in with throttled failures, safe redirects, and sessions that really end."""

from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from ticketing import hours
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
    user = db.session.scalar(select(User).where(User.email == form.email.data.strip().lower()))
    now = hours.now()
    if user is not None and user.locked_until and user.locked_until > now:
        flash("Too many failed attempts. Try again in a few minutes.", "error")
        return render_template("auth/login.html", form=form), 429
    if user is None or not user.is_enabled or not user.check_password(form.password.data):
        if user is not None:
            _count_failure(user, now)
        flash(GENERIC_FAILURE, "error")
        return render_template("auth/login.html", form=form), 401
    user.failed_logins, user.locked_until = 0, None
    db.session.commit()
    session.clear()
    login_user(user, remember=form.remember.data)
    return redirect(safe_next(request.args.get("next")))


def _count_failure(user: User, now) -> None:
    user.failed_logins += 1
    if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
        user.locked_until = now + timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
        user.failed_logins = 0
    db.session.commit()


@bp.post("/logout")
@login_required
def logout():
    """End this session and every copy of it: the session version moves on."""
    current_user.session_version += 1
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
            user.set_password(form.new.data)
            db.session.commit()
            login_user(user)  # this session carries on with the new version; others end
            flash("Password changed. Other sessions are signed out.", "success")
            return redirect(url_for("agent.queue"))
    return render_template("auth/password.html", form=form)
