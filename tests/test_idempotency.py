"""Idempotency-Key on POST /api/v1/tickets, as draft-ietf-httpapi-idempotency-key-header says:
the same key and body get the first answer, another body 422, a concurrent twin no 5xx."""

import threading

import pytest
import requests
from sqlalchemy import func, select

from ticketing.models import Customer, IdempotencyKey, Ticket
from ticketing.models.enums import Role
from ticketing.security import issue_token

NEW = {
    "subject": "Charged twice",
    "body": "I was charged twice for order 11",
    "customer": {"name": "Brian", "email": "brian@example.co.ke"},
}


@pytest.fixture
def token(db, department, staff):
    department("Billing", keywords="charged")
    grace = staff("grace", role=Role.SUPERVISOR)
    value = issue_token(grace)
    db.session.commit()
    return value


def tickets(db) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Ticket.id)))


def post(client, token, body, key=None):
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post("/api/v1/tickets", json=body, headers=headers)


def test_same_key_and_body_replays_the_first_answer(db, client, token):
    first = post(client, token, NEW, "order-11")
    again = post(client, token, NEW, "order-11")
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    # Key order and spacing are not a different body.
    reordered = {"customer": NEW["customer"], "body": NEW["body"], "subject": NEW["subject"]}
    assert post(client, token, reordered, "order-11").json["id"] == first.json["id"]
    assert tickets(db) == 1


def test_same_key_with_another_body_is_422_and_creates_nothing(db, client, token):
    post(client, token, NEW, "order-11")
    other = post(client, token, NEW | {"subject": "Charged three times"}, "order-11")
    assert other.status_code == 422
    assert other.json["error"]["code"] == "idempotency_key_reused"
    assert tickets(db) == 1


def test_keys_belong_to_one_token(db, client, token, staff):
    kamau = staff("kamau", role=Role.SUPERVISOR)
    other_token = issue_token(kamau)
    db.session.commit()
    mine = post(client, token, NEW, "k-1")
    theirs = post(client, other_token, NEW, "k-1")
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json["id"] != theirs.json["id"]


def test_a_refused_request_does_not_use_up_the_key(db, client, token):
    bad = post(client, token, NEW | {"priority": "asap"}, "k-2")
    assert bad.status_code == 422 and bad.json["error"]["field"] == "priority"
    good = post(client, token, NEW | {"priority": "high"}, "k-2")
    assert good.status_code == 201 and good.json["priority"] == "high"
    assert tickets(db) == 1


def test_a_failure_while_creating_releases_the_key(db, client, token, monkeypatch):
    from ticketing import lifecycle

    real = lifecycle.open_ticket

    def broken(*args, **kwargs):
        real(*args, **kwargs)
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(lifecycle, "open_ticket", broken)
    with pytest.raises(RuntimeError):  # TESTING propagates it; in production, a 500
        post(client, token, NEW, "k-3")
    assert tickets(db) == 0
    assert db.session.scalar(select(func.count(IdempotencyKey.id))) == 0
    monkeypatch.setattr(lifecycle, "open_ticket", real)
    assert post(client, token, NEW, "k-3").status_code == 201
    assert tickets(db) == 1


def test_an_in_progress_key_answers_409_with_retry_after(db, client, token):
    """A key row without a ticket is a request still running (as another worker leaves it)."""
    from ticketing import hours
    from ticketing.models import User

    owner = db.session.scalar(select(User).where(User.email == "grace@fuatilia.test"))
    db.session.add(IdempotencyKey(user_id=owner.id, key="k-4", created_at=hours.now()))
    db.session.commit()
    busy = post(client, token, NEW, "k-4")
    assert busy.status_code == 409 and busy.headers["Retry-After"] == "1"
    assert busy.json["error"]["code"] == "request_in_progress"
    assert tickets(db) == 0


def test_an_abandoned_in_progress_key_is_taken_over(db, client, token):
    from datetime import timedelta

    from ticketing import hours
    from ticketing.models import User

    owner = db.session.scalar(select(User).where(User.email == "grace@fuatilia.test"))
    stale = hours.now() - timedelta(minutes=10)
    db.session.add(IdempotencyKey(user_id=owner.id, key="k-5", created_at=stale))
    db.session.commit()
    assert post(client, token, NEW, "k-5").status_code == 201
    assert tickets(db) == 1


@pytest.mark.parametrize("key", ["", " ", "x" * 121, "caf\u00e9", "#fp:abc"])
def test_an_unusable_key_is_400(db, client, token, key):
    response = post(client, token, NEW, key)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_idempotency_key"
    assert tickets(db) == 0


def test_eight_concurrent_posts_with_one_key_create_one_ticket(db, token, live_server):
    """Real threads against a real HTTP server: one 201, the rest replays or 409s, no 5xx."""
    start, results = threading.Barrier(8), []
    body = NEW | {"customer": {"phone": "0722000003"}}

    def send():
        start.wait()
        response = requests.post(
            f"{live_server.url}/api/v1/tickets",
            json=body,
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "race-1"},
            timeout=30,
        )
        results.append((response.status_code, response.json()))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    statuses = sorted(status for status, _ in results)
    assert len(results) == 8 and all(status in (201, 409) for status in statuses), statuses
    assert tickets(db) == 1
    assert db.session.scalar(select(func.count(Customer.id))) == 1
    created = {answer["id"] for status, answer in results if status == 201}
    assert len(created) == 1
    busy = [answer for status, answer in results if status == 409]
    assert all(answer["error"]["code"] == "request_in_progress" for answer in busy)
    # Once the first has finished, a retry of any of them replays it.
    retry = requests.post(
        f"{live_server.url}/api/v1/tickets",
        json=body,
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "race-1"},
        timeout=30,
    )
    assert retry.status_code == 201 and retry.json()["id"] in created
