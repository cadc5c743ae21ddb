"""The public surface's rate limits (ticketing/limits.py), with the numbers declared there: a
clear 429 with Retry-After (a page for people, JSON for machines), a provider's burst never
refused, unsigned floods refused cheaply, and intake open when Redis is down."""

import logging
import threading
import time
import uuid

import pytest
from fakes.twilio_stub import sign
from harness import (
    OUR_NUMBER,
    STATUS,
    SUPPORT_FORM,
    WEBHOOK,
    Phone,
    counts,
)
from limits import parse
from redis import Redis

from ticketing import limits

NEIGHBOUR = {"REMOTE_ADDR": "198.51.100.20"}


def amount(declared: str) -> int:
    """The first (shortest-window) number of a declared limit, e.g. 10 of "10 per minute"."""
    return parse(declared.split(";")[0]).amount


@pytest.fixture
def phone(sms_app):
    return Phone(sms_app.test_client(), "+254712345678")


@pytest.fixture
def desk(department):
    return department("General")


@pytest.fixture
def ticket(db, client, desk):
    response = client.post("/support", data=SUPPORT_FORM)
    assert response.status_code == 302
    return response.headers["Location"].rsplit("/", 1)[1]


def assert_refused_clearly(response, *, json: bool):
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 60
    if json:
        assert response.json["error"]["code"] == "too_many_requests"
    else:
        assert response.mimetype == "text/html"
        assert "Too many requests" in response.get_data(as_text=True)


def test_support_posts_are_limited_per_address_and_the_form_stays_open(client, desk):
    for _ in range(amount(limits.SUPPORT_PER_IP)):
        assert client.post("/support", data={"name": ""}).status_code == 400
    assert_refused_clearly(client.post("/support", data=SUPPORT_FORM), json=False)
    assert client.get("/support").status_code == 200  # reading the form is not limited
    neighbour = client.post("/support", data=SUPPORT_FORM, environ_base=NEIGHBOUR)
    assert neighbour.status_code == 302


def test_guessed_status_tokens_are_limited_but_a_family_reading_its_page_is_not(client, ticket):
    for _ in range(amount(limits.STATUS_VIEWS_PER_IP) // 2):  # a family refreshing all day
        assert client.get(f"/t/{ticket}").status_code == 200
    for index in range(amount(limits.STATUS_MISSES_PER_IP)):
        assert client.get(f"/t/guess-{index}").status_code == 404
    assert_refused_clearly(client.get(f"/t/{ticket}"), json=False)
    assert client.get(f"/t/{ticket}", environ_base=NEIGHBOUR).status_code == 200


def test_status_page_views_have_a_generous_ceiling(client, ticket):
    for _ in range(amount(limits.STATUS_VIEWS_PER_IP)):
        assert client.get(f"/t/{ticket}").status_code == 200
    assert_refused_clearly(client.get(f"/t/{ticket}"), json=False)


def test_status_page_posts_share_one_limit(client, ticket):
    paths = [f"/t/{ticket}/{action}" for action in ("reply", "confirm", "fix-check", "rate")]
    for index in range(amount(limits.STATUS_POSTS_PER_IP)):
        assert client.post(paths[index % 4], data={}).status_code in (302, 400)
    assert_refused_clearly(client.post(paths[0], data={"body": "Hello?"}), json=False)
    assert client.get(f"/t/{ticket}").status_code == 200  # reading is another limit


def test_a_providers_burst_from_a_hundred_numbers_is_never_refused(phone):
    for index in range(100):
        sender = Phone(phone.client, f"+2547100{index:05d}")
        assert sender.post(sender.params(f"Friji yangu haipoi {index}")).status_code == 200
    assert counts()["inbound_raw"] == 100


def test_a_flood_from_one_sender_is_kept_and_logged(phone, caplog):
    caplog.set_level(logging.WARNING, "ticketing.views.webhooks")
    for index in range(amount(limits.SMS_PER_SENDER) + 1):
        assert phone.post(phone.params(f"text {index}")).status_code == 200
    assert counts()["inbound_raw"] == amount(limits.SMS_PER_SENDER) + 1
    assert [r.getMessage() for r in caplog.records if "flood" in r.getMessage()] == [
        f"inbound SMS flood from {phone.number}: kept, processing as usual"
    ]


def test_unsigned_floods_are_refused_cheaply_and_twilio_is_not(phone, sms_app):
    for index in range(amount(limits.WEBHOOK_REFUSED_PER_IP)):
        forged = phone.post(phone.params(f"forged {index}"), signature="bad")
        assert forged.status_code == 403
    refused = phone.post(phone.params("forged again"), signature="bad")
    assert_refused_clearly(refused, json=True)
    twilio = Phone(sms_app.test_client(), "+254712000111")
    params = twilio.params("genuine, from Twilio's address")
    genuine = twilio.client.post(
        WEBHOOK,
        data=params,
        headers={"X-Twilio-Signature": sign(twilio.base_url + WEBHOOK, params, twilio.token)},
        environ_base=NEIGHBOUR,
    )
    assert genuine.status_code == 200
    assert counts()["inbound_raw"] == 1


def test_the_email_webhook_refuses_wrong_secrets_cheaply(client):
    for _ in range(amount(limits.WEBHOOK_REFUSED_PER_IP)):
        response = client.post(
            "/webhooks/email", data=b"x", headers={"Authorization": "Bearer wrong"}
        )
        assert response.status_code == 401
    right = client.post(
        "/webhooks/email", data=b"x", headers={"Authorization": "Bearer inbound-secret"}
    )
    assert_refused_clearly(right, json=True)


def test_each_webhook_has_a_per_address_ceiling(phone):
    """Status callbacks: cheap to post (no row of ours), so the whole ceiling can be walked."""
    params = {"MessageSid": "SM" + "0" * 32, "MessageStatus": "delivered", "To": OUR_NUMBER}
    signature = sign(phone.base_url + STATUS, params, phone.token)
    for _ in range(amount(limits.WEBHOOK_PER_IP)):
        response = phone.post(params, path=STATUS, signature=signature)
        assert response.status_code == 204
    assert_refused_clearly(phone.post(params, path=STATUS, signature=signature), json=True)
    assert phone.post(phone.params("a text is another endpoint")).status_code == 200


def test_the_health_check_is_never_limited(client):
    for _ in range(20):
        response = client.get("/healthz")
        assert response.status_code == 200
        assert "X-RateLimit-Limit" not in response.headers  # no limit applies to it at all


def test_with_redis_down_intake_fails_open(db, make_app, app, desk, caplog):
    down = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    client = down.test_client()
    for _ in range(amount(limits.SUPPORT_PER_IP) + 1):
        assert client.post("/support", data=SUPPORT_FORM).status_code == 302
    texter = Phone(client, "+254712345678")
    for index in range(amount(limits.WEBHOOK_REFUSED_PER_IP) + 1):
        assert texter.post(texter.params(f"still here {index}")).status_code == 200
    assert counts()["inbound_raw"] == amount(limits.WEBHOOK_REFUSED_PER_IP) + 1
    assert "Failed to rate limit. Swallowing error" in caplog.text


def limiter_round_trips(app, post) -> list[str]:
    """The commands on the limit keys that this app's clients sent Redis while `post` ran
    (MONITOR, this database only; a script's own commands are not round trips)."""
    redis = Redis.from_url(app.config["REDIS_URL"])
    database = redis.connection_pool.connection_kwargs.get("db", 0)
    seen, ready, end = [], threading.Event(), f"end-{uuid.uuid4().hex}"

    def watch():
        with redis.monitor() as monitor:
            ready.set()
            for command in monitor.listen():
                if end in command["command"]:
                    return
                if command["db"] == database and command.get("client_type") != "lua":
                    seen.append(command["command"])

    watcher = threading.Thread(target=watch)
    watcher.start()
    ready.wait(5)
    time.sleep(0.1)  # MONITOR answers OK before it starts relaying
    post()
    redis.echo(end)
    watcher.join(10)
    return [command for command in seen if "LIMITS:" in command]


def test_a_support_post_counts_both_windows_in_one_round_trip(app, client, desk):
    assert client.post("/support", data=SUPPORT_FORM).status_code == 302  # scripts loaded
    trips = limiter_round_trips(
        app, lambda: client.post("/support", data=SUPPORT_FORM | {"subject": "Again"})
    )
    assert len(trips) == 1, trips  # Flask-Limiter took four: a script per window, GET, TTL
    assert "/10/1/minute" in trips[0] and "/60/1/hour" in trips[0]


def test_a_webhook_post_counts_its_ceiling_and_reads_its_refusals_in_one_round_trip(sms_app, phone):
    assert phone.post(phone.params("first")).status_code == 200  # the script is loaded
    trips = limiter_round_trips(sms_app, lambda: phone.post(phone.params("second")))
    mine = [trip for trip in trips if "webhooks.twilio_sms" in trip]
    assert len(mine) == 1, trips  # Flask-Limiter took five: INCR, EXPIRE, GET, GET, TTL
    assert "/1200/1/minute" in mine[0] and "/10/1/minute" in mine[0]
    assert len(trips) == 2 and "sms-sender" in trips[1]  # per sender, counted once signed


def test_a_refused_webhook_post_is_counted_and_past_the_refusals_none_reach_the_check(
    sms_app, phone
):
    forged = lambda: phone.post(phone.params("forged"), signature="bad")  # noqa: E731
    assert forged().status_code == 403
    trips = limiter_round_trips(sms_app, forged)
    assert len(trips) == 2, trips  # the check, then the refusal counted
    for _ in range(amount(limits.WEBHOOK_REFUSED_PER_IP) - 2):
        assert forged().status_code == 403
    refused = forged()
    assert_refused_clearly(refused, json=True)
    assert refused.headers["X-RateLimit-Remaining"] == "0"
