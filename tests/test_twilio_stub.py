"""Prove the Twilio stub is faithful enough to drive the real twilio client."""

import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
import requests
from fakes.twilio_stub import TwilioStub, inbound_sms_params, sign
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

CUSTOMER = "+254712345678"
OUR_NUMBER = "+254700000001"
SERVICE_SID = "MG" + "ab" * 16


@pytest.fixture
def stub():
    with TwilioStub() as running:
        yield running


def make_client(stub, timeout=None):
    """Build the client exactly as production does, plus the base_url hook."""
    client = Client(
        stub.account_sid, stub.auth_token, http_client=TwilioHttpClient(timeout=timeout)
    )
    client.api.base_url = stub.base_url
    return client


def send(client, to=CUSTOMER, **kwargs):
    kwargs.setdefault("from_", OUR_NUMBER)
    return client.messages.create(to=to, body="Habari, tiketi #42", **kwargs)


def test_real_client_sends_through_stub(stub):
    message = send(make_client(stub), status_callback="http://cb.test/status")

    assert message.sid.startswith("SM") and len(message.sid) == 34
    assert (message.status, message.num_segments) == ("queued", "1")
    assert message.date_created.year >= 2024
    [record] = stub.messages
    assert record["sid"] == message.sid
    assert record["status_callback"] == "http://cb.test/status"
    assert record["headers"]["User-Agent"].startswith("twilio-python/9.13.0")
    assert stub.sent_to(CUSTOMER) == ["Habari, tiketi #42"]
    fetched = make_client(stub).messages(message.sid).fetch()
    assert fetched.body == "Habari, tiketi #42"


def test_messaging_service_and_media(stub):
    message = make_client(stub).messages.create(
        to=CUSTOMER,
        messaging_service_sid=SERVICE_SID,
        media_url=["https://x.test/a.png", "https://x.test/b.png"],
    )

    assert (message.status, message.from_, message.num_media) == ("accepted", None, "2")
    assert stub.messages[0]["media_urls"] == ["https://x.test/a.png", "https://x.test/b.png"]


def test_wrong_credentials_and_missing_fields(stub):
    bad = Client(stub.account_sid, "wrong-token")
    bad.api.base_url = stub.base_url
    with pytest.raises(TwilioRestException) as denied:
        send(bad)
    assert (denied.value.status, denied.value.code) == (401, 20003)
    with pytest.raises(TwilioRestException) as invalid:
        make_client(stub).messages.create(to=CUSTOMER, body="hi")
    assert (invalid.value.status, invalid.value.code) == (400, 21603)
    assert stub.messages == [] and len(stub.rejected) == 2


def test_scripted_invalid_number_raises(stub):
    stub.script(CUSTOMER, ("http", 400, 21211, "Invalid 'To' Phone Number"))

    with pytest.raises(TwilioRestException) as caught:
        send(make_client(stub))

    assert (caught.value.code, caught.value.status) == (21211, 400)
    assert "Invalid 'To' Phone Number" in caught.value.msg
    assert stub.messages == []
    assert stub.rejected[0]["code"] == 21211


def test_503_then_ok(stub):
    stub.script(CUSTOMER, ("http", 503, None, "Service unavailable"), "ok")
    client = make_client(stub)

    with pytest.raises(TwilioRestException) as caught:
        send(client)
    assert (caught.value.status, caught.value.code) == (503, 503)
    send(client)
    send(client)
    assert len(stub.messages) == 2 and len(stub.rejected) == 1


def test_go_down_and_come_back(stub):
    client = make_client(stub)
    stub.go_down()
    with pytest.raises(TwilioRestException) as caught:
        send(client)
    assert caught.value.status == 503
    stub.come_back()
    send(client)
    assert stub.sent_to(CUSTOMER) == ["Habari, tiketi #42"]


def test_hang_trips_client_timeout_but_message_exists(stub):
    stub.script(CUSTOMER, ("hang", 2))
    with pytest.raises(requests.exceptions.ReadTimeout):
        send(make_client(stub, timeout=0.2))
    assert len(stub.messages) == 1


def test_drop_raises_connection_error(stub):
    stub.script(CUSTOMER, ("drop",))
    with pytest.raises(requests.exceptions.ConnectionError):
        send(make_client(stub))
    assert stub.messages == [] and len(stub.rejected) == 1


def test_unknown_action_rejected_early(stub):
    with pytest.raises(ValueError):
        stub.script(CUSTOMER, ("http", 400))


def test_sign_matches_request_validator():
    url = "https://helpdesk.test/sms/inbound"
    params = inbound_sms_params(from_=CUSTOMER, to=OUR_NUMBER, body="Msaada tafadhali", num_media=1)
    assert params["NumMedia"] == "1" and params["MediaUrl0"].startswith("https://")
    assert RequestValidator("tok").validate(url, params, sign(url, params, "tok"))
    assert not RequestValidator("other").validate(url, params, sign(url, params, "tok"))


class _Receiver(BaseHTTPRequestHandler):
    """Collects what the stub posts to a status callback."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.server.received.append(
            (self.headers.get("X-Twilio-Signature"), {k: v[0] for k, v in parse_qs(body).items()})
        )
        self.send_response(204)
        self.end_headers()

    def log_message(self, format, *args):
        """Keep pytest output clean."""


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.received = []
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_send_status_posts_signed_form(stub, receiver):
    url = f"http://127.0.0.1:{receiver.server_address[1]}/sms/status"
    message = send(make_client(stub), status_callback=url)

    assert stub.send_status(message.sid, "undelivered", error_code=30003) == 204
    assert stub.send_status(message.sid, "failed", signature="forged") == 204
    assert stub.send_status(message.sid, "failed", signature="") == 204

    validator = RequestValidator(stub.auth_token)
    (good_sig, form), (forged_sig, forged_form), (no_sig, _) = receiver.received
    assert form["MessageStatus"] == form["SmsStatus"] == "undelivered"
    assert (form["MessageSid"], form["ErrorCode"]) == (message.sid, "30003")
    assert validator.validate(url, form, good_sig)
    assert not validator.validate(url, forged_form, forged_sig)
    assert no_sig is None
    assert make_client(stub).messages(message.sid).fetch().status == "failed"


@pytest.fixture
def ticking(stub):
    """The stub's clock, moved by hand: each message is dated a minute after the last."""
    moments = iter(datetime(2026, 11, 23, 7, n, tzinfo=UTC) for n in range(60))
    stub.clock = lambda: next(moments)
    return stub


def test_list_is_newest_first_filtered_and_paged_as_the_client_reads_it(ticking):
    client = make_client(ticking)
    for n in range(3):
        client.messages.create(to=CUSTOMER, from_=OUR_NUMBER, body=f"Ujumbe {n}")
    client.messages.create(to="+254799000000", from_=OUR_NUMBER, body="Someone else")
    client.messages.create(to=CUSTOMER, from_="+254700000999", body="Another sender")

    listed = client.messages.list(to=CUSTOMER, from_=OUR_NUMBER, page_size=2)

    assert [m.body for m in listed] == ["Ujumbe 2", "Ujumbe 1", "Ujumbe 0"]
    assert listed[0].date_created == datetime(2026, 11, 23, 7, 2, tzinfo=UTC)
    assert listed[0].direction == "outbound-api" and listed[0].sid.startswith("SM")
    first, second = ticking.listed
    assert first == {"To": CUSTOMER, "From": OUR_NUMBER, "PageSize": "2"}
    assert (second["Page"], second["PageToken"]) == ("1", "PA" + listed[1].sid)
    assert [m.body for m in client.messages.list(limit=1)] == ["Another sender"]
    page = client.messages.page(to=CUSTOMER, page_size=50)
    assert page.next_page_url is None and len(list(page)) == 4


def test_list_date_sent_filters_leave_out_messages_not_yet_sent(ticking, receiver):
    url = f"http://127.0.0.1:{receiver.server_address[1]}/sms/status"
    client = make_client(ticking)
    sent = client.messages.create(to=CUSTOMER, from_=OUR_NUMBER, body="Sent", status_callback=url)
    client.messages.create(to=CUSTOMER, from_=OUR_NUMBER, body="Still queued")
    assert ticking.send_status(sent.sid, "sent") == 204  # dated 07:02 when it left

    after = client.messages.list(date_sent_after=datetime(2026, 11, 23, 7, 1))
    assert [m.body for m in after] == ["Sent"]
    assert ticking.listed[-1]["DateSent>"] == "2026-11-23T07:01:00Z"
    assert client.messages.list(date_sent_before=datetime(2026, 11, 23, 7, 1)) == []
    assert [m.body for m in client.messages.list(date_sent="2026-11-23")] == ["Sent"]
    assert len(client.messages.list()) == 2


def test_list_checks_credentials_and_outages(stub):
    bad = Client(stub.account_sid, "wrong-token")
    bad.api.base_url = stub.base_url
    with pytest.raises(TwilioException) as denied:
        bad.messages.list(limit=5)
    assert denied.value.args[1].status_code == 401
    stub.go_down()
    with pytest.raises(TwilioException) as down:
        make_client(stub).messages.list(limit=5)
    assert down.value.args[1].status_code == 503
    stub.come_back()
    assert make_client(stub).messages.list(limit=5) == [] and stub.listed == [{"PageSize": "5"}]
