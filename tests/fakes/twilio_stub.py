"""A local HTTP server that speaks Twilio's Messages REST API.

Tests point the real ``twilio`` client at it (``client.api.base_url =
stub.base_url``) so request encoding, auth, error parsing and timeouts are
exercised for real, while failures and outages can be scripted per number.
It creates, fetches and lists messages (``Messages.json``, newest first, paged
and filtered as Twilio documents it); ``clock`` is its idea of the time.

WhatsApp: ``whatsapp:`` addresses (both ends, or 21910), Content templates
(``ContentSid`` HX + 32 hex, else 21655; ``ContentVariables`` a JSON object of
strings, else 21656), and ``close_window(number)``: free-form messages to it
are refused with 63016 while templates still go. Media: ``add_media`` serves a
file at a Twilio-style media URL behind the account's basic auth, which
redirects (302) to an unauthenticated "CDN" URL, as Twilio's does.
"""

import base64
import hmac
import json
import mimetypes
import re
import secrets
import threading
from collections import defaultdict, deque
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from twilio.request_validator import RequestValidator

__all__ = [
    "DEFAULT_ACCOUNT_SID",
    "DEFAULT_AUTH_TOKEN",
    "TwilioStub",
    "inbound_sms_params",
    "num_segments",
    "sign",
]

# Fixed defaults so app test config can reference them without a live stub.
DEFAULT_ACCOUNT_SID = "AC" + "f00dcafe" * 4
DEFAULT_AUTH_TOKEN = "7e57" * 8
API_VERSION = "2010-04-01"

_PREFIX = f"/{API_VERSION}/Accounts/"
_CDN = "/cdn/"  # where a media URL redirects: a signed, credential-free address
_MAX_BODY = 1600
_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXT = set("^{}\\[~]|€\f")  # each costs two septets


def sign(url: str, params: dict, auth_token: str) -> str:
    """Return the X-Twilio-Signature Twilio would send for this webhook."""
    return RequestValidator(auth_token).compute_signature(url, params)


def num_segments(body: str) -> int:
    """Count SMS segments the way carriers bill them (GSM-7 vs UCS-2)."""
    if set(body) <= _GSM7 | _GSM7_EXT:
        units = len(body) + sum(ch in _GSM7_EXT for ch in body)
        single, multi = 160, 153
    else:
        units = len(body.encode("utf-16-le")) // 2
        single, multi = 70, 67
    if units <= single:
        return 1
    return -(-units // multi)


def _new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def inbound_sms_params(
    *,
    from_,
    to,
    body,
    sid=None,
    messaging_service_sid=None,
    num_media=0,
    media_urls=(),
    account_sid=DEFAULT_ACCOUNT_SID,
) -> dict:
    """Build the exact form Twilio POSTs to an incoming-message webhook.

    Twilio only fills City/State/Zip for North American numbers, so for
    Kenyan numbers they arrive as empty strings. ``num_media`` beyond the
    given ``media_urls`` gets Twilio-style media URLs (image/jpeg).
    """
    count = max(num_media, len(media_urls))
    sid = sid or _new_sid("MM" if count else "SM")
    params = {
        "ToCountry": "KE",
        "ToState": "",
        "SmsMessageSid": sid,
        "NumMedia": str(count),
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": "KE",
        "To": to,
    }
    if messaging_service_sid:
        params["MessagingServiceSid"] = messaging_service_sid
    params.update(
        {
            "ToZip": "",
            "NumSegments": str(num_segments(body)),
            "MessageSid": sid,
            "AccountSid": account_sid,
            "From": from_,
            "ApiVersion": API_VERSION,
        }
    )
    for index in range(count):
        url, content_type = _media(account_sid, sid, media_urls, index)
        params[f"MediaContentType{index}"] = content_type
        params[f"MediaUrl{index}"] = url
    return params


def _media(account_sid, sid, media_urls, index):
    """Pick (url, content type) for one inbound attachment."""
    if index < len(media_urls):
        url = media_urls[index]
        return url, mimetypes.guess_type(url)[0] or "image/jpeg"
    url = f"https://api.twilio.com{_PREFIX}{account_sid}/Messages/{sid}/Media/{_new_sid('ME')}"
    return url, "image/jpeg"


def _error_body(status: int, code, message: str) -> dict:
    """Twilio's legacy error JSON; without a code the client uses the status."""
    if code is None:
        return {"message": message, "status": status}
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


@dataclass(frozen=True)
class _Reply:
    """What the handler does: wait ``delay``, then answer or (status None) hang up."""

    status: int | None
    body: dict | None = None
    delay: float = 0.0


def _error(status: int, code, message: str) -> _Reply:
    return _Reply(status, _error_body(status, code, message))


_DROP = _Reply(None)
_DOWN = _error(503, None, "Service Unavailable")


def _normalise(action) -> tuple:
    """Validate a scripted action up front so typos fail in the test, not the server."""
    if action == "ok":
        return ("ok",)
    kind = action[0] if isinstance(action, tuple) and action else None
    arity = {"http": 4, "hang": 2, "drop": 1}.get(kind)
    if arity != len(action):
        raise ValueError(f"unknown stub action: {action!r}")
    return action


_WHATSAPP = "whatsapp:"
_CONTENT_SID = re.compile(r"HX[0-9a-fA-F]{32}")


def _validate(fields: dict) -> _Reply | None:
    """Reject creates the way Twilio does before any number is looked at."""
    if not fields["to"]:
        return _error(400, 21604, "A 'To' phone number is required.")
    if not fields["from_"] and not fields["messaging_service_sid"]:
        return _error(400, 21603, "A 'From' phone number is required.")
    if fields["from_"] and fields["to"].startswith(_WHATSAPP) != fields["from_"].startswith(
        _WHATSAPP
    ):
        return _error(
            400, 21910, "Invalid From and To pair. From and To should be of the same channel"
        )
    if fields["content_sid"] is not None or fields["content_variables"] is not None:
        return _validate_content(fields)
    if not fields["body"] and not fields["media_urls"]:
        return _error(400, 21602, "Message body is required.")
    if len(fields["body"] or "") > _MAX_BODY:
        return _error(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
    return None


def _validate_content(fields: dict) -> _Reply | None:
    """A Content template send: a well-formed SID, and variables as a JSON object of
    strings (WhatsApp also refuses empty ones, and newlines or tabs in them)."""
    if not _CONTENT_SID.fullmatch(fields["content_sid"] or ""):
        return _error(400, 21655, "The ContentSid is Invalid")
    raw = fields["content_variables"]
    if raw is None:
        return None
    try:
        variables = json.loads(raw)
    except ValueError:
        variables = None
    if not isinstance(variables, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() and not set(v) & set("\n\t")
        for k, v in variables.items()
    ):
        return _error(400, 21656, "The ContentVariables Parameter is invalid")
    return None


def _fields(form: dict, headers) -> dict:
    """Turn a parsed create form into the record tests assert on."""

    def one(name):
        return form.get(name, [None])[0]

    return {
        "to": one("To"),
        "from_": one("From"),
        "messaging_service_sid": one("MessagingServiceSid"),
        "body": one("Body"),
        "status_callback": one("StatusCallback"),
        "media_urls": form.get("MediaUrl", []),
        "content_sid": one("ContentSid"),
        "content_variables": one("ContentVariables"),
        "sid": None,
        "headers": dict(headers),
    }


class TwilioStub:
    """Fake api.twilio.com Messages endpoint on 127.0.0.1 with scriptable failures."""

    def __init__(self, account_sid=DEFAULT_ACCOUNT_SID, auth_token=DEFAULT_AUTH_TOKEN):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.base_url = None
        self.clock = lambda: datetime.now(UTC)  # aware UTC; tests may follow a frozen clock
        self.messages = []
        self.rejected = []
        self.listed = []  # the query of every list request, as Twilio would read it
        self._resources = {}
        self.templates = {}  # content SID -> its text with {{1}}...: what Twilio would send
        self.closed_windows = set()  # WhatsApp addresses that only take templates now
        self.media = {}  # media path -> (bytes, content type)
        self.media_requests = []  # (path, had the right credentials) of every media GET
        self._scripts = defaultdict(deque)
        self._down = False
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = None
        self._thread = None

    # -- lifecycle ---------------------------------------------------------

    def start(self):
        self._stopping.clear()
        self._server = _Server(self)
        host, port = self._server.server_address[:2]
        self.base_url = f"http://{host}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            args=(0.05,),  # quick stop()
            name="twilio-stub",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self):
        """Stop serving; also wakes handlers sleeping in a ``hang`` action."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._server = self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    # -- scripting and inspection -------------------------------------------

    def script(self, number: str, *actions):
        """Queue outcomes for the next creates to ``number``; then back to ok."""
        normalised = [_normalise(action) for action in actions]
        with self._lock:
            self._scripts[number].extend(normalised)

    def go_down(self):
        """Answer every request with 503 until ``come_back``: a provider outage."""
        self._down = True

    def come_back(self):
        self._down = False

    def close_window(self, number: str):
        """WhatsApp's 24-hour window with ``number`` (``whatsapp:+254...``) is over: free-form
        messages to it are refused with 63016 until ``clear``; templates still go."""
        with self._lock:
            self.closed_windows.add(number)

    def add_media(self, data: bytes, content_type: str = "image/jpeg", *, length=None) -> str:
        """Serve ``data`` at a Twilio media URL (under ``base_url``) behind basic auth; it
        redirects to where the bytes are. ``length`` overrides the Content-Length header
        (None sends the true one, "" none at all: the body is then streamed unannounced)."""
        path = f"{_PREFIX}{self.account_sid}/Messages/{_new_sid('MM')}/Media/{_new_sid('ME')}"
        with self._lock:
            self.media[path] = (data, content_type, length)
        return self.base_url + path

    def sent_to(self, number: str) -> list[str]:
        with self._lock:
            return [m["body"] for m in self.messages if m["to"] == number]

    def clear(self):
        """Reset recordings, stored messages, scripts and outage between tests."""
        with self._lock:
            self.messages.clear()
            self.rejected.clear()
            self.listed.clear()
            self._resources.clear()
            self._scripts.clear()
            self.templates.clear()
            self.closed_windows.clear()
            self.media.clear()
            self.media_requests.clear()
            self._down = False

    # -- status callbacks ----------------------------------------------------

    def send_status(
        self,
        sid,
        status,
        *,
        error_code=None,
        error_message=None,
        signature=None,
        url=None,
        extra=None,
    ) -> int:
        """POST a delivery status callback as Twilio does; return the HTTP status.

        ``signature``: None signs correctly, "forged" signs with a wrong
        token, "" omits the header, any other string is sent verbatim.
        """
        resource = self._update_resource(sid, status, error_code, error_message)
        url = url or resource["_status_callback"]
        if not url:
            raise ValueError(f"message {sid} has no StatusCallback; pass url=")
        params = _status_params(resource, status, error_code)
        params.update(extra or {})
        headers = {"User-Agent": "TwilioProxy/1.1"}
        if signature is None:
            signature = sign(url, params, self.auth_token)
        elif signature == "forged":
            signature = sign(url, params, self.auth_token + "-forged")
        if signature:
            headers["X-Twilio-Signature"] = signature
        return requests.post(url, data=params, headers=headers, timeout=10).status_code

    def _update_resource(self, sid, status, error_code, error_message):
        """Keep GET .../Messages/{sid}.json in step with callbacks sent."""
        now = _rfc2822(self.clock())
        with self._lock:
            resource = self._resources[sid]
            resource.update(
                status=status,
                error_code=error_code,
                error_message=error_message,
                date_updated=now,
            )
            if status in _HANDED_TO_CARRIER and resource["date_sent"] is None:
                resource["date_sent"] = now  # Twilio dates a message when it leaves for it
            return dict(resource)

    # -- request handling (called from server threads) -------------------------

    def _create(self, account_sid: str, form: dict, headers) -> _Reply:
        fields = _fields(form, headers)
        failure = self._precheck(account_sid, headers) or _validate(fields)
        action = ("ok",)
        if failure is None:
            action = self._next_action(fields["to"])
            failure = _failure_for(action) or self._outside_window(fields)
        if failure is not None:
            self._reject(fields, failure)
            return failure
        reply = self._accept(fields)
        # A hang is recorded as sent: Twilio accepted it, only the answer is late.
        return replace(reply, delay=action[1]) if action[0] == "hang" else reply

    def _fetch(self, account_sid: str, sid: str, headers) -> _Reply:
        failure = self._precheck(account_sid, headers)
        if failure is not None:
            return failure
        with self._lock:
            resource = self._resources.get(sid)
        if resource is None:
            return _not_found(f"{_PREFIX}{account_sid}/Messages/{sid}.json")
        return _Reply(200, _public(resource))

    def _list(self, account_sid: str, query: dict, headers) -> _Reply:
        """One page of the account's messages, newest first, filtered as Twilio does."""
        failure = self._precheck(account_sid, headers)
        if failure is not None:
            return failure
        params = {name: values[0] for name, values in query.items()}
        try:
            size, page = int(params.get("PageSize", 50)), int(params.get("Page", 0))
            keep = _filters(params)
        except ValueError as error:
            return _error(400, 20001, f"Invalid list parameter: {error}")
        if not 1 <= size <= 1000 or page < 0:
            return _error(400, 20001, "PageSize must be 1 to 1000 and Page at least 0")
        with self._lock:
            self.listed.append(params)
            found = [_public(r) for r in reversed(self._resources.values()) if keep(r)]
        found.sort(key=lambda r: parsedate_to_datetime(r["date_created"]), reverse=True)
        return _Reply(200, _page(f"{_PREFIX}{account_sid}/Messages.json", params, found))

    def _outside_window(self, fields: dict) -> _Reply | None:
        if fields["content_sid"] is None and fields["to"] in self.closed_windows:
            return _error(
                400,
                63016,
                "Failed to send freeform message because you are outside the allowed window. "
                "If you are using WhatsApp, please use a Message Template.",
            )
        return None

    def _media_file(self, path: str, headers) -> _Reply:
        """A media URL: the account's credentials, then a redirect to the bytes."""
        failure = self._precheck(self.account_sid, headers)
        with self._lock:
            found = path in self.media
            self.media_requests.append((path, failure is None))
        if failure is not None:
            return failure
        if not found:
            return _not_found(path)
        return _Reply(302, {"location": self.base_url + _CDN + path.rsplit("/", 1)[-1]})

    def _cdn_file(self, name: str):
        with self._lock:
            for path, item in self.media.items():
                if path.endswith("/" + name):
                    return item
        return None

    def _precheck(self, account_sid: str, headers) -> _Reply | None:
        if self._down:
            return _DOWN
        expected = f"{self.account_sid}:{self.auth_token}".encode()
        given = headers.get("Authorization", "")
        try:
            decoded = base64.b64decode(given.removeprefix("Basic "), validate=True)
        except ValueError:
            decoded = b""
        if account_sid != self.account_sid or not hmac.compare_digest(decoded, expected):
            return _error(401, 20003, "Authenticate")
        return None

    def _next_action(self, number: str) -> tuple:
        with self._lock:
            queue = self._scripts.get(number)
            return queue.popleft() if queue else ("ok",)

    def _reject(self, fields: dict, reply: _Reply):
        body = reply.body or {}
        with self._lock:
            self.rejected.append({**fields, "http_status": reply.status, "code": body.get("code")})

    def _accept(self, fields: dict) -> _Reply:
        sid = _new_sid("SM")
        if fields["content_sid"]:
            fields = {**fields, "body": _rendered(fields, self.templates)}
        resource = _message_resource(self.account_sid, sid, fields, _rfc2822(self.clock()))
        with self._lock:
            self.messages.append({**fields, "sid": sid})
            self._resources[sid] = resource
        return _Reply(201, _public(resource))


def _failure_for(action: tuple) -> _Reply | None:
    if action[0] == "http":
        _, status, code, message = action
        return _error(status, code, message)
    if action[0] == "drop":
        return _DROP
    return None


def _not_found(path: str) -> _Reply:
    return _error(404, 20404, f"The requested resource {path} was not found")


def _rfc2822(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0))


_HANDED_TO_CARRIER = {"sent", "delivered", "undelivered", "read"}


def _filters(params: dict):
    """A predicate for To, From and the DateSent filters. ``DateSent>`` and ``DateSent<``
    are Twilio's on-or-after and on-or-before (the client sends them as ``DateSent>=...``);
    a bare date compares days, a full timestamp compares instants; a message not yet sent
    has no date_sent and matches no DateSent filter."""
    to, from_ = params.get("To"), params.get("From")
    dated = [(op, _when(params[name])) for op, name in _DATE_FILTERS if params.get(name)]

    def keep(resource: dict) -> bool:
        if (to and resource["to"] != to) or (from_ and resource["from"] != from_):
            return False
        if not dated:
            return True
        if resource["date_sent"] is None:
            return False
        sent = parsedate_to_datetime(resource["date_sent"])
        return all(
            op(sent if isinstance(when, datetime) else sent.date(), when) for op, when in dated
        )

    return keep


_DATE_FILTERS = (
    (lambda a, b: a == b, "DateSent"),
    (lambda a, b: a <= b, "DateSent<"),
    (lambda a, b: a >= b, "DateSent>"),
)


def _when(value: str):
    """``YYYY-MM-DD`` as a date, ``YYYY-MM-DDTHH:MM:SSZ`` as an aware datetime."""
    if len(value) == 10:
        return datetime.strptime(value, "%Y-%m-%d").date()
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _page(path: str, params: dict, found: list) -> dict:
    """Twilio's paged list JSON: the records under ``messages`` and the paging URIs."""
    size, page = int(params.get("PageSize", 50)), int(params.get("Page", 0))
    filters = {k: v for k, v in params.items() if k not in ("PageSize", "Page", "PageToken")}
    records = found[page * size : (page + 1) * size]

    def uri(number: int, token: str | None = None) -> str:
        query = {**filters, "PageSize": size, "Page": number}
        if token:
            query["PageToken"] = token
        return f"{path}?{urlencode(query)}"

    more = len(found) > (page + 1) * size
    return {
        "messages": records,
        "end": page * size + max(len(records) - 1, 0),
        "first_page_uri": uri(0),
        "next_page_uri": uri(page + 1, "PA" + records[-1]["sid"]) if more else None,
        "previous_page_uri": uri(page - 1, "PB" + records[0]["sid"]) if page and records else None,
        "page": page,
        "page_size": size,
        "start": page * size,
        "uri": uri(page),
    }


def _rendered(fields: dict, templates: dict) -> str:
    """The words Twilio sends for a template: its text with the variables put in."""
    text = templates.get(fields["content_sid"], "")
    for number, value in json.loads(fields["content_variables"] or "{}").items():
        text = text.replace("{{" + number + "}}", value)
    return text


def _message_resource(account_sid: str, sid: str, fields: dict, now: str) -> dict:
    """The JSON Twilio returns for a freshly created outbound message."""
    uri = f"{_PREFIX}{account_sid}/Messages/{sid}.json"
    return {
        "account_sid": account_sid,
        "api_version": API_VERSION,
        "body": fields["body"] or "",
        "date_created": now,
        "date_sent": None,
        "date_updated": now,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": fields["from_"],
        "messaging_service_sid": fields["messaging_service_sid"],
        "num_media": str(len(fields["media_urls"])),
        "num_segments": str(num_segments(fields["body"] or "")),
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "status": "accepted" if fields["messaging_service_sid"] else "queued",
        "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
        "to": fields["to"],
        "uri": uri,
        "_status_callback": fields["status_callback"],
    }


def _public(resource: dict) -> dict:
    """Drop the stub's private bookkeeping keys before answering."""
    return {k: v for k, v in resource.items() if not k.startswith("_")}


def _status_params(resource: dict, status: str, error_code) -> dict:
    """Form fields of a Twilio message status callback."""
    params = {
        "MessageSid": resource["sid"],
        "SmsSid": resource["sid"],
        "MessageStatus": status,
        "SmsStatus": status,
        "AccountSid": resource["account_sid"],
        "To": resource["to"],
        "ApiVersion": API_VERSION,
    }
    if resource["from"]:
        params["From"] = resource["from"]
    if resource["messaging_service_sid"]:
        params["MessagingServiceSid"] = resource["messaging_service_sid"]
    if error_code is not None:
        params["ErrorCode"] = str(error_code)
    return params


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, stub: TwilioStub):
        self.stub = stub
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    """Routes the Messages URLs (create, list, fetch) to the stub and writes its reply."""

    server_version = "TwilioStub/1.0"

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
        path = urlsplit(self.path).path
        account_sid, rest = _split(path)
        if rest == "Messages.json":
            self._answer(self.server.stub._create(account_sid, form, self.headers))
        else:
            self._answer(_not_found(path))

    def do_GET(self):
        url = urlsplit(self.path)
        path = url.path
        account_sid, rest = _split(path)
        sid = rest.removeprefix("Messages/").removesuffix(".json")
        if path.startswith(_CDN):
            self._serve_file(self.server.stub._cdn_file(path.removeprefix(_CDN)))
        elif "/Media/" in rest and not rest.endswith(".json"):
            reply = self.server.stub._media_file(path, self.headers)
            if reply.status == 302:
                self._redirect(reply.body["location"])
            else:
                self._answer(reply)
        elif rest == "Messages.json":
            query = parse_qs(url.query, keep_blank_values=True)
            self._answer(self.server.stub._list(account_sid, query, self.headers))
        elif rest == f"Messages/{sid}.json" and "/" not in sid:
            self._answer(self.server.stub._fetch(account_sid, sid, self.headers))
        else:
            self._answer(_not_found(path))

    def _answer(self, reply: _Reply):
        if reply.delay and self.server.stub._stopping.wait(reply.delay):
            reply = _DROP
        if reply.status is None:
            self.close_connection = True
            return
        payload = json.dumps(reply.body).encode()
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            if reply.status == 401:
                self.send_header("WWW-Authenticate", 'Basic realm="Twilio API"')
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (e.g. its timeout fired)

    def _redirect(self, location: str):
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _serve_file(self, item):
        if item is None:
            self._answer(_not_found(self.path))
            return
        data, content_type, length = item
        try:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            if length != "":
                self.send_header("Content-Length", str(len(data) if length is None else length))
            else:
                self.close_connection = True  # no length: the end of the body is the close
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading (over its size limit)

    def log_message(self, format, *args):
        """Silence per-request logging; tests assert on recordings instead."""


def _split(path: str) -> tuple[str, str]:
    """Split ``/2010-04-01/Accounts/{sid}/{rest}`` into (sid, rest)."""
    if not path.startswith(_PREFIX):
        return "", ""
    account_sid, _, rest = path.removeprefix(_PREFIX).partition("/")
    return account_sid, rest
