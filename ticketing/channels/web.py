"""The /support form as a channel: one submission, and its bytes for the spool and InboundRaw.

A submission made while the database is down is kept as these bytes (JSON, files in base64)
and filed later by the inbound job through the same intake.open_from_form as the view uses.
"""

import base64
import json
import uuid
from dataclasses import asdict, dataclass, field

from ticketing.models.enums import Category, Language

KEY_PREFIX = "web:"  # InboundRaw's and the Message's key: one submission, one ticket


@dataclass(frozen=True, slots=True)
class Submission:
    """What the customer typed (already validated by SupportForm) and the file they chose."""

    name: str
    email: str
    phone: str  # E.164, as the form normalised it, or ""
    language: Language
    category: Category
    subject: str
    description: str
    key: str = field(default_factory=lambda: f"{KEY_PREFIX}{uuid.uuid4().hex}")
    client: str = ""  # the address it came from, for the agents' timeline
    spooled_at: str = ""  # ISO time, set when it waited in the spool
    attachments: tuple[dict, ...] = ()  # filename, content_type, size, data (bytes)


def encode(submission: Submission) -> bytes:
    """The submission as one self-contained payload."""
    record = asdict(submission)
    record["attachments"] = [
        {**item, "data": base64.b64encode(item["data"]).decode()} for item in record["attachments"]
    ]
    return json.dumps(record, ensure_ascii=False).encode()


def parse(payload: bytes) -> Submission:
    """The submission back from its payload; raises ValueError, KeyError or TypeError when the
    payload is not one (the raw row is kept, failed, for an admin)."""
    record = json.loads(payload.decode("utf-8"))
    if not isinstance(record, dict) or not str(record["key"]).startswith(KEY_PREFIX):
        raise ValueError("not a web form submission")
    files = tuple(
        {
            "filename": str(item["filename"]),
            "content_type": str(item["content_type"]),
            "size": int(item["size"]),
            "data": base64.b64decode(item["data"], validate=True),
        }
        for item in record["attachments"]
    )
    return Submission(
        **{name: str(record[name]) for name in TEXT_FIELDS},
        language=Language(record["language"]),
        category=Category(record["category"]),
        attachments=files,
    )


TEXT_FIELDS = ("name", "email", "phone", "subject", "description", "key", "client", "spooled_at")
