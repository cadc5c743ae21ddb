"""Canned responses and macros: the only writer of CannedResponse. Who may use and manage
which, the placeholder rules their text must keep (checked when saved, so that inserting one
never fails), the text in the customer's language, and a macro's changes through lifecycle."""

from dataclasses import dataclass

from jinja2 import TemplateError, nodes
from sqlalchemy import Select, or_, select

from ticketing import hours, lifecycle, tags, wording
from ticketing.extensions import db
from ticketing.models import CannedResponse, CannedScope, Department, Ticket, User
from ticketing.models.enums import Language, Priority, Role, Status
from ticketing.security import ROLE_RANK
from ticketing.templating import localtime

ID_MAX = 2**31 - 1  # an integer column: a larger id names nothing
TEXT_MAX = 5000
TITLE_MAX = 120
TAGS_MAX = 10
PLACEHOLDERS = {
    "customer_name": "the customer's name",
    "reference": "the ticket's reference (FT-XXXXX)",
    "due_time": "the ticket's next charter deadline, on the desk's clock",
    "agent_name": "your name",
    "department": "the ticket's department",
}
# Plain words for people: the text is a reply, so it needs no loops, calls or attributes.
FILTERS = frozenset({"upper", "lower", "title", "capitalize", "trim", "default"})
ALLOWED_NODES = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Name,
    nodes.Const,
    nodes.Filter,
    nodes.If,
    nodes.Not,
    nodes.And,
    nodes.Or,
)
OTHER_LANGUAGE = {Language.EN: Language.SW, Language.SW: Language.EN}
LANGUAGE_NAMES = {Language.EN: "English", Language.SW: "Kiswahili"}


class Unusable(Exception):
    """A response whose text cannot be filled in (kept from before a rule changed)."""


@dataclass(frozen=True)
class Rendered:
    text: str
    language: Language  # the language of the text given
    note: str  # why it is not in the customer's language, when it is not


def check_text(source: str) -> str | None:
    """Why `source` cannot be a canned text (None when it can): Jinja syntax, and only the
    placeholders, filters and ifs a reply needs, parsed by the message templates' sandbox."""
    if len(source) > TEXT_MAX:
        return f"The text is longer than {TEXT_MAX} characters."
    try:
        tree = wording.sandbox().parse(source)
    except TemplateError as error:
        return f"The text is not a valid template (line {getattr(error, 'lineno', '?')}): {error}"
    for node in tree.find_all(nodes.Node):
        if not isinstance(node, ALLOWED_NODES):
            return (
                f"Only placeholders such as {{{{ customer_name }}}} and {{% if %}} may be used "
                f"(found {node.__class__.__name__.lower()})."
            )
        if isinstance(node, nodes.Name) and node.name not in PLACEHOLDERS:
            return f"Unknown placeholder “{node.name}”; use one of {', '.join(PLACEHOLDERS)}."
        if isinstance(node, nodes.Filter) and node.name not in FILTERS:
            return f"Unknown filter “{node.name}”; use one of {', '.join(sorted(FILTERS))}."
        if isinstance(node, nodes.Const) and not isinstance(node.value, str | bool | None):
            return "Only text may be given to a filter."
    return None


def usable(user: User) -> Select:
    """The responses `user` may insert: their own, everyone's, their departments'."""
    query = select(CannedResponse).order_by(CannedResponse.title, CannedResponse.id)
    shared = CannedResponse.scope == CannedScope.DEPARTMENT
    if not user.sees_all:
        shared &= CannedResponse.department_id.in_([d.id for d in user.departments])
    return query.where(
        or_(
            (CannedResponse.scope == CannedScope.PERSONAL) & (CannedResponse.owner_id == user.id),
            CannedResponse.scope == CannedScope.EVERYONE,
            shared,
        )
    )


def for_ticket(user: User, ticket: Ticket) -> list[CannedResponse]:
    """What the picker offers on `ticket`: of the usable ones, those of its department."""
    query = usable(user).where(
        or_(
            CannedResponse.scope != CannedScope.DEPARTMENT,
            CannedResponse.department_id == ticket.department_id,
        )
    )
    return list(db.session.scalars(query))


def offered(user: User, ticket: Ticket, response_id: int) -> CannedResponse | None:
    """Response `response_id` if `user` may use it on `ticket`; None otherwise."""
    if not 0 < response_id <= ID_MAX:
        return None
    response = db.session.get(CannedResponse, response_id)
    return response if response in for_ticket(user, ticket) else None


def manages_shared(user: User) -> bool:
    return ROLE_RANK[user.role] >= ROLE_RANK[Role.SUPERVISOR]


def can_manage(user: User, response: CannedResponse) -> bool:
    if response.scope == CannedScope.PERSONAL:
        return response.owner_id == user.id
    if not manages_shared(user):
        return False
    return response.scope == CannedScope.EVERYONE or user.sees_all


def managed(user: User) -> list[CannedResponse]:
    """The responses `user` may edit: their own, and shared ones if they supervise."""
    rows = db.session.scalars(usable(user)).all()
    return [row for row in rows if can_manage(user, row)]


def placeholders(ticket: Ticket, agent: User) -> dict:
    """What each placeholder says on `ticket`, written by `agent`."""
    return {
        "customer_name": ticket.customer.name or "",
        "reference": ticket.reference,
        "due_time": _due_time(ticket),
        "agent_name": agent.name,
        "department": ticket.department.name,
    }


def _due_time(ticket: Ticket) -> str:
    return localtime(ticket.due_at) if ticket.due_at else ""


def render(response: CannedResponse, ticket: Ticket, agent: User) -> Rendered:
    """The text for `ticket`'s customer in their language, or in the other one with a note."""
    wanted = ticket.customer.language
    language, note = wanted, ""
    if not _body(response, wanted).strip():
        language = OTHER_LANGUAGE[wanted]
        note = (
            f"No {LANGUAGE_NAMES[wanted]} text: this is the {LANGUAGE_NAMES[language]} one; "
            f"{ticket.customer.display_name} reads {LANGUAGE_NAMES[wanted]}."
        )
    try:
        text = wording.render_text(_body(response, language), placeholders(ticket, agent))
    except Exception as error:  # noqa: BLE001 - any fault in saved text is the agent's to see
        raise Unusable(f"“{response.title}” could not be filled in: {error}") from error
    return Rendered(text=text[:TEXT_MAX], language=language, note=note)


def _body(response: CannedResponse, language: Language) -> str:
    return response.body_sw if language == Language.SW else response.body_en


def check_macro(response: CannedResponse, ticket: Ticket) -> None:
    """Raise TransitionError, before anything changes, when a change cannot be made here."""
    assignee = response.set_assignee
    if assignee is not None and ticket.department not in assignee.departments:
        raise lifecycle.TransitionError(
            f"“{response.title}” assigns to {assignee.name}, who is not in "
            f"{ticket.department.name}; nothing was changed"
        )
    status = response.set_status
    if (
        status is not None
        and status != ticket.status
        and status not in lifecycle.NEXT[ticket.status]
    ):
        raise lifecycle.TransitionError(
            f"“{response.title}” sets {status.label}, which a {ticket.status.label} ticket "
            "cannot move to; nothing was changed"
        )


def apply(response: CannedResponse, ticket: Ticket, *, by: User) -> list[str]:
    """Make the macro's changes, each through lifecycle (one event each); the changes made.
    Its tags are added last, in one "tagged" event."""
    check_macro(response, ticket)
    done = []
    if response.set_assignee is not None and response.set_assignee != ticket.assignee:
        lifecycle.assign(ticket, response.set_assignee, by=by)
        done.append(f"assigned to {response.set_assignee.name}")
    if response.set_priority is not None and response.set_priority != ticket.priority:
        lifecycle.set_priority(ticket, response.set_priority, by=by)
        done.append(f"priority {response.set_priority.value}")
    if response.set_status is not None and response.set_status != ticket.status:
        lifecycle.set_status(ticket, response.set_status, by=by, note=response.title)
        done.append(f"status {response.set_status.label}")
    if response.tags and lifecycle.tag(ticket, add=response.tags, by=by):
        done.append(f"tags {', '.join(response.tags)}")
    return done


@dataclass
class Fields:
    """What a form or the API gives for a response, checked by `problems`."""

    title: str
    scope: CannedScope
    department: Department | None
    body_en: str
    body_sw: str
    set_status: Status | None = None
    set_priority: Priority | None = None
    set_assignee: User | None = None
    tags: tuple[str, ...] = ()


def problems(fields: Fields, user: User) -> list[str]:
    """Every reason `user` may not save `fields` (empty when they may)."""
    found = []
    if not fields.title.strip() or len(fields.title) > TITLE_MAX:
        found.append(f"Give it a title of up to {TITLE_MAX} characters.")
    if not (fields.body_en.strip() or fields.body_sw.strip()):
        found.append("Write the text in English, in Kiswahili, or both.")
    for name, body in (("English", fields.body_en), ("Kiswahili", fields.body_sw)):
        if error := check_text(body):
            found.append(f"{name} text: {error}")
    if fields.set_status == Status.NEW:
        found.append("A macro cannot set a ticket back to New.")
    if len(fields.tags) > TAGS_MAX:
        found.append(f"At most {TAGS_MAX} tags.")
    for tag in fields.tags:
        try:
            tags.normalise(tag)
        except tags.TagError as error:
            found.append(str(error))
    return found + _sharing_problems(fields, user)


def _sharing_problems(fields: Fields, user: User) -> list[str]:
    if fields.scope != CannedScope.PERSONAL and not manages_shared(user):
        return ["Only supervisors and admins share responses."]
    if fields.scope != CannedScope.DEPARTMENT:
        return []
    department, assignee = fields.department, fields.set_assignee
    if department is None:
        return ["Choose the department it is shared with."]
    if assignee is not None and department not in assignee.departments:
        return [f"{assignee.name} is not in {department.name}."]
    return []


def save(response: CannedResponse | None, fields: Fields, *, by: User) -> CannedResponse:
    """Create (response None) or change a response; the caller has checked `problems`."""
    response = response or CannedResponse()
    if fields.scope != CannedScope.PERSONAL:
        response.owner_id = None
    elif response.scope != CannedScope.PERSONAL:  # new, or a shared one made someone's own
        response.owner_id = by.id
    response.title = fields.title.strip()
    response.scope = fields.scope
    response.department = fields.department if fields.scope == CannedScope.DEPARTMENT else None
    response.body_en, response.body_sw = fields.body_en.strip(), fields.body_sw.strip()
    response.set_status, response.set_priority = fields.set_status, fields.set_priority
    response.set_assignee = fields.set_assignee
    response.tags = list(dict.fromkeys(tags.normalise(tag) for tag in fields.tags if tag.strip()))
    response.updated_at = hours.now()
    db.session.add(response)
    db.session.flush()
    return response


def delete(response: CannedResponse) -> None:
    db.session.delete(response)
    db.session.flush()


def state(response: CannedResponse) -> dict:
    """What the audit log keeps of a response."""
    return {
        "title": response.title,
        "scope": response.scope.value,
        "department": response.department.name if response.department else None,
        "body_en": response.body_en,
        "body_sw": response.body_sw,
        "set_status": response.set_status.value if response.set_status else None,
        "set_priority": response.set_priority.value if response.set_priority else None,
        "set_assignee": response.set_assignee.email if response.set_assignee else None,
        "tags": list(response.tags or []),
    }
