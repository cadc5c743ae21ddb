"""Sign-in that strangers cannot abuse (issue 13): guesses never keep the owner out of a known
device, without it the owner waits only a short, growing, capped delay, unknown and known
emails answer alike (and run the same hash), the address limit honours X-Forwarded-For only
behind configured proxies, and every outcome is in the audit log."""

import hashlib
import re

import pytest
from harness import MONDAY_10_NAIROBI, PASSWORD
from sqlalchemy import select

from ticketing.models import AuditEntry
from ticketing.models.enums import AuditAction
from ticketing.signin import DEVICE_COOKIE

STRANGER, OWNER_HOME = "203.0.113.66", "198.51.100.7"
# Few free failures and a low cap: each password hash costs a tenth of a second or more.
pytestmark = pytest.mark.config(LOGIN_MAX_FAILURES=2, LOGIN_MAX_DELAY_SECONDS=32)


@pytest.fixture
def otieno(staff):
    return staff("otieno")


def attempt(client, email, password, ip="192.0.2.1", **headers):
    return client.post(
        "/auth/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": ip},
        headers=headers,
    )


def known_device(web, user):
    """A browser the owner signed in on, then signed out of: it keeps the device cookie."""
    browser = web.test_client()
    assert attempt(browser, user.email, PASSWORD, ip=OWNER_HOME).status_code == 302
    assert browser.get_cookie(DEVICE_COOKIE, path="/auth") is not None
    browser.post("/auth/logout")
    return browser


def guess_until_throttled(client, email, *, start=0) -> int:
    """Wrong passwords from ever-new addresses (so only the per-account delay can stop them),
    until one is refused; returns how many were checked."""
    for index in range(start, start + 50):
        response = attempt(client, email, "not-it", ip=f"10.1.{index // 250}.{index % 250}")
        if response.status_code == 429:
            return index - start
        assert response.status_code == 401
    raise AssertionError("never throttled")


def entries(db, action=None):
    db.session.expire_all()
    query = select(AuditEntry).order_by(AuditEntry.id)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    return db.session.scalars(query).all()


def test_a_strangers_guesses_never_stop_the_owner_on_a_known_device(web, client, otieno, clock):
    clock.set(MONDAY_10_NAIROBI)
    browser = known_device(web, otieno)
    assert guess_until_throttled(client, otieno.email) == 2
    for _ in range(12):  # and the stranger keeps at it from one address
        assert attempt(client, otieno.email, "still-not-it", ip=STRANGER).status_code in (401, 429)
    assert attempt(web.test_client(), otieno.email, PASSWORD).status_code == 429
    assert attempt(browser, otieno.email, PASSWORD, ip=STRANGER).status_code == 302


def test_without_the_device_the_owner_waits_a_delay_that_grows_and_is_capped(
    client, otieno, clock, app
):
    clock.set(MONDAY_10_NAIROBI)
    free = guess_until_throttled(client, otieno.email)
    assert free == app.config["LOGIN_MAX_FAILURES"]
    waits = []
    for index in range(7):
        refused = attempt(client, otieno.email, "not-it", ip=f"10.2.0.{index}")
        assert refused.status_code == 429
        waits.append(int(refused.headers["Retry-After"]))
        clock.advance(seconds=waits[-1] - 1)  # a second early is still refused
        assert attempt(client, otieno.email, PASSWORD, ip=f"10.3.0.{index}").status_code == 429
        clock.advance(seconds=1)
        assert attempt(client, otieno.email, "not-it", ip=f"10.4.0.{index}").status_code == 401
    assert waits == [2, 4, 8, 16, 32, 32, 32]
    clock.advance(seconds=32)
    assert attempt(client, otieno.email, PASSWORD).status_code == 302


def test_a_sign_in_forgets_the_failures(client, otieno, clock):
    clock.set(MONDAY_10_NAIROBI)
    assert attempt(client, otieno.email, "not-it", ip="10.5.0.1").status_code == 401
    assert attempt(client, otieno.email, PASSWORD).status_code == 302
    stranger = client.application.test_client()  # the owner's browser is a known device now
    assert guess_until_throttled(stranger, otieno.email, start=100) == 2


def normalised(response, email):
    body = response.get_data(as_text=True).replace(email, "EMAIL")
    body = re.sub(r'name="csrf_token"[^>]*value="[^"]*"', "CSRF", body)
    headers = sorted(
        (name, value.split("=", 1)[0] if name == "Set-Cookie" else value)
        for name, value in response.headers.items()
        if name not in ("Date", "Content-Length")  # the emails' lengths differ
    )
    return response.status_code, headers, body


@pytest.fixture
def hashes(monkeypatch):
    """How many password hashes ran (werkzeug's scrypt calls hashlib.scrypt each time)."""
    calls = []
    real = hashlib.scrypt

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counting)
    return calls


def test_unknown_disabled_and_known_emails_answer_alike_and_hash_alike(
    db, web, otieno, staff, hashes, clock
):
    clock.set(MONDAY_10_NAIROBI)
    disabled = staff("amani", is_enabled=False)
    cases = {
        "known, wrong password": (otieno.email, "not-it"),
        "unknown": ("nobody@fuatilia.test", "not-it"),
        "disabled, right password": (disabled.email, PASSWORD),
    }
    answers = {}
    for name, (email, password) in cases.items():
        hashes.clear()
        first = attempt(web.test_client(), email, password, ip="192.0.2.10")
        assert len(hashes) == 1, name  # the password hash ran, account or not
        attempt(web.test_client(), email, password, ip="192.0.2.20")
        hashes.clear()
        throttled = attempt(web.test_client(), email, password, ip="192.0.2.30")
        assert hashes == [], name  # refused before any hash, for every email alike
        answers[name] = (normalised(first, email), normalised(throttled, email))
    assert answers["known, wrong password"][0][0] == 401
    assert answers["known, wrong password"][1][0] == 429
    assert len({repr(answer) for answer in answers.values()}) == 1, answers


def test_the_address_limit_refuses_with_retry_after_whatever_the_email(db, client, staff, hashes):
    for index in range(10):
        assert attempt(client, f"guess{index}@fuatilia.test", "x", ip=STRANGER).status_code == 401
    hashes.clear()
    refused = attempt(client, "another@fuatilia.test", "x", ip=STRANGER)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert "Too many attempts" in refused.get_data(as_text=True)
    assert hashes == []
    owner = staff("wanjiru")
    assert attempt(client, owner.email, PASSWORD, ip=OWNER_HOME).status_code == 302
    [throttled] = entries(db, AuditAction.SIGN_IN_THROTTLED)
    assert throttled.detail == {
        "scope": "per_ip",
        "retry_after": int(refused.headers["Retry-After"]),
    }
    assert (throttled.ip, throttled.actor_label) == (STRANGER, "another@fuatilia.test")


@pytest.mark.parametrize("proxies, counted_as", [(0, "127.0.0.1"), (1, "203.0.113.9")])
def test_x_forwarded_for_counts_only_behind_configured_proxies(
    db, make_app, app, proxies, counted_as
):
    client = make_app(TRUSTED_PROXIES=proxies).test_client()
    statuses = []
    for index in range(11):
        response = client.post(
            "/auth/login",
            data={"email": f"guess{index}@fuatilia.test", "password": "x"},
            headers={"X-Forwarded-For": f"203.0.113.{index}"},
        )
        statuses.append(response.status_code)
    # Each guess claims a new address: believed behind one proxy, ignored otherwise.
    assert statuses == [401] * 10 + [429 if proxies == 0 else 401]
    assert entries(db)[9].ip == counted_as


def test_the_device_cookie_is_signed_httponly_and_bound_to_its_user(web, otieno, staff, clock):
    clock.set(MONDAY_10_NAIROBI)
    browser = web.test_client()
    response = attempt(browser, otieno.email, PASSWORD)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(DEVICE_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/auth" in cookie
    assert "Secure" not in cookie  # http here; see the https test below
    browser.post("/auth/logout")
    grace = staff("grace")
    guess_until_throttled(web.test_client(), grace.email)
    # Otieno's device vouches for Otieno only; a forged cookie vouches for nobody.
    assert attempt(browser, grace.email, PASSWORD).status_code == 429
    guess_until_throttled(web.test_client(), otieno.email, start=100)
    forged = web.test_client()
    forged.set_cookie(DEVICE_COOKIE, "eyJ1c2VyIjogMX0.forged.sig", path="/auth")
    assert attempt(forged, otieno.email, PASSWORD).status_code == 429
    assert attempt(browser, otieno.email, PASSWORD).status_code == 302


@pytest.mark.config(PUBLIC_BASE_URL="https://help.example.co.ke")
def test_the_device_cookie_is_secure_behind_https(client, otieno):
    response = attempt(client, otieno.email, PASSWORD)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(DEVICE_COOKIE))
    assert "Secure" in cookie


def test_a_known_device_has_its_own_failure_limit(web, otieno, clock):
    clock.set(MONDAY_10_NAIROBI)
    browser = known_device(web, otieno)
    for _ in range(5):  # the device's own allowance: the account is not charged
        assert attempt(browser, otieno.email, "typo", ip=OWNER_HOME).status_code == 401
    for index in range(2):  # past it, the device is a stranger: the account delay applies
        assert attempt(browser, otieno.email, "typo", ip=f"10.6.0.{index}").status_code == 401
    assert attempt(browser, otieno.email, PASSWORD, ip=OWNER_HOME).status_code == 429


def test_a_password_change_retires_the_other_browsers_device_cookies(web, otieno, clock, login):
    clock.set(MONDAY_10_NAIROBI)
    old_browser = known_device(web, otieno)
    current = login(web.test_client(), otieno)
    changed = current.post("/auth/password", data={"current": PASSWORD, "new": "a new long secret"})
    assert changed.status_code == 302
    assert any(c.startswith(DEVICE_COOKIE) for c in changed.headers.getlist("Set-Cookie"))
    guess_until_throttled(web.test_client(), otieno.email)
    assert attempt(old_browser, otieno.email, "a new long secret").status_code == 429
    current.post("/auth/logout")
    assert attempt(current, otieno.email, "a new long secret").status_code == 302


def test_every_sign_in_outcome_is_audited_with_the_address(db, web, otieno, clock):
    clock.set(MONDAY_10_NAIROBI)
    browser = web.test_client()
    attempt(browser, "nobody@fuatilia.test", "x", ip=STRANGER)
    attempt(browser, otieno.email, "wrong", ip=STRANGER)
    attempt(browser, otieno.email, PASSWORD, ip=OWNER_HOME)
    browser.post(
        "/auth/password",
        data={"current": PASSWORD, "new": "a new long secret"},
        environ_base={"REMOTE_ADDR": OWNER_HOME},
    )
    browser.post("/auth/logout", environ_base={"REMOTE_ADDR": OWNER_HOME})
    for index in range(2):
        attempt(browser, "nobody@fuatilia.test", "x", ip=f"10.7.0.{index}")
    logged = [
        (e.action, e.actor_id, e.actor_label, e.ip, e.detail.get("reason")) for e in entries(db)
    ]
    assert logged[:6] == [
        (AuditAction.SIGN_IN_FAILED, None, "nobody@fuatilia.test", STRANGER, "unknown_account"),
        (AuditAction.SIGN_IN_FAILED, None, otieno.email, STRANGER, "wrong_password"),
        (AuditAction.SIGN_IN, otieno.id, otieno.email, OWNER_HOME, None),
        (AuditAction.PASSWORD_CHANGED, otieno.id, otieno.email, OWNER_HOME, None),
        (AuditAction.SIGN_OUT, otieno.id, otieno.email, OWNER_HOME, None),
        (AuditAction.SIGN_IN_FAILED, None, "nobody@fuatilia.test", "10.7.0.0", "unknown_account"),
    ]
    assert logged[-1][0] == AuditAction.SIGN_IN_THROTTLED
    assert entries(db, AuditAction.SIGN_IN_THROTTLED)[0].detail["scope"] == "per_account"


def test_with_redis_down_sign_in_is_still_throttled_in_memory(db, make_app, app, otieno):
    client = make_app(REDIS_URL="redis://127.0.0.1:1/0").test_client()
    for index in range(10):
        assert attempt(client, f"guess{index}@fuatilia.test", "x", ip=STRANGER).status_code == 401
    assert attempt(client, "more@fuatilia.test", "x", ip=STRANGER).status_code == 429
    assert attempt(client, otieno.email, PASSWORD, ip=OWNER_HOME).status_code == 302
