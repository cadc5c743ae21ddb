"""Signing in and out: delayed failures, safe redirects, cookies, sessions that really end
(the throttling itself is told in test_signin_throttle.py)."""

import pytest
from harness import MONDAY_10_NAIROBI, PASSWORD
from sqlalchemy import select

from ticketing.models import User
from ticketing.models.enums import Role


@pytest.fixture
def otieno(department, staff):
    return staff("otieno", departments=[department("After-sales service")])


def sign_in(client, email, password, **query):
    return client.post(
        "/auth/login", data={"email": email, "password": password}, query_string=query
    )


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(client, otieno):
    response = sign_in(client, otieno.email, "wrong")
    assert response.status_code == 401
    assert "Wrong email or password." in response.get_data(as_text=True)
    unknown = sign_in(client, "nobody@fuatilia.test", "wrong")
    assert unknown.status_code == 401
    assert client.get("/agent/").status_code == 302


def test_repeated_failures_delay_the_next_attempt_but_never_lock(client, otieno, app, clock):
    clock.set(MONDAY_10_NAIROBI)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        sign_in(client, otieno.email, "wrong")
    delayed = sign_in(client, otieno.email, PASSWORD)
    assert delayed.status_code == 429
    assert delayed.headers["Retry-After"] == "2"
    clock.advance(seconds=2)
    assert sign_in(client, otieno.email, PASSWORD).status_code == 302


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/agent/tickets/1", "/agent/tickets/1"),
        ("https://evil.example/phish", "/agent/"),
        ("//evil.example", "/agent/"),
        ("/\\evil.example", "/agent/"),
        ("javascript:alert(1)", "/agent/"),
    ],
)
def test_next_redirects_stay_on_this_site(client, otieno, target, expected):
    response = sign_in(client, otieno.email, PASSWORD, next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_logout_ends_every_copy_of_the_session(web, client, otieno):
    sign_in(client, otieno.email, PASSWORD)
    stolen = web.test_client()
    stolen.set_cookie("session", client.get_cookie("session").value)
    assert stolen.get("/agent/").status_code == 200
    client.post("/auth/logout")
    assert stolen.get("/agent/").status_code == 302


def test_password_change_ends_other_sessions_and_keeps_this_one(web, client, otieno):
    sign_in(client, otieno.email, PASSWORD)
    other = web.test_client()
    sign_in(other, otieno.email, PASSWORD)
    response = client.post(
        "/auth/password", data={"current": PASSWORD, "new": "a much longer secret"}
    )
    assert response.status_code == 302
    assert client.get("/agent/").status_code == 200
    assert other.get("/agent/").status_code == 302


def test_remember_me_cookie_is_httponly_and_lax(client, otieno):
    response = client.post(
        "/auth/login", data={"email": otieno.email, "password": PASSWORD, "remember": "y"}
    )
    cookies = response.headers.getlist("Set-Cookie")
    for name in ("session", "remember_token"):
        cookie = next(c for c in cookies if c.startswith(name + "="))
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


@pytest.mark.config(PUBLIC_BASE_URL="https://help.example.co.ke")
def test_cookies_are_secure_behind_https(client, otieno):
    response = client.post(
        "/auth/login", data={"email": otieno.email, "password": PASSWORD, "remember": "y"}
    )
    cookies = response.headers.getlist("Set-Cookie")
    assert all("Secure" in c for c in cookies if c.startswith(("session=", "remember_token=")))


def test_disabled_user_cannot_sign_in(db, client, otieno):
    otieno.is_enabled = False
    db.session.commit()
    assert sign_in(client, otieno.email, PASSWORD).status_code == 401


def test_roles_gate_reports_and_admin(client, login, staff, otieno):
    login(client, otieno)
    assert client.get("/reports/").status_code == 403
    assert client.get("/admin/").status_code == 403
    boss = login(client.application.test_client(), staff("grace", role=Role.SUPERVISOR))
    assert boss.get("/reports/").status_code == 200
    assert boss.get("/admin/").status_code == 403
    admin = login(client.application.test_client(), staff("amani", role=Role.ADMIN))
    assert admin.get("/admin/").status_code == 200


def test_production_refuses_missing_secret_and_console_backends(monkeypatch):
    from config import Config
    from ticketing import ConfigurationError, create_app

    monkeypatch.setattr(Config, "ENV", "production")
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app({"SECRET_KEY": None})
    with pytest.raises(ConfigurationError, match="console"):
        create_app({"SECRET_KEY": "s3cret"})
    app = create_app({"SECRET_KEY": "s3cret", "ALLOW_CONSOLE_BACKENDS": True})
    assert app.config["SMS_BACKEND"] == "console"


def test_users_are_stored_with_hashed_passwords(db, otieno):
    stored = db.session.scalar(select(User.password_hash).where(User.id == otieno.id))
    assert PASSWORD not in stored and stored.startswith(("scrypt:", "pbkdf2:"))


def test_set_password_stores_a_full_strength_hash(db, otieno):
    """The fixtures' users carry a cheap hash for speed; what the app stores must not be."""
    from conftest import FIXTURE_HASH_METHOD
    from werkzeug.security import check_password_hash

    otieno.set_password("a new long passphrase")
    db.session.commit()
    stored = db.session.scalar(select(User.password_hash).where(User.id == otieno.id))
    method = stored.split("$", 1)[0]
    assert method != FIXTURE_HASH_METHOD
    kind, *cost = method.split(":")
    assert kind == "scrypt" and int(cost[0]) >= 2**15, method
    assert check_password_hash(stored, "a new long passphrase")
