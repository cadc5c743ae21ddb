"""Access control over every route: each rule in the app's url_map, for each role, is not a
5xx, and a protected route refuses whoever may not use it (login page, 401, 403 or 404).

Every route must be classified in POLICY below; a route that is not fails the test, and a
classified route whose guard is missing fails it too (see the throwaway-route test at the end).
"""

import re
from datetime import date, timedelta

import pytest
from harness import PASSWORD
from sqlalchemy import select

from ticketing import canned, hours, inbound, lifecycle, promises, saved_views
from ticketing.extensions import db as _db
from ticketing.models import Attachment, CannedScope, Customer, Holiday, InboundRaw, RoutingRule
from ticketing.models.enums import Channel, Role
from ticketing.security import issue_token

# Who may use a route. Everyone else must be refused.
PUBLIC = "public"  # anyone, no sign-in: listed explicitly below
CAPABILITY = "capability"  # anyone holding the ticket's status token (/t/<token>)
SIGNED = "signed"  # webhooks: a provider signature or shared secret, never a session
STAFF = "staff"  # any signed-in member of staff
TICKET_A = "ticket_a"  # staff who may see department A's ticket: agent A, supervisor, admin
CUSTOMER_A = "customer_a"  # staff who may edit a customer of department A only: the same
SUPERVISOR = "supervisor"
ADMIN = "admin"
OWNER_A = "owner_a"  # only agent A, whose saved view it is
API = "api"  # any bearer token
API_TICKET_A = "api_ticket_a"  # a bearer token of someone who may see ticket A
API_SUPERVISOR = "api_supervisor"

PUBLIC_ROUTES = {
    "public.home",
    "public.support",
    "public.charter",
    "public.healthz",
    "static",
    "auth.login",
    "api.openapi",
    "dev.outbox",  # only while the backends are consoles (test_dev_pages_vanish_in_production)
    "dev.phone",
    "dev.ussd",
}
POLICY = (
    {endpoint: PUBLIC for endpoint in PUBLIC_ROUTES}
    | {
        "public.status": CAPABILITY,
        "public.status_confirm": CAPABILITY,
        "public.status_file": CAPABILITY,
        "public.status_fix_check": CAPABILITY,
        "public.status_rate": CAPABILITY,
        "public.status_reply": CAPABILITY,
        "webhooks.inbound_email": SIGNED,
        "webhooks.twilio_sms": SIGNED,
        "webhooks.twilio_status": SIGNED,
        "webhooks.africastalking.sms": SIGNED,
        "webhooks.africastalking.delivery": SIGNED,
        "webhooks.africastalking.optout": SIGNED,
        "webhooks.ussd.menu": SIGNED,
        "webhooks.ussd.events": SIGNED,
        "webhooks.voice.incoming": SIGNED,
        "webhooks.voice.menu": SIGNED,
        "webhooks.voice.dial": SIGNED,
        "webhooks.voice.recording": SIGNED,
        "webhooks.voice.status": SIGNED,
        "auth.logout": STAFF,
        "auth.password": STAFF,
        "agent.queue": STAFF,
        "agent.queue_live": STAFF,
        "agent.token": STAFF,
        "agent.settings": STAFF,
        "agent.revoke_my_token": STAFF,
        "agent.desk.new_ticket": STAFF,
        "agent.desk.create": STAFF,
        "agent.bulk.change": STAFF,  # re-checks every selected ticket (tests/test_bulk.py)
        "agent.tags.change": TICKET_A,
        "agent.saved.create": STAFF,
        "agent.saved.delete": OWNER_A,
        "agent.ticket.page": TICKET_A,
        "agent.ticket.live_news": TICKET_A,
        "agent.ticket.attachment": TICKET_A,
        "agent.ticket.settle": TICKET_A,
        "agent.ticket.assign": TICKET_A,
        "agent.ticket.cc": TICKET_A,
        "agent.ticket.merge": TICKET_A,
        "agent.ticket.note": TICKET_A,
        "agent.ticket.priority": TICKET_A,
        "agent.ticket.product": TICKET_A,
        "agent.ticket.promise": TICKET_A,
        "agent.ticket.reply": TICKET_A,
        "agent.ticket.status": TICKET_A,
        "agent.ticket.transfer": TICKET_A,
        "agent.canned.index": STAFF,
        "agent.canned.create": STAFF,
        "agent.canned.for_ticket": TICKET_A,
        "agent.canned.apply": TICKET_A,  # a response shared with department A
        "agent.canned.edit": ADMIN,  # the admin's own: nobody else may edit it
        "agent.canned.delete": ADMIN,
        "agent.customers.profile": CUSTOMER_A,
        "agent.customers.edit": CUSTOMER_A,
        "agent.customers.find_duplicate": CUSTOMER_A,
        "agent.customers.confirm_merge": CUSTOMER_A,
        "agent.customers.merge": CUSTOMER_A,
        "reports.dashboard": SUPERVISOR,
        "reports.export": SUPERVISOR,
        "reports.tickets_csv": SUPERVISOR,
        "reports.static": SUPERVISOR,  # the stylesheet sits behind the reports guard
        "api.list_tickets": API,
        "api.create_ticket": API,
        "api.read_ticket": API_TICKET_A,
        "api.update_ticket": API_TICKET_A,
        "api.add_note": API_TICKET_A,
        "api.add_reply": API_TICKET_A,
        "api.canned.list_canned": API,
        "api.canned.render_canned": API_TICKET_A,
        "api.canned.apply_canned": API_TICKET_A,
        "api.reports.report_table": API_SUPERVISOR,
        "api.reports.report_summary": API_SUPERVISOR,
        "api.reports.report_tickets": API_SUPERVISOR,
    }
    | {
        endpoint: ADMIN
        for endpoint in (
            "admin.index",
            "admin.department",
            "admin.add_rule",
            "admin.delete_rule",
            "admin.retry",
            "admin.user",
            "admin.revoke_user_token",
            "admin.audit.page",
            "admin.audit.export",
            "admin.lines.page",
            "admin.channels.page",
            "admin.channels.test_send",
            "admin.channels.imap_check",
            "admin.lines.add",
            "admin.lines.move",
            "admin.lines.switch",
            "admin.lines.desk_phone",
            "admin.policy.business_hours",
            "admin.policy.follow_up_policy",
            "admin.policy.follow_up_index",
            "admin.policy.holidays",
            "admin.policy.delete_holiday",
            "admin.policy.message_templates",
            "admin.policy.message_template",
            "admin.policy.message_template_preview",
            "admin.policy.reset_message_template",
            "admin.policy.template_preview_script",
        )
    }
)

ROLES = ("anonymous", "agent_b", "agent_a", "supervisor", "admin")  # refused ones first
ALLOWED = {
    PUBLIC: set(ROLES),
    CAPABILITY: set(ROLES),
    SIGNED: set(),
    STAFF: {"agent_a", "agent_b", "supervisor", "admin"},
    TICKET_A: {"agent_a", "supervisor", "admin"},
    CUSTOMER_A: {"agent_a", "supervisor", "admin"},
    OWNER_A: {"agent_a"},
    SUPERVISOR: {"supervisor", "admin"},
    ADMIN: {"admin"},
    API: {"agent_a", "agent_b", "supervisor", "admin"},
    API_TICKET_A: {"agent_a", "supervisor", "admin"},
    API_SUPERVISOR: {"supervisor", "admin"},
}
# Known crashes, each to be fixed where it is (the test fails when one stops crashing, so the
# entry goes): POST .../cc without an `addresses` field -> ccs.set_ccs(ticket, None) TypeError.
KNOWN_SERVER_ERRORS: set[tuple[str, str]] = set()
# Last: they change who is signed in or which API token is valid, or delete what others use.
LAST = ("agent.canned.delete", "agent.revoke_my_token", "agent.token", "auth.logout")


@pytest.fixture
def world(db, department, staff):
    """Departments A and B, a customer with a ticket in each, and one of every object."""
    sales, billing = department("Sales"), department("Billing")
    spare = department("Spare")  # what the admin's (form-less) POSTs may rewrite
    people = {
        "agent_a": staff("agenta", departments=[sales]),
        "agent_b": staff("agentb", departments=[billing]),
        "supervisor": staff("boss", role=Role.SUPERVISOR),
        "admin": staff("root", role=Role.ADMIN),
    }
    spare_agent = staff("spare", departments=[spare])
    shared = Customer(name="Amina Hassan", email="amina@example.test", phone="+254712345678")
    db.session.add(shared)
    ticket_a = lifecycle.open_ticket(
        shared, subject="Fridge A", body="Sales question", channel=Channel.WEB, department=sales
    )
    ticket_b = lifecycle.open_ticket(
        shared,
        subject="Invoice B",
        body="Billing question",
        channel=Channel.WEB,
        department=billing,
    )
    # a customer of department A only: agent B may not edit or merge them
    juma = Customer(name="Juma", phone="+254733000111")
    db.session.add(juma)
    lifecycle.open_ticket(
        juma, subject="Cooker A", body="Sales question", channel=Channel.WEB, department=sales
    )
    db.session.flush()
    files = {}
    for name, ticket in (("a", ticket_a), ("b", ticket_b)):
        files[name] = Attachment(
            message_id=ticket.messages[0].id, filename=f"{name}.txt", data=b"x", size=1
        )
        db.session.add(files[name])
    promise = promises.add_promise(
        ticket_a,
        by=people["agent_a"],
        description="Call back",
        due_at=hours.now() + timedelta(days=1),
    )
    rule = RoutingRule(department=spare, keywords="fridge", position=20)
    holiday = Holiday(day=date(2031, 1, 2), name="Stocktaking")
    db.session.add_all([rule, holiday])
    inbound.store(Channel.EMAIL, "<broken@example.test>", b"junk", "test", error="unreadable")
    shared_with_a = canned.save(
        None,
        canned.Fields("Thanks", CannedScope.DEPARTMENT, sales, "Thanks, {{ customer_name }}", ""),
        by=people["supervisor"],
    )
    admins_own = canned.save(
        None, canned.Fields("Mine", CannedScope.PERSONAL, None, "x", ""), by=people["admin"]
    )
    tokens = {role: issue_token(user) for role, user in people.items()}
    saved_view = saved_views.save(people["agent_a"], "Fridges", "q=fridge")
    db.session.commit()
    ids = {
        "ticket_id": ticket_a.id,
        "attachment_id": files["a"].id,
        "promise_id": promise.id,
        "saved_view_id": saved_view.id,
        "department_id": spare.id,  # admin routes only
        "holiday_id": holiday.id,
        "raw_id": db.session.scalar(select(InboundRaw.id)),
        "rule_id": rule.id,
        "canned_id": shared_with_a.id,
        "response_id": admins_own.id,
        "user_id": spare_agent.id,  # admin routes only
        "customer_id": juma.id,
        "duplicate_id": juma.id,  # a merge into oneself: refused after the guard let one in
        "token": ticket_a.token,
        "ref": ticket_a.reference,
        "name": "figures",
        "language": "en",
        "channel": "sms",
        "kind": "received",
    }
    return {
        "people": people,
        "tokens": tokens,
        "ids": ids,
        "ticket_a": ticket_a,
        "ticket_b": ticket_b,
        "files": files,
    }


FILENAMES = {"static": "app.css", "reports.static": "reports.css"}


def url_for_rule(rule, ids: dict) -> str:
    def fill(match):
        name = match.group(1)
        return str(FILENAMES[rule.endpoint] if name == "filename" else ids[name])

    return re.sub(r"<(?:[^:<>]+:)?(\w+)>", fill, rule.rule)


def clients(app, world) -> dict:
    """A test client per role, each signed in through the real login form."""
    made = {"anonymous": app.test_client()}
    for role, user in world["people"].items():
        client = app.test_client()
        response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.data[:300]
        made[role] = client
    return made


def refused(response) -> bool:
    """401/403/404, or Flask-Login's way: to the sign-in page with where we were going."""
    if response.status_code in (401, 403, 404):
        return True
    location = response.headers.get("Location", "")
    return response.status_code == 302 and "/auth/login?next=" in location


def violations(app, world, policy: dict, known_crashes=KNOWN_SERVER_ERRORS) -> list[str]:
    """Every (route, method, role) whose answer breaks the policy: a 5xx, a refusal of someone
    allowed, or an answer to someone who is not."""
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash is a 500 to report, not a stop
    problems = []
    rules = sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint in LAST, r.endpoint))
    unclassified = sorted({r.endpoint for r in rules} - set(policy))
    problems += [
        f"{endpoint}: not in POLICY (guard it and classify it)" for endpoint in unclassified
    ]
    by_role = clients(app, world)
    for rule in rules:
        if rule.endpoint not in policy:
            continue
        kind = policy[rule.endpoint]
        url = url_for_rule(rule, world["ids"])
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for role in ROLES:
                headers = {}
                if kind.startswith("api") and role != "anonymous":
                    headers["Authorization"] = f"Bearer {world['tokens'][role]}"
                client = by_role["anonymous"] if kind.startswith("api") else by_role[role]
                response = client.open(url, method=method, headers=headers, data={})
                response.get_data()  # a streamed body runs inside its request, then closes
                response.close()
                where = f"{method} {url} ({rule.endpoint}) as {role}: {response.status_code}"
                crashed = response.status_code >= 500
                if crashed != ((rule.endpoint, method) in known_crashes and role in ALLOWED[kind]):
                    problems.append(f"{where} {'server error' if crashed else 'no longer crashes'}")
                if crashed:
                    continue
                elif role in ALLOWED[kind] and refused(response):
                    problems.append(f"{where} refused someone allowed")
                elif role not in ALLOWED[kind] and not refused(response):
                    problems.append(f"{where} answered someone who should be refused")
    return problems


def test_every_route_refuses_whoever_should_not_use_it(web, world):
    found = violations(web, world, POLICY)
    assert found == [], "\n".join(found)


def test_status_tokens_and_files_do_not_cross_tickets(web, world):
    client = web.test_client()
    token_a = world["ticket_a"].token
    assert client.get(f"/t/{token_a}x").status_code == 404
    assert client.get("/t/" + "A" * 32).status_code == 404
    file_b = world["files"]["b"].id
    assert client.get(f"/t/{token_a}/files/{file_b}").status_code == 404
    assert client.get(f"/t/{token_a}/files/{world['files']['a'].id}").status_code == 200


def test_agents_of_another_department_find_nothing_of_its_tickets(web, world):
    agent_b = clients(web, world)["agent_b"]
    reference = world["ticket_a"].reference
    queue = agent_b.get("/agent/?q=" + reference).get_data(as_text=True)
    assert "Fridge A" not in queue  # the search box echoes the reference; no row shows it
    assert f"/agent/tickets/{world['ticket_a'].id}" not in queue
    listing = web.test_client().get(
        "/api/v1/tickets", headers={"Authorization": f"Bearer {world['tokens']['agent_b']}"}
    )
    assert reference not in listing.get_data(as_text=True)


def test_the_other_tickets_card_shows_only_what_the_agent_may_see(web, world):
    """A customer shared by two departments: agent B sees its own ticket and, of A's, only
    that there is one more, never its reference or subject."""
    by_role = clients(web, world)
    ticket_a, ticket_b = world["ticket_a"], world["ticket_b"]
    page = by_role["agent_b"].get(f"/agent/tickets/{ticket_b.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert ticket_a.reference not in html and "Fridge A" not in html
    with web.test_request_context():
        from flask_login import login_user

        from ticketing.views.agent_ticket import _page_context

        login_user(_db.session.get(type(world["people"]["agent_b"]), world["people"]["agent_b"].id))
        context = _page_context(_db.session.get(type(ticket_b), ticket_b.id))
        assert context["others"] == [] and context["others_elsewhere"] == 1
    html = by_role["supervisor"].get(f"/agent/tickets/{ticket_b.id}").get_data(as_text=True)
    assert ticket_a.reference in html and "Fridge A" in html


@pytest.mark.config(SMS_BACKEND="twilio", MAIL_BACKEND="smtp")
def test_dev_pages_vanish_when_real_backends_are_on(web, world):
    client = web.test_client()
    assert client.get("/dev/outbox").status_code == 404
    assert client.get("/dev/sms").status_code == 404


def test_a_new_route_without_a_guard_fails_the_matrix(make_app, world):
    """The matrix is not a list of known answers: a throwaway route with no guard is caught
    whether it is left out of POLICY or classified as protected. (An endpoint named
    "admin.<x>" would be inside the admin blueprint's guard: Flask finds the blueprint from
    the endpoint's name, so these are outside any blueprint.)"""
    app = make_app()
    app.add_url_rule("/admin/export-all", "export_all", lambda: "every customer's phone")
    app.add_url_rule("/agent/everything", "everything", lambda: "the queue, to anyone")
    found = violations(app, world, POLICY | {"export_all": ADMIN})
    assert "everything: not in POLICY (guard it and classify it)" in found
    for role in ("anonymous", "agent_b", "agent_a", "supervisor"):
        assert (
            f"GET /admin/export-all (export_all) as {role}: 200 answered someone who "
            "should be refused" in found
        )
    assert [line for line in found if "everything" not in line and "export" not in line] == []
