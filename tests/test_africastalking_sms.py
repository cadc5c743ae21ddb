"""Africa's Talking SMS, both ways: its callbacks (inbound, delivery reports, opt-outs) over the
real app with our `?key=`, and sending through its bulk SMS API, spoken by a local stub that
our real HTTP client talks to. Every refusal changes nothing; every send happens at most once."""

import pytest
from conftest import AT_SECRET
from fakes.africastalking_stub import (
    DEFAULT_API_KEY,
    DEFAULT_USERNAME,
    SHORTCODE,
    Gateway,
    inbound_params,
)
from harness import (
    CUSTOMER,
    OUR_NUMBER,
    Phone,
    counts,
    newest_ticket,
    outbox_rows,
    raw_rows,
)
from sqlalchemy import select

from ticketing import customers, outbox
from ticketing.channels.africastalking import LOST_ANSWER
from ticketing.extensions import db
from ticketing.models import Customer, Message
from ticketing.models.enums import OutboxStatus
from workers.sweep import sweep_stuck

AT_LINE = f"africastalking:{SHORTCODE}"
TWILIO_LINE = f"twilio:{OUR_NUMBER}"
WANJIKU = CUSTOMER


def wanjiku() -> Customer:
    db.session.expire_all()
    return db.session.scalar(select(Customer).where(Customer.phone == WANJIKU))


def first_text(at_gateway, run_jobs, text="Friji yangu haipoi", **fields):
    """Wanjiku's first text to the shortcode, filed and acknowledged (or attempted)."""
    at_gateway.texts(WANJIKU, text, **fields)
    run_jobs()
    return outbox_rows()[0]


# -- the inbound webhook ---------------------------------------------------------------------


def test_an_inbound_text_is_kept_raw_answered_empty_and_filed_on_the_shortcodes_line(
    at_gateway, run_jobs, at_stub
):
    params = inbound_params(from_="0712 345 678", text="Friji yangu haipoi", link_id="L-77")
    response = at_gateway.post("sms", params)
    assert (response.status_code, response.data) == (200, b"")
    [raw] = raw_rows()
    assert raw.external_id == params["id"]
    run_jobs()
    ticket = newest_ticket()
    assert ticket.line == AT_LINE and ticket.customer.phone == WANJIKU
    assert (ticket.messages[0].body, ticket.messages[0].link_id) == ("Friji yangu haipoi", "L-77")
    [sent] = at_stub.messages
    assert (sent["to"], sent["from"], sent["username"]) == (WANJIKU, SHORTCODE, DEFAULT_USERNAME)
    assert sent["message"].startswith(f"Tumepokea ujumbe wako. Kumb. {ticket.reference}.")


def test_a_repeated_callback_is_one_message_one_ticket_one_acknowledgment(
    at_gateway, run_jobs, at_stub
):
    params = inbound_params(from_=WANJIKU, text="Friji yangu haipoi")
    assert at_gateway.post("sms", params).status_code == 200
    run_jobs()
    assert at_gateway.post("sms", params).status_code == 200
    run_jobs()
    assert (counts()["inbound_raw"], counts()["tickets"], counts()["messages"]) == (1, 1, 1)
    assert len(at_stub.sent_to(WANJIKU)) == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"id": ""},
        {"from": ""},
        {"id": "   "},
    ],
)
def test_an_inbound_text_without_its_id_or_sender_is_refused_and_nothing_is_kept(
    at_gateway, fields
):
    before = counts()
    response = at_gateway.post("sms", inbound_params(from_=WANJIKU, text="Habari") | fields)
    assert response.status_code == 400
    assert b"`id` and `from`" in response.data
    assert counts() == before


def test_a_twilio_shaped_field_in_an_at_message_is_refused(at_gateway):
    params = inbound_params(from_=WANJIKU, text="Habari") | {"MessageSid": "SM" + "0" * 32}
    assert at_gateway.post("sms", params).status_code == 400
    assert counts()["inbound_raw"] == 0


@pytest.mark.parametrize("path", ["sms", "delivery", "optout"])
@pytest.mark.parametrize("key", ["", "wrong-secret", AT_SECRET + "x"])
def test_a_callback_without_our_secret_is_refused(at_gateway, path, key):
    before = counts()
    params = inbound_params(from_=WANJIKU, text="STOP") | {"senderId": SHORTCODE}
    assert at_gateway.post(path, params, key=key).status_code == 403
    assert counts() == before


def test_callbacks_are_refused_503_until_a_secret_is_configured(at_gateway, at_app):
    at_app.config["AT_WEBHOOK_SECRET"] = ""
    response = at_gateway.post("sms", inbound_params(from_=WANJIKU, text="Habari"), key="")
    assert response.status_code == 503 and b"AT_WEBHOOK_SECRET" in response.data
    assert counts()["inbound_raw"] == 0


def test_only_the_allowed_networks_may_call_when_they_are_set(at_gateway, at_app):
    at_app.config["AT_ALLOWED_NETWORKS"] = "196.201.214.0/24, 10.0.0.0/8"
    params = inbound_params(from_=WANJIKU, text="Habari")
    assert at_gateway.post("sms", params).status_code == 403
    outside = at_gateway.post("sms", params, environ_base={"REMOTE_ADDR": "196.201.214.9"})
    assert outside.status_code == 200
    assert len(raw_rows()) == 1


def test_an_oversized_text_or_body_is_refused_413_and_nothing_is_kept(at_gateway):
    text = at_gateway.post("sms", inbound_params(from_=WANJIKU, text="x" * 5001))
    assert text.status_code == 413
    body = at_gateway.post("sms", inbound_params(from_=WANJIKU, text="hi") | {"pad": "y" * 40_000})
    assert body.status_code == 413
    assert counts()["inbound_raw"] == 0


def test_a_sender_that_is_not_a_phone_number_is_kept_and_failed_never_answered(
    at_gateway, run_jobs, at_stub
):
    at_gateway.texts("not-a-number", "Habari")
    run_jobs()
    [raw] = raw_rows()
    assert raw.status.value == "failed" and "phone number" in raw.error
    assert at_stub.messages == [] and counts()["tickets"] == 0


# -- sending ---------------------------------------------------------------------------------


def test_a_taken_message_keeps_its_message_id_and_first_status(at_gateway, run_jobs, at_stub):
    row = first_text(at_gateway, run_jobs)
    [sent] = at_stub.messages
    assert row.provider_id == sent["messageId"] and row.provider_id.startswith("ATXid_")
    assert row.status == OutboxStatus.SENT and row.line == AT_LINE
    assert sent["headers"]["apiKey"] == DEFAULT_API_KEY
    assert sent["headers"]["Accept"] == "application/json"
    assert "linkId" not in sent


def test_a_premium_reply_answers_in_the_customers_session(at_gateway, run_jobs, at_stub):
    first_text(at_gateway, run_jobs, link_id="SampleLinkId123")
    [sent] = at_stub.messages
    assert (sent["linkId"], sent["bulkSMSMode"]) == ("SampleLinkId123", "0")


@pytest.mark.parametrize(
    "code, name",
    [
        (401, "RiskHold"),
        (402, "InvalidSenderId"),
        (403, "InvalidPhoneNumber"),
        (404, "UnsupportedNumberType"),
        (407, "CouldNotRoute"),
        (409, "DoNotDisturbRejection"),
    ],
)
def test_a_refusal_that_a_retry_cannot_change_fails_the_row_with_its_reason(
    at_gateway, run_jobs, at_stub, clock, code, name
):
    at_stub.script(WANJIKU, ("status", code))
    row = first_text(at_gateway, run_jobs)
    assert (row.status, row.error_code) == (OutboxStatus.FAILED, str(code))
    assert name in row.last_error and "Africa's Talking" in row.last_error
    clock.advance(minutes=30)
    sweep_stuck()
    run_jobs()
    assert at_stub.messages == [] and not customers.is_opted_out(wanjiku(), AT_LINE)


def test_a_blacklisted_recipient_fails_and_is_opted_out_of_that_line_only(
    at_gateway, run_jobs, at_stub
):
    at_stub.script(WANJIKU, ("status", 406))
    row = first_text(at_gateway, run_jobs)
    assert (row.status, row.error_code) == (OutboxStatus.FAILED, "406")
    assert customers.is_opted_out(wanjiku(), AT_LINE)
    assert not customers.is_opted_out(wanjiku(), TWILIO_LINE)


@pytest.mark.parametrize("code", [405, 500, 501, 502])
def test_a_refusal_for_now_is_retried_and_then_sent_once(
    at_gateway, run_jobs, at_stub, clock, code
):
    at_stub.script(WANJIKU, ("status", code))
    row = first_text(at_gateway, run_jobs)
    assert (row.status, row.error_code, row.provider_id) == (OutboxStatus.PENDING, str(code), None)
    assert row.not_before is not None and row.doubt_since is None
    clock.advance(minutes=2)
    sweep_stuck()
    run_jobs()
    [row] = outbox_rows()
    assert row.status == OutboxStatus.SENT and row.provider_id == at_stub.messages[0]["messageId"]
    assert len(at_stub.messages) == 1


def test_rejected_credentials_wait_for_an_operator_then_go(
    at_gateway, run_jobs, at_stub, at_app, clock
):
    at_app.config["AT_API_KEY"] = "an-old-key"
    row = first_text(at_gateway, run_jobs)
    assert (row.status, row.error_code) == (OutboxStatus.PENDING, "http-401")
    assert "AT_API_KEY" in row.last_error and at_stub.rejected[0]["http_status"] == 401
    at_app.config["AT_API_KEY"] = DEFAULT_API_KEY
    clock.advance(minutes=2)
    sweep_stuck()
    run_jobs()
    assert outbox_rows()[0].status == OutboxStatus.SENT and len(at_stub.messages) == 1


def test_a_request_at_refuses_as_malformed_fails_with_its_words(at_gateway, run_jobs, at_stub):
    at_stub.script(WANJIKU, ("http", 400, "Invalid senderId"))
    row = first_text(at_gateway, run_jobs)
    assert (row.status, row.error_code) == (OutboxStatus.FAILED, "http-400")
    assert "Invalid senderId" in row.last_error


def test_an_answer_that_names_no_recipient_is_classified_by_its_message(
    at_gateway, run_jobs, at_stub
):
    nobody = {"SMSMessageData": {"Message": "InvalidSenderId", "Recipients": []}}
    at_stub.script(WANJIKU, ("http", 201, nobody))
    row = first_text(at_gateway, run_jobs)
    assert (row.status, row.error_code) == (OutboxStatus.FAILED, "402")
    assert "sender id is not allowed" in row.last_error


def test_an_outage_keeps_the_row_and_it_goes_once_when_at_is_back(
    at_gateway, run_jobs, at_stub, clock
):
    at_stub.go_down()
    row = first_text(at_gateway, run_jobs)
    assert (row.status, row.error_code, row.doubt_since) == (OutboxStatus.PENDING, "http-503", None)
    at_stub.come_back()
    clock.advance(minutes=2)
    sweep_stuck()
    run_jobs()
    assert outbox_rows()[0].status == OutboxStatus.SENT and len(at_stub.messages) == 1


def test_an_unreachable_gateway_is_retried_without_doubt(at_gateway, run_jobs, at_app):
    at_app.config["AT_API_BASE"] = "http://127.0.0.1:9"  # nothing listens: never connected
    row = first_text(at_gateway, run_jobs)
    assert row.status == OutboxStatus.PENDING and row.doubt_since is None
    assert "unreachable" in row.last_error


@pytest.mark.parametrize(
    "action",
    [
        ("hang", 6),  # past AT_TIMEOUT
        ("drop",),
        ("http", 500, "oops"),
        ("http", 504, "Gateway Timeout"),
        ("http", 201, "<html>a proxy's page</html>"),
    ],
)
def test_a_send_whose_answer_was_lost_is_failed_for_the_agent_never_sent_again(
    at_gateway, run_jobs, at_stub, clock, login, staff, action
):
    at_stub.script(WANJIKU, action)
    row = first_text(at_gateway, run_jobs)
    assert (row.status, row.error_code) == (OutboxStatus.FAILED, "answer-lost")
    assert row.last_error.startswith(LOST_ANSWER)
    clock.advance(hours=2)
    sweep_stuck()
    run_jobs()
    assert len(at_stub.messages) == (1 if action[0] == "hang" else 0)
    assert outbox_rows()[0].status == OutboxStatus.FAILED
    agent = login(at_gateway.client, staff("otieno", departments=[row.ticket.department]))
    page = agent.get(f"/agent/tickets/{row.ticket_id}").get_data(as_text=True)
    assert "it may have been delivered" in page


def test_a_row_a_dead_worker_held_is_never_sent_blind_and_the_agent_sees_it(
    at_gateway, run_jobs, at_stub, clock
):
    at_stub.go_down()
    row = first_text(at_gateway, run_jobs)
    at_stub.come_back()
    clock.advance(minutes=2)
    assert outbox.claim(row.id)  # a worker takes it, and dies before any answer
    db.session.commit()
    clock.advance(minutes=10)
    sweep_stuck()
    run_jobs()
    [row] = outbox_rows()
    assert row.status == OutboxStatus.FAILED and row.error_code == "answer-lost"
    assert "cannot be asked" in row.last_error and at_stub.messages == []
    clock.advance(hours=2)
    sweep_stuck()
    assert run_jobs() == 0 and at_stub.messages == []


def test_an_at_line_sends_through_at_while_twilio_is_the_backend(
    at_gateway, run_jobs, at_stub, at_app, twilio
):
    at_app.config["SMS_BACKEND"] = "twilio"
    first_text(at_gateway, run_jobs)
    assert len(at_stub.sent_to(WANJIKU)) == 1 and twilio.sent_to(WANJIKU) == []
    assert newest_ticket().line == AT_LINE


# -- delivery reports --------------------------------------------------------------------------


def test_delivery_reports_move_a_row_forward_only(at_gateway, run_jobs):
    row = first_text(at_gateway, run_jobs)
    assert at_gateway.delivery(row.provider_id, "Success", phone=WANJIKU).status_code == 200
    assert outbox_rows()[0].status == OutboxStatus.DELIVERED
    for late in ("Buffered", "Sent", "Failed"):
        assert (
            at_gateway.delivery(row.provider_id, late, reason="DeliveryFailure").status_code == 200
        )
    [row] = outbox_rows()
    assert row.status == OutboxStatus.DELIVERED and row.delivered_at is not None


def test_a_failed_delivery_is_recorded_and_a_blacklisting_opts_out_that_line(at_gateway, run_jobs):
    row = first_text(at_gateway, run_jobs)
    at_gateway.delivery(row.provider_id, "Buffered")
    assert outbox_rows()[0].status == OutboxStatus.SENT
    at_gateway.delivery(row.provider_id, "Rejected", reason="UserInBlackList", phone=WANJIKU)
    [row] = outbox_rows()
    assert (row.status, row.error_code) == (OutboxStatus.FAILED, "UserInBlackList")
    assert row.last_error == "Africa's Talking Rejected (UserInBlackList)"
    assert customers.is_opted_out(wanjiku(), AT_LINE)
    assert not customers.is_opted_out(wanjiku(), TWILIO_LINE)


def test_a_report_about_no_message_of_ours_changes_nothing(at_gateway, run_jobs):
    row = first_text(at_gateway, run_jobs)
    assert (
        at_gateway.delivery("ATXid_" + "0" * 32, "Failed", reason="UserInBlackList").status_code
        == 200
    )
    assert at_gateway.delivery(row.provider_id, "Teleported").status_code == 200
    [row] = outbox_rows()
    assert row.status == OutboxStatus.SENT and not customers.is_opted_out(wanjiku(), AT_LINE)


@pytest.mark.parametrize("missing", ["id", "status"])
def test_a_report_without_its_id_or_status_is_refused(at_gateway, run_jobs, missing):
    row = first_text(at_gateway, run_jobs)
    params = {"id": row.provider_id, "status": "Success"} | {missing: ""}
    assert at_gateway.post("delivery", params).status_code == 400
    assert outbox_rows()[0].status == OutboxStatus.SENT


# -- opt-outs --------------------------------------------------------------------------------


def test_an_at_opt_out_silences_that_sender_id_only(at_gateway, run_jobs, at_stub, twilio, at_app):
    first_text(at_gateway, run_jobs)
    assert at_gateway.opt_out("0712345678", sender_id=SHORTCODE).status_code == 200
    customer = wanjiku()
    assert customers.is_opted_out(customer, AT_LINE)
    assert not customers.is_opted_out(customer, "africastalking:FUATILIA")
    assert not customers.is_opted_out(customer, TWILIO_LINE)
    assert customer.opt_outs[0].source == "Africa's Talking opt-out"
    at_gateway.texts(WANJIKU, "HELP")
    Phone(at_app.test_client(), WANJIKU).text("HELP")  # to the Twilio number
    run_jobs()
    assert len(at_stub.sent_to(WANJIKU)) == 1  # the acknowledgment only
    assert len(twilio.sent_to(WANJIKU)) == 1


def test_a_stop_to_the_shortcode_leaves_the_twilio_line_speaking(
    at_gateway, run_jobs, at_stub, twilio, at_app
):
    first_text(at_gateway, run_jobs)
    at_gateway.texts(WANJIKU, "STOP")
    run_jobs()
    assert customers.is_opted_out(wanjiku(), AT_LINE)
    assert not customers.is_opted_out(wanjiku(), TWILIO_LINE)
    at_gateway.texts(WANJIKU, "HELP")
    Phone(at_app.test_client(), WANJIKU).text("HELP")
    run_jobs()
    assert len(at_stub.sent_to(WANJIKU)) == 1 and len(twilio.sent_to(WANJIKU)) == 1


@pytest.mark.parametrize(
    "params, status",
    [
        ({"senderId": SHORTCODE, "phoneNumber": "not a phone"}, 400),
        ({"senderId": "", "phoneNumber": WANJIKU}, 400),
        ({"senderId": SHORTCODE}, 400),
        ({"senderId": SHORTCODE, "phoneNumber": "+254722000111"}, 200),  # no customer of ours
    ],
)
def test_an_opt_out_that_names_no_customer_of_ours_changes_nothing(
    at_gateway, run_jobs, params, status
):
    first_text(at_gateway, run_jobs)
    assert at_gateway.post("optout", params).status_code == status
    assert wanjiku().opt_outs == [] and counts()["customers"] == 1


def test_the_inbound_message_keeps_no_link_id_when_at_sends_none(at_gateway, run_jobs):
    first_text(at_gateway, run_jobs)
    assert db.session.scalar(select(Message.link_id)) is None


def test_a_departments_own_shortcode_answers_from_that_shortcode(
    at_gateway, run_jobs, at_stub, at_app, department
):
    from ticketing import lines
    from ticketing.models.enums import Channel, Provider

    at_app.config["SMS_BACKEND"] = "twilio"
    billing = department("Billing")
    lines.add(Provider.AFRICASTALKING, Channel.SMS, "40404", department=billing)
    db.session.commit()
    Gateway(at_gateway.client, AT_SECRET, shortcode="40404").texts(WANJIKU, "Nimelipa mara mbili")
    run_jobs()
    ticket = newest_ticket()
    assert (ticket.line, ticket.department.name) == ("africastalking:40404", "Billing")
    assert [sent["from"] for sent in at_stub.messages] == ["40404"]
