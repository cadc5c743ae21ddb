"""Twilio webhook signatures: no forgery gets in, and no genuine request is turned away
(Messaging Service payloads, HTTPS-terminating proxies, ports, query strings, shared keys)."""

import logging

import pytest
from fakes.twilio_stub import DEFAULT_AUTH_TOKEN, sign
from harness import (
    CUSTOMER,
    SERVICE_SID,
    STATUS,
    WEBHOOK,
    Phone,
    counts,
    raw_rows,
)
from twilio.request_validator import RequestValidator

from ticketing import queues

PUBLIC = "https://support.example"
SHARED_KEY = "whsec-shared-key-for-tests"


@pytest.fixture
def phone(sms_app):
    sms_app.config["PUBLIC_BASE_URL"] = PUBLIC
    return Phone(sms_app.test_client(), CUSTOMER, base_url=PUBLIC)


def queued_jobs() -> int:
    return sum(queues.get_queue(name).count for name in queues.ALL_QUEUES)


def forgeries(phone):
    """(name, params actually posted, signature header) for each way a request can be forged."""
    params = phone.params("My fridge is not cooling")
    url = PUBLIC + WEBHOOK
    good = sign(url, params, DEFAULT_AUTH_TOKEN)
    return [
        ("no header", params, None),
        ("empty header", params, ""),
        ("another token", params, sign(url, params, "not-our-token")),
        ("body changed", params | {"Body": "Send me a refund"}, good),
        ("param added", params | {"Extra": "1"}, good),
        ("param removed", {k: v for k, v in params.items() if k != "NumMedia"}, good),
        (
            "signed over http",
            params,
            sign(url.replace("https", "http"), params, DEFAULT_AUTH_TOKEN),
        ),
        ("another path", params, sign(PUBLIC + "/webhooks/email", params, DEFAULT_AUTH_TOKEN)),
        ("garbage", params, "not base64 at all!"),
    ]


@pytest.mark.parametrize("path", [WEBHOOK, STATUS])
def test_forged_and_missing_signatures_are_refused_and_change_nothing(
    phone, path, caplog, monkeypatch
):
    # Alembic's fileConfig() in the session's migration disables loggers that existed then.
    monkeypatch.setattr(logging.getLogger("ticketing.channels.sms"), "disabled", False)
    caplog.set_level(logging.WARNING)
    before = counts()
    for name, params, signature in forgeries(phone):
        headers = {} if signature is None else {"X-Twilio-Signature": signature}
        response = phone.client.post(path, data=params, headers=headers)
        assert response.status_code == 403, name
        assert response.json["error"]["code"] == "forbidden"
    assert counts() == before
    assert queued_jobs() == 0
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == len(forgeries(phone))
    secrets = {DEFAULT_AUTH_TOKEN} | {s for _, _, s in forgeries(phone) if s}
    assert not any(secret in line for line in refusals for secret in secrets)
    control = phone.post(phone.params("My fridge is not cooling"))
    assert control.status_code == 200


def accepted_variants(phone):
    """(name, params, the URL Twilio signed, what reaches us) for genuine requests."""
    a2p = phone.params("Friji yangu haipoi", messaging_service_sid=SERVICE_SID) | {
        "To": "+254700000999",
        "ReferralNumMedia": "0",
        "SomeNewParam": "x",
    }
    return [
        ("plain", phone.params("hello"), PUBLIC + WEBHOOK, {}),
        ("messaging service (A2P) with unknown params", a2p, PUBLIC + WEBHOOK, {}),
        ("signed with :443", phone.params("port"), "https://support.example:443" + WEBHOOK, {}),
        (
            "through an HTTPS-terminating proxy",
            phone.params("proxied"),
            PUBLIC + WEBHOOK,
            {
                "base_url": "http://127.0.0.1:5000",
                "headers": {
                    "X-Forwarded-Proto": "https",
                    "X-Forwarded-Host": "support.example",
                    "X-Forwarded-For": "54.172.60.1",
                },
            },
        ),
        (
            "with a query string",
            phone.params("query"),
            PUBLIC + WEBHOOK + "?src=a2p&x=%2B1",
            {"query_string": "src=a2p&x=%2B1"},
        ),
        (
            "query param named like a form param",
            phone.params("form body wins"),
            PUBLIC + WEBHOOK + "?Body=other",
            {"query_string": "Body=other"},
        ),
    ]


def test_genuine_requests_are_accepted_behind_proxies_ports_and_query_strings(phone):
    variants = accepted_variants(phone)
    for name, params, signed_url, options in variants:
        response = phone.post(params, signed_url=signed_url, **options)
        assert response.status_code == 200, name
        assert response.mimetype == "text/xml"
        assert response.data.startswith(b'<?xml version="1.0" encoding="UTF-8"?><Response>')
    stored = raw_rows()
    assert [raw.external_id for raw in stored] == [v[1]["MessageSid"] for v in variants]
    assert b"SomeNewParam=x" in stored[1].payload and b"MessagingServiceSid=MG" in stored[1].payload


def test_a_request_signed_for_a_forwarded_host_is_refused(phone):
    params = phone.params("evil")
    response = phone.post(
        params,
        signed_url="https://evil.example" + WEBHOOK,
        headers={"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"},
    )
    assert response.status_code == 403
    assert counts()["inbound_raw"] == 0


def shared_key_signature(params, secret=SHARED_KEY):
    return RequestValidator(secret).compute_signature(
        PUBLIC + WEBHOOK, params, algorithm="HMAC_SHA256"
    )


def test_webhooks_signed_with_a_shared_key_are_checked_with_that_key(phone, sms_app):
    sms_app.config["TWILIO_WEBHOOK_SHARED_KEYS"] = f"new-key, {SHARED_KEY}"  # mid-rotation
    settings = {"X-Twilio-Webhooks-Signature-Settings": "key=whk_1,algorithm=HMAC_SHA256"}
    genuine = phone.params("signed with the shared key")
    assert (
        phone.post(genuine, signature=shared_key_signature(genuine), headers=settings).status_code
        == 200
    )
    by_token = phone.params("signed with the auth token, claims a shared key")
    assert phone.post(by_token, headers=settings).status_code == 403
    other = phone.params("unsupported algorithm")
    assert (
        phone.post(
            other,
            signature=shared_key_signature(other),
            headers={"X-Twilio-Webhooks-Signature-Settings": "key=whk_1,algorithm=HMAC_MD5"},
        ).status_code
        == 403
    )
    assert [raw.external_id for raw in raw_rows()] == [genuine["MessageSid"]]


def test_a_shared_key_request_without_a_configured_key_fails_closed(phone):
    params = phone.params("no key configured")
    response = phone.post(
        params,
        signature=shared_key_signature(params),
        headers={"X-Twilio-Webhooks-Signature-Settings": "key=whk_1,algorithm=HMAC_SHA256"},
    )
    assert response.status_code == 503
    assert counts()["inbound_raw"] == 0


def test_during_a_token_rotation_old_and_new_tokens_validate_and_nothing_else(phone, sms_app):
    sms_app.config["TWILIO_PREVIOUS_AUTH_TOKEN"] = "the-old-token"
    for token, expected in ((DEFAULT_AUTH_TOKEN, 200), ("the-old-token", 200), ("other", 403)):
        params = phone.params(f"signed with {token}")
        signature = sign(PUBLIC + WEBHOOK, params, token)
        assert phone.post(params, signature=signature).status_code == expected, token
    assert counts()["inbound_raw"] == 2


def test_without_an_auth_token_the_twilio_webhooks_refuse_everything(phone, sms_app):
    sms_app.config["TWILIO_AUTH_TOKEN"] = ""
    for signature in (None, "", sign(PUBLIC + WEBHOOK, phone.params("x"), "")):
        params = phone.params("unsigned")
        headers = {} if signature is None else {"X-Twilio-Signature": signature}
        assert phone.client.post(WEBHOOK, data=params, headers=headers).status_code == 503
        assert phone.client.post(STATUS, data=params, headers=headers).status_code == 503
    assert counts()["inbound_raw"] == 0


def test_a_signed_request_without_a_message_sid_is_a_clear_400(phone):
    params = {
        k: v
        for k, v in phone.params("no sid").items()
        if k not in ("MessageSid", "SmsSid", "SmsMessageSid")
    }
    response = phone.post(params)
    assert response.status_code == 400
    assert "MessageSid" in response.json["error"]["message"]
    assert counts()["inbound_raw"] == 0


def test_a_flood_of_genuine_texts_is_kept_never_429(phone):
    for index in range(40):
        assert phone.post(phone.params(f"text {index}")).status_code == 200
    assert counts()["inbound_raw"] == 40
