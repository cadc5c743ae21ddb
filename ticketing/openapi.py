"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json.

Its components are ticketing.api_schemas, the very schemas the views validate against."""

from ticketing import api_schemas

_ERROR = {"$ref": "#/components/schemas/Error"}
_TICKET = {"$ref": "#/components/schemas/Ticket"}
_MESSAGE = {"$ref": "#/components/schemas/Message"}
_TICKET_PAGE = {"$ref": "#/components/schemas/TicketPage"}


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict:
    return {str(code): _json(_ERROR, "Error") for code in codes}


def _body(component: str) -> dict:
    return {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}},
    }


_REF = {
    "name": "ref",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "Ticket reference (FT-XXXXX) or numeric id",
}
_BODY = _body("NewMessage")
_REPORT_SCOPE = [
    {"name": n, "in": "query", "schema": {"type": t}}
    for n, t in (
        ("period", "string"),
        ("from", "string"),
        ("to", "string"),
        ("department", "integer"),
        ("agent", "integer"),
        ("channel", "string"),
        ("priority", "string"),
        ("category", "string"),
    )
]
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
                "parameters": [
                    {"name": name, "in": "query", "schema": schema}
                    for name, schema in api_schemas.LIST_PARAMETERS.items()
                ],
                "responses": {"200": _json(_TICKET_PAGE)} | _errors(400, 401),
            },
            "post": {
                "summary": "Open a ticket for a customer",
                "parameters": [
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "schema": {"type": "string", "minLength": 1, "maxLength": 120},
                        "description": "draft-ietf-httpapi-idempotency-key-header: a repeat "
                        "with the same key and body gets the first answer (status and ticket, "
                        "with Idempotent-Replayed: true); the same key with another body 422; "
                        "while the first is still running 409 (retry after Retry-After).",
                    }
                ],
                "requestBody": _body("NewTicket"),
                "responses": {
                    "201": _json(_TICKET, "Created, or replayed for the same Idempotency-Key"),
                }
                | _errors(400, 401, 409, 422),
            },
        },
        "/tickets/{ref}": {
            "parameters": [_REF],
            "get": {
                "summary": "A ticket with its thread",
                "responses": {"200": _json(_TICKET)} | _errors(401, 404),
            },
            "patch": {
                "summary": "Change status, priority or assignee",
                "requestBody": _body("TicketChange"),
                "responses": {"200": _json(_TICKET)} | _errors(400, 401, 404, 409, 422),
            },
        },
        "/tickets/{ref}/replies": {
            "parameters": [_REF],
            "post": {
                "summary": "Reply to the customer on their channel",
                "requestBody": _BODY,
                "responses": {"201": _json(_MESSAGE, "Sent")} | _errors(401, 404, 409, 422),
            },
        },
        "/tickets/{ref}/notes": {
            "parameters": [_REF],
            "post": {
                "summary": "Add an internal note",
                "requestBody": _BODY,
                "responses": {"201": _json(_MESSAGE, "Saved")} | _errors(401, 404, 422),
            },
        },
        "/reports/summary": {
            "get": {
                "summary": "Every dashboard figure (supervisors and admins)",
                "parameters": _REPORT_SCOPE,
                "responses": {"200": _json({"type": "object"})} | _errors(400, 401, 403),
            }
        },
        "/reports/{table}": {
            "get": {
                "summary": "One dashboard table: figures, times, daily, backlog, channels, "
                "follow_ups, after_sale, satisfaction, comments, delivery, failures, "
                "agents, departments",
                "parameters": [
                    {"name": "table", "in": "path", "required": True, "schema": {"type": "string"}}
                ]
                + _REPORT_SCOPE,
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "scope": {"type": "object"},
                                "columns": {"type": "array"},
                                "rows": {"type": "array", "items": {"type": "object"}},
                            },
                        }
                    )
                }
                | _errors(400, 401, 403, 404),
            }
        },
        "/reports/tickets": {
            "get": {
                "summary": "The tickets behind one figure, most urgent first",
                "parameters": _REPORT_SCOPE
                + [
                    {"name": n, "in": "query", "schema": {"type": t}}
                    for n, t in (
                        ("figure", "string"),
                        ("part", "string"),
                        ("status", "string"),
                        ("page", "integer"),
                        ("per_page", "integer"),
                    )
                ],
                "responses": {"200": _json(_TICKET_PAGE)} | _errors(400, 401, 403),
            }
        },
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": api_schemas.COMPONENTS,
    },
}
