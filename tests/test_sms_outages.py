"""Outages while an SMS arrives: "200" always means "kept". Redis down: the raw row waits for
the sweep. Database down: the request is spooled to disk, and replayed exactly once."""

import json
import socket
import time
from pathlib import Path

import pytest
from harness import CUSTOMER, MONDAY_10_NAIROBI, Phone, counts, raw_rows

from ticketing import queues
from ticketing.extensions import db
from ticketing.models.enums import InboundStatus
from workers.sweep import sweep_stuck


def closed_port() -> int:
    """A local port with nothing listening on it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def desk(sms_app, department, staff, clock):
    clock.set(MONDAY_10_NAIROBI)
    staff("otieno", departments=[department("General")])
    db.session.commit()


def spooled(app) -> list[Path]:
    return sorted(Path(app.config["SPOOL_DIR"]).glob("*.json"))


def text_during_outage(make_app, twilio, body: str, params=None, **broken) -> tuple:
    """Post one signed SMS (or `params` again) to an app whose database or Redis is down."""
    down = make_app(SMS_BACKEND="twilio", TWILIO_API_BASE=twilio.base_url, **broken)
    phone = Phone(down.test_client(), CUSTOMER)
    params = params or phone.params(body)
    started = time.monotonic()
    with down.app_context():
        response = phone.post(params)
        db.session.remove()
    return response, params, time.monotonic() - started


def test_redis_down_the_text_is_kept_and_the_sweep_files_it_later(
    sms_app, desk, make_app, twilio, run_jobs, clock
):
    broken = {"REDIS_URL": f"redis://127.0.0.1:{closed_port()}/0"}
    response, params, took = text_during_outage(make_app, twilio, "Fridge not cooling", **broken)
    assert response.status_code == 200 and b"<Response>" in response.data and took < 5
    [raw] = raw_rows()
    assert (raw.external_id, raw.status) == (params["MessageSid"], InboundStatus.PENDING)
    assert queues.get_queue(queues.INBOUND).count == 0  # Redis never heard of it
    clock.advance(minutes=2)
    assert sweep_stuck() == {"outbox": 0, "inbound": 1}
    run_jobs()
    assert raw_rows()[0].status == InboundStatus.DONE
    assert counts()["tickets"] == 1 and len(twilio.sent_to(CUSTOMER)) == 1
    clock.advance(minutes=2)
    assert sweep_stuck() == {"outbox": 0, "inbound": 0} and run_jobs() == 0


DATABASES_DOWN = {
    "postgresql port with nothing listening": lambda tmp_path: (
        f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/fuatilia"
    ),
    "sqlite file in a directory we cannot write": lambda tmp_path: (
        "sqlite:////proc/fuatilia-no-such-dir/fuatilia.db"
    ),
}


@pytest.mark.parametrize("database", DATABASES_DOWN.values(), ids=DATABASES_DOWN.keys())
def test_database_down_the_text_is_spooled_then_replayed_exactly_once(
    sms_app, desk, make_app, twilio, run_jobs, database, tmp_path
):
    broken = {"SQLALCHEMY_DATABASE_URI": database(tmp_path)}
    response, params, took = text_during_outage(make_app, twilio, "Friji haipoi", **broken)
    assert response.status_code == 200 and took < 5
    retried, _, _ = text_during_outage(make_app, twilio, "", params=params, **broken)
    assert retried.status_code == 200
    files = spooled(sms_app)
    assert len(files) == 2 and counts()["inbound_raw"] == 0
    record = json.loads(files[0].read_text())
    assert (record["external_id"], record["channel"]) == (params["MessageSid"], "sms")

    # The database is back: the next webhook call replays the spool before its own text.
    phone = Phone(sms_app.test_client(), CUSTOMER)
    assert phone.post(params).status_code == 200  # and Twilio's retry of the same text
    phone.text("And the freezer too")
    assert spooled(sms_app) == []
    stored = raw_rows()
    assert [(r.external_id, r.source) for r in stored][:1] == [(params["MessageSid"], "spool")]
    assert len(stored) == 2
    run_jobs()
    assert counts()["tickets"] == 1 and counts()["messages"] == 2
    assert len(twilio.sent_to(CUSTOMER)) == 1


def test_the_replay_command_moves_the_spool_and_sets_aside_unreadable_files(
    sms_app, desk, make_app, twilio
):
    broken = {
        "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://postgres@127.0.0.1:"
        f"{closed_port()}/fuatilia"
    }
    _, params, _ = text_during_outage(make_app, twilio, "Kept on disk", **broken)
    spool = Path(sms_app.config["SPOOL_DIR"])
    (spool / "0-corrupt.json").write_text("{not json")
    result = sms_app.test_cli_runner().invoke(args=["replay-spool"])
    assert "replayed 1 spooled payloads" in result.output, result.output
    assert [r.external_id for r in raw_rows()] == [params["MessageSid"]]
    assert spooled(sms_app) == [] and (spool / "0-corrupt.bad").exists()
