"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json.

Its components are ticketing.api_schemas and its parameters ticketing.api_params: the very
schemas the views validate bodies and query strings against. Every status an operation can
answer is listed, with the Error schema for the 4xx ones (tests/test_api_contract.py runs
schemathesis against it, so an undocumented answer fails the build).
"""

from ticketing import api_params, api_schemas

_ERROR = {"$ref": "#/components/schemas/Error"}
_TICKET = {"$ref": "#/components/schemas/Ticket"}
_MESSAGE = {"$ref": "#/components/schemas/Message"}
_TICKET_PAGE = {"$ref": "#/components/schemas/TicketPage"}
_CANNED_ID = {
    "name": "canned_id",
    "in": "path",
    "required": True,
    "schema": api_params.CANNED_ID,
    "description": "A canned response's id, from GET /canned",
}

# Why each error status happens, in the words of the document.
_WHY = {
    400: "Malformed request: control characters, JSON that is not an object or too deep, an "
    "invalid query parameter (invalid_filter), an unusable Idempotency-Key",
    401: "No valid bearer token (unauthorized)",
    403: "The token's user may not use this operation (forbidden)",
    404: "No such ticket, or one in a department the user does not work in; no such canned "
    "response, or one the user may not use on this ticket (not_found)",
    409: "The ticket's state does not allow it (invalid_transition), or a request with this "
    "Idempotency-Key is still running (request_in_progress)",
    413: "The body is larger than the server accepts (too_large)",
    415: "The body is not application/json (unsupported_media_type)",
    422: "The JSON body does not match its schema, or names a contact or user that cannot be "
    "used; error.field says which",
}
_RETRY_AFTER = {"Retry-After": {"description": "seconds", "schema": {"type": "string"}}}


def _json(schema: dict, description: str = "OK", headers: dict | None = None) -> dict:
    answer = {"description": description, "content": {"application/json": {"schema": schema}}}
    return answer | ({"headers": headers} if headers else {})


def _errors(*codes: int) -> dict:
    answers = {str(code): _json(_ERROR, _WHY[code]) for code in codes}
    if "409" in answers:
        answers["409"]["headers"] = _RETRY_AFTER
    return answers


def _body(component: str) -> dict:
    return {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}},
    }


def _query(params: dict) -> list[dict]:
    required = api_params.REQUIRED.get(id(params), [])
    return [
        {"name": name, "in": "query", "schema": schema}
        | ({"required": True} if name in required else {})
        for name, schema in params.items()
    ]


_REF = {
    "name": "ref",
    "in": "path",
    "required": True,
    "schema": api_params.REF,
    "description": "Ticket reference (FT-XXXXX) or numeric id",
}
_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "schema": api_params.IDEMPOTENCY_KEY,
    "description": "draft-ietf-httpapi-idempotency-key-header: a repeat with the same key and "
    "body gets the first answer (status and ticket, with Idempotent-Replayed: true); the same "
    "key with another body 422; while the first is still running 409 (retry after Retry-After).",
}
_REPLAYED = {
    "Idempotent-Replayed": {
        "description": "true when this is the stored answer to an earlier request with the key",
        "schema": {"type": "string", "enum": ["true"]},
    }
}
_BODY_ERRORS = (400, 401, 413, 415, 422)
_REPORT_ERRORS = (400, 401, 403)

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {
        "title": "Fuatilia API",
        "version": "1.0.0",
        "description": "Tickets of a multichannel helpdesk. Errors are "
        '{"error": {"code": "...", "message": "..."}} with a stable code.',
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "paths": {
        "/tickets": {
            "get": {
                "summary": "List tickets you may see, most urgent first",
                "parameters": _query(api_params.LIST),
                "responses": {"200": _json(_TICKET_PAGE)} | _errors(400, 401),
            },
            "post": {
                "summary": "Open a ticket for a customer",
                "parameters": [_IDEMPOTENCY_KEY],
                "requestBody": _body("NewTicket"),
                "responses": {
                    "201": _json(
                        _TICKET, "Created, or replayed for the same Idempotency-Key", _REPLAYED
                    ),
                }
                | _errors(*_BODY_ERRORS, 409),
            },
        },
        "/tickets/{ref}": {
            "parameters": [_REF],
            "get": {
                "summary": "A ticket with its thread",
                "responses": {"200": _json(_TICKET)} | _errors(400, 401, 404),
            },
            "patch": {
                "summary": "Change status, priority, assignee or tags",
                "requestBody": _body("TicketChange"),
                "responses": {"200": _json(_TICKET)} | _errors(*_BODY_ERRORS, 404, 409),
            },
        },
        "/tickets/{ref}/replies": {
            "parameters": [_REF],
            "post": {
                "summary": "Reply to the customer on their channel",
                "requestBody": _body("NewMessage"),
                "responses": {"201": _json(_MESSAGE, "Sent")} | _errors(*_BODY_ERRORS, 404, 409),
            },
        },
        "/tickets/{ref}/notes": {
            "parameters": [_REF],
            "post": {
                "summary": "Add an internal note",
                "requestBody": _body("NewMessage"),
                "responses": {"201": _json(_MESSAGE, "Saved")} | _errors(*_BODY_ERRORS, 404),
            },
        },
        "/canned": {
            "get": {
                "summary": "The canned responses and macros you may use",
                "responses": {"200": _json({"$ref": "#/components/schemas/CannedList"})}
                | _errors(401),
            }
        },
        "/tickets/{ref}/canned/{canned_id}": {
            "parameters": [_REF, _CANNED_ID],
            "get": {
                "summary": "A canned response filled in for the ticket, in its customer's language",
                "responses": {"200": _json({"$ref": "#/components/schemas/CannedText"})}
                | _errors(400, 401, 404, 409),
            },
        },
        "/tickets/{ref}/canned/{canned_id}/apply": {
            "parameters": [_REF, _CANNED_ID],
            "post": {
                "summary": "Apply a macro's changes (status, priority, assignee) to the ticket; "
                "all or nothing",
                "responses": {"200": _json(_TICKET, "Applied")} | _errors(400, 401, 404, 409),
            },
        },
        "/reports/summary": {
            "get": {
                "summary": "Every dashboard figure (supervisors and admins)",
                "parameters": _query(api_params.SCOPE),
                "responses": {"200": _json({"type": "object"})} | _errors(*_REPORT_ERRORS),
            }
        },
        "/reports/{table}": {
            "get": {
                "summary": "One dashboard table (supervisors and admins)",
                "parameters": [
                    {"name": "table", "in": "path", "required": True, "schema": api_params.TABLE}
                ]
                + _query(api_params.SCOPE),
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["scope", "columns", "rows"],
                            "properties": {
                                "scope": {"type": "object"},
                                "columns": {"type": "array", "items": {"type": "string"}},
                                "rows": {"type": "array", "items": {"type": "object"}},
                            },
                        }
                    )
                }
                | _errors(*_REPORT_ERRORS, 404),
            }
        },
        "/reports/tickets": {
            "get": {
                "summary": "The tickets behind one figure, most urgent first",
                "parameters": _query(api_params.FIGURE),
                "responses": {"200": _json(_TICKET_PAGE)} | _errors(*_REPORT_ERRORS),
            }
        },
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": api_schemas.COMPONENTS,
    },
}
