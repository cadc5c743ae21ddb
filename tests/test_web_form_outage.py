"""The web form while the database is down: the submission is spooled (202, an honest page)
and filed exactly once when the database is back, like any other /support ticket; when even
the spool cannot be written the form comes back as typed (503). The 500 page claims nothing
that is not true."""

import base64
import io
import json
import re
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from harness import MONDAY_10_NAIROBI, SUPPORT_FORM, counts, outbox_rows, page_text, raw_rows
from sqlalchemy import select
from test_sms_outages import closed_port

from ticketing import intake, spool
from ticketing.channels import web
from ticketing.extensions import db
from ticketing.models import Event, Message, Ticket
from ticketing.models.enums import Category, Channel, InboundStatus, Language

DATABASES_DOWN = {
    "postgresql port with nothing listening": lambda: (
        f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/fuatilia"
    ),
    "sqlite file in a directory we cannot write": lambda: (
        "sqlite:////proc/fuatilia-no-such-dir/fuatilia.db"
    ),
}
SWAHILI_PAGE = "Tumepokea ujumbe wako"


@pytest.fixture
def desk(department, staff, clock):
    clock.set(MONDAY_10_NAIROBI)
    staff("achieng", departments=[department("Sales", keywords="delivery, order")])


def submission(n: int) -> tuple[dict, bytes | None]:
    """The n-th customer's form: every fourth by email, every third in Kiswahili, every
    other one with a photo (the file's bytes, or None)."""
    by_email = n % 4 == 0
    photo = f"photo {n} \x89PNG".encode() if n % 2 else None
    form = SUPPORT_FORM | {
        "name": f"Customer {n}",
        "phone": "" if by_email else f"0712 000 {n:03d}",
        "email": f"customer{n}@example.co.ke" if by_email else "",
        "language": "sw" if n % 3 == 0 else "en",
        "subject": f"Order {n} is late",
        "description": f"Order number {n} has not come; it is {n} days late.",
    }
    if photo:
        form["attachment"] = (io.BytesIO(photo), f"photo-{n}.png")
    return form, photo


def spooled(app) -> list[Path]:
    return sorted(Path(app.config["SPOOL_DIR"]).glob("*.json"))


def csrf_token(client) -> str:
    page = client.get("/support").text
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def post_form(client, form: dict, n: int):
    """Post like a browser: from the customer's own address, with the form's CSRF token."""
    data = form | {"csrf_token": csrf_token(client)}
    if "attachment" in form:
        data["attachment"] = (io.BytesIO(form["attachment"][0].getvalue()), form["attachment"][1])
    return client.post(
        "/support",
        data=data,
        content_type="multipart/form-data",
        environ_overrides={"REMOTE_ADDR": f"10.0.0.{n}"},
    )


def replay_until_empty(app) -> None:
    """One process emptying the spool (a lock lost to the other one only delays it)."""
    with app.app_context():
        for _ in range(50):
            spool.replay_some(100)
            if not spooled(app):
                break
        db.session.remove()


@pytest.mark.parametrize("database", DATABASES_DOWN.values(), ids=DATABASES_DOWN.keys())
def test_25_forms_sent_during_an_outage_become_25_tickets_exactly_once(
    app, desk, make_app, client, run_jobs, database
):
    down = make_app(SQLALCHEMY_DATABASE_URI=database(), WTF_CSRF_ENABLED=True)
    customer = down.test_client()
    for n in range(1, 26):
        form, _ = submission(n)
        response = post_form(customer, form, n)
        words = page_text(response.text)
        assert response.status_code == 202, words[:300]
        assert (SWAHILI_PAGE if form["language"] == "sw" else "We have your message") in words
        assert (form["email"] or f"+254712000{n:03d}") in words
        assert "reference is" not in words and "FT-" not in words  # no promise of one now
    with down.app_context():
        db.session.remove()
    assert len(spooled(app)) == 25 and counts()["inbound_raw"] == 0
    kept = [json.loads(file.read_bytes()) for file in spooled(app)]
    copies = {file.name: file.read_bytes() for file in spooled(app)}

    # The database is back: the next customer pages move the spool in, as production would.
    assert client.get("/support").status_code == 200
    client.get("/healthz")  # a load balancer's check is a public page too
    assert spooled(app) == []
    assert {(r.channel, r.source) for r in raw_rows()} == {(Channel.WEB, "spool")}
    run_jobs()
    assert [r.status for r in raw_rows()] == [InboundStatus.DONE] * 25
    assert_filed_once_each(kept)

    # The same files replayed again, by two app instances at once: still one ticket each.
    for name, data in copies.items():
        (Path(app.config["SPOOL_DIR"]) / name).write_bytes(data)
    twins = [make_app(), make_app()]
    threads = [threading.Thread(target=replay_until_empty, args=(twin,)) for twin in twins]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert spooled(app) == [] and run_jobs() == 0
    assert len(raw_rows()) == 25
    assert_filed_once_each(kept)


def assert_filed_once_each(kept: list[dict]) -> None:
    """Each spooled submission is one ticket with its words, file, language and customer, and
    one acknowledgment owed on the channel the customer gave."""
    db.session.expire_all()
    assert counts()["tickets"] == 25 and counts()["customers"] == 25
    for record in kept:
        form = web.parse(base64.b64decode(record["payload"]))
        [message] = db.session.scalars(select(Message).where(Message.external_id == form.key))
        ticket = message.ticket
        n = int(form.name.split()[-1])
        _, photo = submission(n)
        assert (ticket.subject, message.body) == (f"Order {n} is late", form.description)
        assert ticket.channel == Channel.WEB and ticket.category == Category.DELIVERY
        assert ticket.department.name == "Sales"
        assert ticket.customer.name == f"Customer {n}"
        assert ticket.customer.language == (Language.SW if n % 3 == 0 else Language.EN)
        assert [(a.filename, a.data) for a in message.attachments] == (
            [(f"photo-{n}.png", photo)] if photo else []
        )
        [ack] = outbox_rows(ticket_id=ticket.id, kind="received")
        assert ack.channel == (Channel.EMAIL if n % 4 == 0 else Channel.SMS)
        assert ack.recipient == (form.email or f"+254712000{n:03d}")
        assert ticket.reference in ack.body
        spooled_event = db.session.scalar(
            select(Event).where(Event.ticket_id == ticket.id, Event.kind == "spooled")
        )
        assert spooled_event.data["client"] == f"10.0.0.{n}"


def test_a_submission_whose_first_commit_did_happen_is_not_filed_twice(app, desk, client, run_jobs):
    """The database took the ticket but the answer was lost, so the view spooled it too."""
    form = web.Submission(
        name="Amina Hassan",
        email="",
        phone="+254712345678",
        language=Language.EN,
        category=Category.DELIVERY,
        subject="Delivery is late",
        description="My delivery to Kisumu is 5 days late.",
    )
    first = intake.open_from_form(form)
    db.session.commit()
    again = web.encode(replace(form, spooled_at="2026-11-23T07:00:00"))
    spool.write(Channel.WEB, form.key, again, "web-form")
    client.get("/support")
    run_jobs()
    [raw] = raw_rows()
    assert (raw.status, raw.ticket_id) == (InboundStatus.DONE, first.id)
    assert counts()["tickets"] == 1 and len(outbox_rows(kind="received")) == 1


UNWRITABLE = {
    "a file where the spool's parent directory should be": lambda tmp: tmp / "a-file" / "spool",
    "a file where the spool directory should be": lambda tmp: tmp / "a-file",
}


@pytest.mark.parametrize("where", UNWRITABLE.values(), ids=UNWRITABLE.keys())
def test_spool_unwritable_gives_the_form_back_as_typed_and_stores_nothing(
    app, desk, make_app, client, tmp_path, where
):
    (tmp_path / "a-file").write_text("not a directory")
    down = make_app(
        SQLALCHEMY_DATABASE_URI=DATABASES_DOWN["postgresql port with nothing listening"](),
        SPOOL_DIR=str(where(tmp_path)),
    )
    form = SUPPORT_FORM | {
        "email": "amina@example.co.ke",
        "language": "sw",
        "category": "after_sale",
        "description": "Friji yangu haipoi tangu jana & inavuja maji.",
        "attachment": (io.BytesIO(b"\x89PNG fridge"), "fridge.png"),
    }
    response = down.test_client().post("/support", data=form, content_type="multipart/form-data")
    page = response.text
    assert response.status_code == 503 and response.headers["Retry-After"] == "60"
    assert 'value="Amina Hassan"' in page and 'value="0712 345 678"' in page
    assert 'value="amina@example.co.ke"' in page and 'value="Delivery is late"' in page
    assert "Friji yangu haipoi tangu jana &amp; inavuja maji.</textarea>" in page
    assert re.search(r'<option selected value="sw">|<option value="sw" selected>', page)
    assert re.search(r'<option selected value="after_sale">|value="after_sale" selected', page)
    words = page_text(page)
    assert "please send it again in a minute" in words and "choose it again" in words
    assert "We have your message" not in words
    assert list(tmp_path.rglob("*.json")) == [] and list(tmp_path.rglob("*.part")) == []
    client.get("/support")  # the database is back: nothing was half-stored to replay
    assert counts() == {k: 0 for k in counts()}


def test_the_outage_page_says_retry_in_a_minute_whatever_the_rate_window(make_app, tmp_path):
    """The rate limiter's window started with the first post: on the second, a second later,
    Flask-Limiter would count our 60 s again from its own clock and say 59."""
    (tmp_path / "a-file").write_text("not a directory")
    down = make_app(
        SQLALCHEMY_DATABASE_URI=DATABASES_DOWN["postgresql port with nothing listening"](),
        SPOOL_DIR=str(tmp_path / "a-file"),
    ).test_client()
    waits = []
    for _ in range(2):
        response = down.post("/support", data=SUPPORT_FORM)
        assert response.status_code == 503 and response.headers["X-RateLimit-Limit"]
        waits.append(response.headers["Retry-After"])
        time.sleep(1.1)
    assert waits == ["60", "60"]


def test_a_malformed_spool_file_is_set_aside_and_never_stops_the_replay(
    app, desk, make_app, client, run_jobs
):
    down = make_app(
        SQLALCHEMY_DATABASE_URI=DATABASES_DOWN["postgresql port with nothing listening"](),
        WTF_CSRF_ENABLED=True,
    )
    form, _ = submission(7)
    assert post_form(down.test_client(), form, 7).status_code == 202
    directory = Path(app.config["SPOOL_DIR"])
    (directory / "0-corrupt.json").write_text("{not json")
    (directory / "1-a-list.json").write_text("[1, 2]")
    spool.write(Channel.WEB, "web:garbled", b"not a web form", "web-form")
    client.get("/support")
    assert spooled(app) == []
    assert sorted(p.name for p in directory.glob("*.bad")) == ["0-corrupt.bad", "1-a-list.bad"]
    run_jobs()
    by_key = {r.external_id: r for r in raw_rows()}
    garbled = by_key.pop("web:garbled")
    assert garbled.status == InboundStatus.FAILED and garbled.error.startswith("JSONDecodeError")
    [filed] = by_key.values()
    assert filed.status == InboundStatus.DONE and counts()["tickets"] == 1
    assert db.session.get(Ticket, filed.ticket_id).subject == "Order 7 is late"


@pytest.mark.parametrize(
    "headers, wording",
    [
        (
            {},
            "Something went wrong on our side. If you were sending us a message, it may not "
            "have reached us: please try again in a minute.",
        ),
        ({"Accept-Language": "sw"}, "Kama ulikuwa ukitutumia ujumbe, huenda haujatufikia"),
    ],
)
def test_the_500_page_says_only_what_is_true(app, make_app, headers, wording):
    down = make_app(
        SQLALCHEMY_DATABASE_URI=DATABASES_DOWN["postgresql port with nothing listening"](),
        PROPAGATE_EXCEPTIONS=False,
    )
    response = down.test_client().post(
        "/t/" + "a" * 40 + "/reply", data={"body": "Is it coming today?"}, headers=headers
    )
    words = page_text(response.text)
    assert response.status_code == 500
    assert wording in words
    for untrue in ("saved", "nothing was lost", "We have your message", "received"):
        assert untrue not in words
