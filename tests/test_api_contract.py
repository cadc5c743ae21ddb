"""Schemathesis against /api/v1/openapi.json, served by the real app over real HTTP.

Every built-in check is on (server errors, status codes, content types, response schemas and
headers, negative data rejected, positive data accepted, missing headers, ignored auth,
unsupported methods and their Allow header...), once with an agent's token limited to one
department and once with a supervisor's. Examples are bounded and derandomized, so a CI run is
reproducible: a failure names a request (with its curl line) the API answers against its own
document.

The document is loaded from ticketing.openapi.DOCUMENT when this module is imported, because
schemathesis.pytest.from_fixture (the lazy loader that would read it from the live server)
breaks under pytest 9: it writes the node's private `_nodeid`. Every request still goes to
the `live_server` fixture, and test_served_document_is_this_one shows it serves exactly this.
"""

import zlib
from dataclasses import dataclass

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from ticketing import customers, lifecycle
from ticketing.models.enums import Channel, Role
from ticketing.openapi import DOCUMENT
from ticketing.security import issue_token

MAX_EXAMPLES = 25  # per operation and role, in the fuzzing phase (examples and coverage add)
REPORT_EXAMPLES = 10
STATEFUL_SCENARIOS = 15  # of at most 5 calls each, per role
SEED = 20261202


# What positive_data_acceptance expects of a schema-valid request by default, plus the one
# status an operation answers for a rule JSON Schema cannot state (see the comments below).
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429"]
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "database": "none"},
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
        },
        "checks": {"enabled": True},
        "operations": [
            {
                # assignee_id must name an existing user: which ids exist is data, not schema
                # (422 invalid_assignee). Every other check stays as it is.
                "include-name": "PATCH /tickets/{ref}",
                "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "422"]}},
            },
            {
                # The same Idempotency-Key with another body is 422 by the draft standard: a
                # rule about earlier requests, not about this one's schema.
                "include-name": "POST /tickets",
                "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "422"]}},
            },
            {
                # A report's period is a rule between parameters ('from' not after 'to', at most
                # 366 days, custom needs 'from'), which OpenAPI parameters cannot state: 400.
                "include-path-regex": "^/reports/",
                "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "400"]}},
                # Each answer runs every dashboard query: fewer examples keep the file fast.
                "generation": {"max-examples": REPORT_EXAMPLES},
            },
        ],
    }
)
# Which numbers and addresses the desk can use is phonenumbers' and email_validator's to say,
# which JSON Schema cannot; so the generator is told what the formats mean. Anything else the
# API refuses with 422 (a body) or 400 (a filter).
schemathesis.openapi.format(
    "phone",
    st.builds(
        str.__add__,
        st.sampled_from(["070", "071", "072", "+25470", "+25471", "+25472", "011"]),
        st.from_regex(r"\A[0-9]{7}\Z"),
    )
    | st.sampled_from(["+14155550123", "+447911123456", "0712 345 678"]),
)
schemathesis.openapi.format(
    "email",
    st.from_regex(r"\A[A-Za-z0-9]{1,20}(\.[a-z0-9]{1,10})?@[a-z0-9]{1,20}\.(co\.ke|com|org)\Z"),
)
# A tag is letters and digits of any script (Unicode's categories, ticketing.tags).
schemathesis.openapi.format(
    "tag",
    st.from_regex(r"\A[A-Za-z0-9_-]{1,30}\Z")
    | st.sampled_from(["Friji", "FRIJI", "ｆｒｉｊｉ", "café", "مرحبا", "नमस्ते", "malipo_ya-2"]),
)
# The document itself, as ticketing.openapi builds it; test_served_document_is_this_one shows
# the server publishes exactly this, and every request below goes to the live server.
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)


@dataclass
class Caller:
    base_url: str
    headers: dict
    refs: list[str]


@pytest.fixture(params=[Role.AGENT, Role.SUPERVISOR], ids=["agent", "supervisor"])
def caller(request, db, live_server, department, staff) -> Caller:
    """The live server, one role's bearer token, and references of seeded tickets: an agent
    of Billing sees two of them, a supervisor all three."""
    billing = department("Billing", keywords="refund, charged")
    sales = department("Sales", keywords="order")
    refs = []
    for index, (place, subject) in enumerate(
        [(billing, "Charged twice"), (billing, "Refund late"), (sales, "Order lost")]
    ):
        customer = customers.find_or_create(email=f"customer{index}@example.co.ke", phone=None)
        ticket = lifecycle.open_ticket(
            customer, subject=subject, body=subject, channel=Channel.API, department=place
        )
        db.session.flush()
        refs += [ticket.reference, str(ticket.id)]
    departments = [billing] if request.param == Role.AGENT else []
    user = staff(request.param.value, role=request.param, departments=departments)
    token = issue_token(user)
    db.session.commit()
    return Caller(f"{live_server.url}/api/v1", {"Authorization": f"Bearer {token}"}, refs)


@schema.parametrize()
@settings(
    derandomize=True,
    deadline=None,
    database=None,
    # One live server and seeded database per operation and role (function-scoped on purpose);
    # a real HTTP round trip per example is expected, not a sign of a bad strategy.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_keeps_its_published_contract(case, caller):
    ref = case.path_parameters.get("ref") if case.path_parameters else None
    if isinstance(ref, str) and zlib.crc32(ref.encode()) % 2:
        # Half of the generated references become seeded ones, so reads, replies and changes
        # reach real tickets (and the agent's Sales ticket its 404), not only unknown ones.
        case.path_parameters["ref"] = caller.refs[zlib.crc32(ref.encode()) % len(caller.refs)]
    case.call_and_validate(base_url=caller.base_url, headers=caller.headers)


def test_served_document_is_this_one(client):
    assert client.get("/api/v1/openapi.json").json == DOCUMENT


def test_sequences_of_calls_keep_the_contract(caller):
    """The stateful phase: schemathesis chains operations through the links it infers (the
    reference of a ticket it created into the next call), with every check on."""

    class Scenario(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"base_url": caller.base_url, "headers": caller.headers}

    Scenario.run(
        settings=settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=5,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )
    )
