"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json."""

_ERROR = {"$ref": "#/components/schemas/Error"}
_TICKET = {"$ref": "#/components/schemas/Ticket"}


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict:
    return {str(code): _json(_ERROR, "Error") for code in codes}


_REF = {
    "name": "ref",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "Ticket reference (FT-XXXXX) or numeric id",
}
_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["body"],
                "properties": {"body": {"type": "string"}},
            }
        }
    },
}
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
_MESSAGE = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "direction": {"enum": ["inbound", "outbound"]},
        "channel": {"type": "string"},
        "internal": {"type": "boolean"},
        "body": {"type": "string"},
        "author": {"type": ["string", "null"]},
        "created_at": {"type": "string", "format": "date-time"},
        "sender": {"type": ["string", "null"], "description": "a CC who wrote, not the customer"},
        "delivery": {"type": ["string", "null"]},
    },
}

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
                    {"name": n, "in": "query", "schema": {"type": t}}
                    for n, t in (
                        ("status", "string"),
                        ("department_id", "integer"),
                        ("phone", "string"),
                        ("email", "string"),
                        ("updated_since", "string"),
                        ("page", "integer"),
                        ("per_page", "integer"),
                    )
                ],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "tickets": {"type": "array", "items": _TICKET},
                                "page": {"type": "integer"},
                                "pages": {"type": "integer"},
                                "total": {"type": "integer"},
                            },
                        }
                    )
                }
                | _errors(400, 401),
            },
            "post": {
                "summary": "Open a ticket for a customer",
                "parameters": [
                    {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}}
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["subject", "body", "customer"],
                                "properties": {
                                    "subject": {"type": "string"},
                                    "body": {"type": "string"},
                                    "category": {"type": "string"},
                                    "priority": {"type": "string"},
                                    "customer": {
                                        "type": "object",
                                        "properties": {
                                            "name": {"type": "string"},
                                            "email": {"type": "string"},
                                            "phone": {"type": "string"},
                                        },
                                    },
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "201": _json(_TICKET, "Created"),
                    "200": _json(_TICKET, "Replayed (same Idempotency-Key)"),
                }
                | _errors(400, 401, 422),
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
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "status": {"type": "string"},
                                    "priority": {"type": "string"},
                                    "assignee_id": {"type": ["integer", "null"]},
                                    "note": {"type": "string"},
                                },
                            }
                        }
                    },
                },
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
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "tickets": {"type": "array", "items": _TICKET},
                                "page": {"type": "integer"},
                                "pages": {"type": "integer"},
                                "total": {"type": "integer"},
                            },
                        }
                    )
                }
                | _errors(400, 401, 403),
            }
        },
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {
                "type": "object",
                "properties": {
                    "error": {
                        "type": "object",
                        "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                    }
                },
            },
            "Ticket": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "reference": {"type": "string"},
                    "subject": {"type": "string"},
                    "status": {"type": "string"},
                    "priority": {"type": "string"},
                    "category": {"type": "string"},
                    "channel": {"type": "string"},
                    "department": {"type": "string"},
                    "assignee": {"type": ["string", "null"]},
                    "customer": {"type": "object"},
                    "created_at": {"type": "string"},
                    "updated_at": {"type": "string"},
                    "due_at": {"type": ["string", "null"]},
                    "cc": {"type": "array", "items": {"type": "string", "format": "email"}},
                    "messages": {"type": "array", "items": _MESSAGE},
                },
            },
        },
    },
}
