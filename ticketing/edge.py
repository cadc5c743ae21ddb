"""Checks at the edge, before any view runs: input no handler can use is refused with a 4xx.

One before_request hook (init_app) applies these rules to every request:

* C0 control characters other than tab, newline and carriage return (NUL above all: a
  PostgreSQL text column cannot hold it) in the path, a query string, a form field or a JSON
  string or key are refused with 400. Refused, not stripped: stripping would silently change
  what a person typed (and the body an Idempotency-Key is bound to), and no keyboard types
  them. A lone UTF-16 surrogate in a JSON string (valid JSON, "\\ud800") is refused the
  same way: no UTF-8 text, hence no column, can hold it (it was a 500). Webhook bodies are
  exempt (only their query strings' numbers are checked): the provider signs the parameters
  as sent and does not retry a 4xx, so refusing would lose the customer's message; the
  handler reads its own body (the email one, the raw stream) and stores the raw payload first.
* A JSON body nested deeper than MAX_JSON_DEPTH is refused with 400 before json.loads
  recurses into it (100,000 brackets raise RecursionError, not ValueError).
* Integer ids in the path (<int:...> converters) beyond a database INTEGER answer 404: no
  row can have them. Named integer parameters in a query string or form beyond that range,
  and page numbers beyond MAX_PAGE, answer 400.
"""

import re

from flask import abort, jsonify, request

MAX_JSON_DEPTH = 32
MAX_ID = 2**31 - 1  # PostgreSQL INTEGER, and every id column here is one
MAX_PAGE = 100_000
# Query-string and form parameters read with type=int somewhere in the views.
INT_PARAMS = frozenset(
    {
        "department",
        "department_id",
        "assignee",
        "assignee_id",
        "agent",
        "outbox",
        "user_id",
        "ticket_id",
    }
)
PAGE_PARAMS = frozenset({"page", "per_page"})
EXEMPT_PREFIXES = ("/webhooks/", "/static/")

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")
_INTEGER = re.compile(r"\s*[+-]?\d+\s*", re.ASCII)


class BadInput(Exception):
    """Input refused at the edge: `where` names the field, for the client to fix."""

    def __init__(self, where: str, message: str):
        super().__init__(f"{where}: {message}")
        self.where, self.message = where, message


def init_app(app) -> None:
    app.before_request(check_request)


def check_request():
    try:
        _check()
    except BadInput as error:
        if request.path.startswith("/api/"):
            body = {"error": {"code": "bad_input", "message": str(error), "field": error.where}}
            return jsonify(body), 400
        abort(400, str(error))
    return None


def _check() -> None:
    if any(isinstance(v, int) and not 0 <= v <= MAX_ID for v in (request.view_args or {}).values()):
        abort(404)  # an <int:...> id no row can have
    exempt = request.path.startswith(EXEMPT_PREFIXES)
    if not exempt and has_control(request.path):
        raise BadInput("path", "contains control characters")
    _check_fields(exempt)
    if request.is_json and request.content_length != 0 and not exempt:
        if json_depth(request.get_data(cache=True)) > MAX_JSON_DEPTH:
            raise BadInput("body", f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        where = control_in_json(request.get_json(silent=True))
        if where is not None:
            raise BadInput(where, "contains control characters")


def _check_fields(exempt: bool) -> None:
    sources = [("query", request.args)]
    # A webhook's body is its handler's to read (the email one reads the raw stream).
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and not (request.is_json or exempt):
        sources.append(("form", request.form))
    for source, values in sources:
        for name, value in values.items(multi=True):
            if not exempt and (has_control(name) or has_control(value)):
                raise BadInput(f"{source} field {name[:40]!r}", "contains control characters")
            _check_number(name, value)


def has_control(text: str) -> bool:
    return bool(CONTROL.search(text))


def _check_number(name: str, value: str) -> None:
    if name not in INT_PARAMS and name not in PAGE_PARAMS:
        return
    if not _INTEGER.fullmatch(value):
        return  # the view's type=int reads it as missing, as before
    if len(value.strip()) > 12 or abs(int(value)) > (MAX_PAGE if name in PAGE_PARAMS else MAX_ID):
        raise BadInput(f"parameter {name!r}", "is out of range")


def json_depth(raw: bytes, limit: int = MAX_JSON_DEPTH) -> int:
    """How deeply the JSON text nests, counting brackets outside strings; it stops counting
    just past `limit`, so a hostile body costs one regular-expression pass."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_JSON_STRING.sub(b'""', raw)):
        if match.group() in (b"[", b"{"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        else:
            depth -= 1
    return deepest


def control_in_json(value, where: str = "body") -> str | None:
    """The place of the first string or key holding a control character, or None."""
    if isinstance(value, str):
        return where if has_control(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if has_control(key):
                return where
            found = control_in_json(item, f"{where}.{key}" if where != "body" else key)
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = control_in_json(item, f"{where}[{index}]")
            if found:
                return found
    return None
