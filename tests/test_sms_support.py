"""The harness the SMS tests share (no tests here): an app that sends through the Twilio stub,
the app served over real HTTP, and a customer's phone that texts in signed as Twilio signs."""

import threading
from contextlib import contextmanager
from datetime import datetime

import pytest
from fakes.twilio_stub import inbound_sms_params, sign
from sqlalchemy import func, select
from werkzeug.serving import make_server

from ticketing import lifecycle
from ticketing.extensions import db
from ticketing.models import Customer, InboundRaw, Message, Outbox, Ticket
from ticketing.models.enums import Channel

OUR_NUMBER = "+254700000100"  # TWILIO_FROM in the test configuration
SERVICE_SID = "MG" + "5e" * 16
WEBHOOK = "/webhooks/twilio/sms"
STATUS = "/webhooks/twilio/status"
MONDAY_10_NAIROBI = datetime(2026, 11, 23, 7, 0)  # naive UTC
CUSTOMER = "+254712345678"


@pytest.fixture
def sms_app(app, make_app, twilio):
    """The test app's empty database and Redis, with SMS going out through the Twilio stub."""
    twilio.clear()
    stubbed = make_app(SMS_BACKEND="twilio", TWILIO_API_BASE=twilio.base_url, TWILIO_TIMEOUT=1)
    with stubbed.app_context():
        yield stubbed
        db.session.remove()


class Phone:
    """A customer's phone: texts reach the webhook signed exactly as Twilio signs them."""

    def __init__(self, client, number: str, *, base_url: str = "http://fuatilia.test",
                 token: str | None = None):
        self.client, self.number, self.base_url = client, number, base_url
        self.token = token or client.application.config["TWILIO_AUTH_TOKEN"]

    def params(self, body: str, **fields) -> dict:
        return inbound_sms_params(from_=self.number, to=OUR_NUMBER, body=body, **fields)

    def post(self, params: dict, *, path: str = WEBHOOK, signed_url: str | None = None,
             headers: dict | None = None, signature: str | None = None, **options):
        url = signed_url or self.base_url + path
        headers = {"X-Twilio-Signature": sign(url, params, self.token)
                   if signature is None else signature} | (headers or {})
        return self.client.post(path, data=params, headers=headers, **options)

    def text(self, body: str, **fields):
        response = self.post(self.params(body, **fields))
        assert response.status_code == 200, response.data
        return response


def counts() -> dict:
    """How many rows of each kind the database holds now."""
    db.session.expire_all()
    return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (InboundRaw, Message, Ticket, Outbox, Customer)}


def raw_rows() -> list[InboundRaw]:
    db.session.expire_all()
    return db.session.scalars(select(InboundRaw).order_by(InboundRaw.id)).all()


def newest_ticket() -> Ticket | None:
    db.session.expire_all()
    return db.session.scalar(select(Ticket).order_by(Ticket.id.desc()).limit(1))


def outbox_rows(**where) -> list[Outbox]:
    db.session.expire_all()
    query = select(Outbox).filter_by(**where).order_by(Outbox.id)
    return db.session.scalars(query).all()


@contextmanager
def serving(app):
    """Serve `app` over real HTTP on 127.0.0.1 (threaded); yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def sms_ticket(department, staff, *, acknowledge: bool = True) -> tuple:
    """An agent and an SMS ticket from CUSTOMER, committed: (agent, ticket)."""
    agent = staff("otieno", departments=[department("General")])
    person = Customer(name="Wanjiku", phone=CUSTOMER)
    db.session.add(person)
    ticket = lifecycle.open_ticket(person, subject="", body="Friji haipoi", channel=Channel.SMS,
                                   acknowledge=acknowledge)
    db.session.commit()
    return agent, ticket
