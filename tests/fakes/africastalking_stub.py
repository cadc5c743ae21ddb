"""A local HTTP server that speaks Africa's Talking's bulk SMS API, and a gateway that posts
AT-shaped callbacks (inbound messages, delivery reports, opt-outs) to our app.

Our client (ticketing/channels/africastalking.py) is pointed at it with AT_API_BASE, so its
form encoding, headers, timeouts and answer parsing are exercised for real. Outcomes can be
scripted per number, like the Twilio stub's: ("status", code) answers that per-recipient
statusCode, ("http", status, body) answers that HTTP status with that text (a dict: as JSON),
("hang", seconds) takes the
message and answers late, ("drop",) hangs up without answering (nothing is taken).
"""

import json
import secrets
import threading
import uuid
from collections import defaultdict, deque
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

DEFAULT_USERNAME = "fuatilia"
DEFAULT_API_KEY = "atsk_" + "5a1e" * 12
SHORTCODE = "21525"
SAFARICOM = "63902"
# AT's names for a recipient's statusCode.
STATUS_NAMES = {
    100: "Processed",
    101: "Success",
    102: "Queued",
    401: "RiskHold",
    402: "InvalidSenderId",
    403: "InvalidPhoneNumber",
    404: "UnsupportedNumberType",
    405: "InsufficientBalance",
    406: "UserInBlacklist",
    407: "CouldNotRoute",
    409: "DoNotDisturbRejection",
    500: "InternalServerError",
    501: "GatewayError",
    502: "RejectedByGateway",
}
_TAKEN = {100, 101, 102}


class AtStub:
    """Fake api.africastalking.com `/version1/messaging` on 127.0.0.1."""

    def __init__(self, username=DEFAULT_USERNAME, api_key=DEFAULT_API_KEY):
        self.username, self.api_key = username, api_key
        self.base_url = None
        self.messages = []  # every message taken: the form fields, its messageId, headers
        self.rejected = []  # requests refused, with why
        self._scripts = defaultdict(deque)
        self._down = False
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = self._thread = None

    def start(self):
        self._stopping.clear()
        self._server = _Server(self)
        host, port = self._server.server_address[:2]
        self.base_url = f"http://{host}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="at-stub", daemon=True
        )
        self._thread.start()
        return self

    def stop(self):
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    # -- scripting and inspection ----------------------------------------------------------

    def script(self, number: str, *actions):
        """Queue outcomes for the next messages to `number`; then back to taking them."""
        for action in actions:
            kind = action[0] if isinstance(action, tuple) and action else None
            if {"status": 2, "http": 3, "hang": 2, "drop": 1}.get(kind) != len(action):
                raise ValueError(f"unknown stub action: {action!r}")
        with self._lock:
            self._scripts[number].extend(actions)

    def go_down(self):
        self._down = True

    def come_back(self):
        self._down = False

    def sent_to(self, number: str) -> list[str]:
        with self._lock:
            return [m["message"] for m in self.messages if m["to"] == number]

    def clear(self):
        with self._lock:
            self.messages.clear()
            self.rejected.clear()
            self._scripts.clear()
        self._down = False

    # -- the API (called from server threads) ----------------------------------------------

    def _messaging(self, form: dict, headers) -> tuple:
        """(HTTP status, body, delay); status None hangs up."""
        fields = {name: values[0] for name, values in form.items()}
        if self._down:
            return 503, "Service Unavailable", 0
        if headers.get("apiKey") != self.api_key or fields.get("username") != self.username:
            return self._refuse(fields, 401, "The supplied authentication is invalid")
        for name in ("username", "to", "message"):
            if not fields.get(name):
                return self._refuse(fields, 400, f"Request is missing required form field '{name}'")
        if fields.get("linkId") and fields.get("bulkSMSMode") != "0":
            return self._refuse(fields, 400, "bulkSMSMode must be 0 when a linkId is given")
        action = self._next_action(fields["to"])
        if action[0] == "http":
            return self._refuse(fields, action[1], action[2])
        if action[0] == "drop":
            self._refuse(fields, None, "dropped")
            return None, "", 0
        code = action[1] if action[0] == "status" else self._default_code(fields["to"])
        entry = self._record(fields, code, headers)
        body = {
            "SMSMessageData": {
                "Message": f"Sent to {int(code in _TAKEN)}/1 Total Cost: {entry['cost']}",
                "Recipients": [entry],
            }
        }
        if "json" not in headers.get("Accept", ""):  # AT answers XML unless asked for JSON
            return 201, "<AfricasTalkingResponse><SMSMessageData/></AfricasTalkingResponse>", 0
        return 201, body, action[1] if action[0] == "hang" else 0

    @staticmethod
    def _default_code(number: str) -> int:
        return 101 if number.startswith("+") and number[1:].isdigit() else 403

    def _record(self, fields: dict, code: int, headers) -> dict:
        taken = code in _TAKEN
        entry = {
            "statusCode": code,
            "number": fields["to"],
            "status": STATUS_NAMES.get(code, "Unknown"),
            "cost": "KES 0.8000" if taken else "0",
            "messageId": f"ATXid_{secrets.token_hex(16)}" if taken else "None",
        }
        with self._lock:
            if taken:
                self.messages.append({**fields, "messageId": entry["messageId"], **_h(headers)})
            else:
                self.rejected.append({**fields, "code": code})
        return entry

    def _refuse(self, fields: dict, status, text: str) -> tuple:
        with self._lock:
            self.rejected.append({**fields, "http_status": status, "text": text})
        return status, text, 0

    def _next_action(self, number: str) -> tuple:
        with self._lock:
            queue = self._scripts.get(number)
            return queue.popleft() if queue else ("ok",)


def _h(headers) -> dict:
    return {"headers": dict(headers)}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, stub: AtStub):
        self.stub = stub
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server_version = "AtStub/1.0"

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
        if urlsplit(self.path).path != "/version1/messaging":
            return self._answer(404, "Not Found", 0)
        return self._answer(*self.server.stub._messaging(form, self.headers))

    def _answer(self, status, body, delay):
        if delay and self.server.stub._stopping.wait(delay):
            return
        if status is None:
            self.close_connection = True
            return
        is_json = isinstance(body, dict)
        payload = (json.dumps(body) if is_json else body).encode()
        try:
            self.send_response(status)
            kind = "application/json" if is_json else "text/plain"
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # our client gave up waiting

    def log_message(self, format, *args):
        """Quiet: tests assert on the recordings."""


# -- what AT posts to us -------------------------------------------------------------------


def inbound_params(*, from_, text, to=SHORTCODE, id=None, link_id=None, network=SAFARICOM):
    """The form AT posts to an inbound-message callback."""
    params = {
        "from": from_,
        "to": to,
        "text": text,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "id": id or str(uuid.uuid4()),
        "networkCode": network,
    }
    if link_id:
        params["linkId"] = link_id
    return params


class Gateway:
    """AT's side of the callbacks, posting through a Flask test client with our `?key=`."""

    def __init__(self, client, secret: str, *, shortcode: str = SHORTCODE):
        self.client, self.secret, self.shortcode = client, secret, shortcode

    def post(self, path: str, params: dict, *, key: str | None = None, **options):
        query = {} if key == "" else {"key": self.secret if key is None else key}
        return self.client.post(
            f"/webhooks/africastalking/{path}", query_string=query, data=params, **options
        )

    def inbound(self, from_: str, text: str, **fields):
        return self.post("sms", inbound_params(from_=from_, text=text, to=self.shortcode, **fields))

    def texts(self, from_: str, text: str, **fields) -> dict:
        """An inbound message that must be taken (200); returns the form posted."""
        params = inbound_params(from_=from_, text=text, to=self.shortcode, **fields)
        response = self.post("sms", params)
        assert response.status_code == 200, response.data
        return params

    def delivery(self, message_id: str, status: str, *, reason: str = "", phone: str = ""):
        params = {
            "id": message_id,
            "status": status,
            "phoneNumber": phone,
            "networkCode": SAFARICOM,
            "retryCount": "0",
        }
        if reason:
            params["failureReason"] = reason
        return self.post("delivery", params)

    def opt_out(self, phone: str, sender_id: str | None = None):
        return self.post("optout", {"senderId": sender_id or self.shortcode, "phoneNumber": phone})


def app_config(stub: "AtStub", twilio, secret: str) -> dict:
    """The app's settings for SMS through this stand-in (the Twilio line, through the Twilio
    stub, beside it). The timeouts are generous: a loaded CI machine must not turn an answer
    into a lost one."""
    return {
        "SMS_BACKEND": "africastalking",
        "AT_USERNAME": DEFAULT_USERNAME,
        "AT_API_KEY": DEFAULT_API_KEY,
        "AT_FROM": SHORTCODE,
        "AT_API_BASE": stub.base_url,
        "AT_WEBHOOK_SECRET": secret,
        "AT_TIMEOUT": 3,
        "TWILIO_API_BASE": twilio.base_url,
        "TWILIO_TIMEOUT": 1,
    }
