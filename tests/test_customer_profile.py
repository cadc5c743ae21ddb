"""The customer profile: staff edit a customer's details and merge a duplicate into them."""

import re
from datetime import timedelta

import pytest
from harness import CUSTOMER, MONDAY_10_NAIROBI, PASSWORD, Phone, page_text
from sqlalchemy import func, select

from ticketing import customers, hours, lifecycle, promises
from ticketing.extensions import db
from ticketing.models import AuditEntry, Call, Customer, Message, OptOut, Promise, Ticket
from ticketing.models.enums import AuditAction, Channel, Language, Role

LINE_A, LINE_B = "twilio:+254700000100", "twilio:+254700000200"


@pytest.fixture
def desk(db, department, staff):
    general = department("General")
    billing = department("Billing")
    amina = Customer(name="Amina", phone="+254722000003", email="amina@example.co.ke")
    twin = Customer(name="", phone="+254733000004")
    brian = Customer(name="Brian", email="brian@example.co.ke")
    db.session.add_all([amina, twin, brian])
    late = _ticket(amina, general, "Late delivery")
    charged = _ticket(amina, billing, "Charged twice")
    again = _ticket(twin, general, "Still late")
    _ticket(brian, billing, "Refund")
    db.session.commit()
    return {
        "achieng": staff("achieng", departments=[general]),
        "kamau": staff("kamau", departments=[billing]),
        "grace": staff("grace", role=Role.SUPERVISOR),
        "amina": amina,
        "twin": twin,
        "brian": brian,
        "late": late,
        "charged": charged,
        "again": again,
    }


def _ticket(person, department, subject):
    return lifecycle.open_ticket(
        person, subject=subject, body=subject, channel=Channel.SMS, department=department
    )


def fresh(person) -> Customer:
    db.session.expire_all()
    return db.session.get(Customer, person.id)


def audit_entries(action) -> list[AuditEntry]:
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


GOOD = {
    "name": "Amina Hassan",
    "phone": "0722 000 003",
    "email": "amina@example.co.ke",
    "language": "en",
    "preferred_channel": "",
}


def test_the_profile_lists_only_the_agents_tickets_and_counts_the_rest(client, login, desk):
    login(client, desk["achieng"])
    response = client.get(f"/agent/customers/{desk['amina'].id}")
    page = page_text(response.get_data(as_text=True))
    assert response.status_code == 200
    assert desk["late"].reference in page and desk["charged"].reference not in page
    assert "1 more in other departments" in page
    ticket_page = client.get(f"/agent/tickets/{desk['late'].id}").get_data(as_text=True)
    assert f"/agent/customers/{desk['amina'].id}" in ticket_page
    assert f"/agent/customers/{desk['amina'].id}" in client.get(
        "/agent/?view=departments"
    ).get_data(as_text=True)


def test_another_departments_agent_gets_404_everywhere(client, login, desk):
    login(client, desk["achieng"])
    brian = desk["brian"].id
    assert client.get(f"/agent/customers/{brian}").status_code == 404
    assert client.post(f"/agent/customers/{brian}", data=GOOD | {"name": "X"}).status_code == 404
    assert client.get(f"/agent/customers/{brian}/merge/{desk['amina'].id}").status_code == 404
    assert client.post(f"/agent/customers/{desk['amina'].id}/merge/{brian}").status_code == 404
    assert client.get("/agent/customers/999999").status_code == 404
    assert fresh(desk["brian"]).name == "Brian" and fresh(desk["brian"]).merged_into_id is None


def test_an_agent_edits_every_field_and_the_change_is_audited(client, login, desk):
    login(client, desk["achieng"])
    form = {
        "name": "  Amina Hassan ",
        "phone": "0722 111 222",
        "email": "Amina.H@Example.co.ke",
        "language": "sw",
        "preferred_channel": "whatsapp",
    }
    response = client.post(f"/agent/customers/{desk['amina'].id}", data=form)
    assert response.status_code == 302
    amina = fresh(desk["amina"])
    assert (amina.name, amina.phone, amina.email) == (
        "Amina Hassan",
        "+254722111222",
        "amina.h@example.co.ke",
    )
    assert amina.language == Language.SW and amina.preferred_channel == Channel.WHATSAPP
    [entry] = audit_entries(AuditAction.CUSTOMER_CHANGED)
    assert entry.actor_id == desk["achieng"].id and entry.target == f"customer:{amina.id}"
    assert entry.detail["phone"] == ["+254722000003", "+254722111222"]
    assert client.post(f"/agent/customers/{amina.id}", data=form).status_code == 302
    assert len(audit_entries(AuditAction.CUSTOMER_CHANGED)) == 1  # nothing changed: no entry


@pytest.mark.parametrize(
    "field, value, says",
    [
        ("phone", "12", "is not a phone number"),
        ("phone", "+1 555 0100 9999 99", "is not a phone number"),
        ("email", "amina@", "is not an email address"),
        ("name", "A" * 10240, "120"),
        ("language", "fr", "Not a valid choice"),
        ("preferred_channel", "fax", "Not a valid choice"),
    ],
)
def test_bad_values_are_refused_and_nothing_changes(client, login, desk, field, value, says):
    login(client, desk["achieng"])
    response = client.post(f"/agent/customers/{desk['amina'].id}", data=GOOD | {field: value})
    assert response.status_code == 400 and says in response.get_data(as_text=True)
    amina = fresh(desk["amina"])
    assert (amina.name, amina.phone) == ("Amina", "+254722000003")
    assert audit_entries(AuditAction.CUSTOMER_CHANGED) == []


def test_a_contact_another_customer_has_is_refused_with_an_offer_to_merge(client, login, desk):
    login(client, desk["achieng"])
    response = client.post(
        f"/agent/customers/{desk['amina'].id}", data=GOOD | {"phone": "0733000004"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "That phone number belongs to +254733000004" in page
    assert f"/agent/customers/{desk['amina'].id}/merge/{desk['twin'].id}" in page
    assert fresh(desk["amina"]).phone == "+254722000003"
    # Brian is in Billing only: Achieng may not merge him, so no link, a supervisor is named
    taken = client.post(
        f"/agent/customers/{desk['amina'].id}", data=GOOD | {"email": "brian@example.co.ke"}
    ).get_data(as_text=True)
    assert "belongs to Brian" in taken and "Ask a supervisor" in taken
    assert fresh(desk["amina"]).email == "amina@example.co.ke"


def test_an_edit_without_its_csrf_token_is_refused(make_app, desk):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    signed = {"email": desk["achieng"].email, "password": PASSWORD, "csrf_token": token}
    assert client.post("/auth/login", data=signed).status_code == 302
    response = client.post(f"/agent/customers/{desk['amina'].id}", data=GOOD | {"name": "Forged"})
    assert response.status_code == 400 and fresh(desk["amina"]).name == "Amina"
    forged = client.post(
        f"/agent/customers/{desk['amina'].id}", data=GOOD | {"name": "Forged", "csrf_token": "x"}
    )
    assert forged.status_code == 400 and fresh(desk["amina"]).name == "Amina"
    merge = client.post(f"/agent/customers/{desk['amina'].id}/merge/{desk['twin'].id}")
    assert merge.status_code == 400 and fresh(desk["twin"]).merged_into_id is None


def test_a_merge_moves_everything_once_and_leaves_a_tombstone(client, login, desk, clock):
    clock.set(MONDAY_10_NAIROBI)
    amina, twin, achieng = desk["amina"], desk["twin"], desk["achieng"]
    promises.add_promise(
        desk["again"], by=achieng, description="Call back", due_at=hours.now() + timedelta(days=1)
    )
    db.session.add(Call(sid="CA" + "1" * 32, from_number=twin.phone, customer_id=twin.id))
    twin.preferred_channel = Channel.WHATSAPP
    db.session.commit()
    login(client, achieng)
    confirm = client.get(f"/agent/customers/{amina.id}/merge/{twin.id}").get_data(as_text=True)
    assert "1 tickets" in page_text(confirm) and "1 phone calls" in page_text(confirm)
    url = f"/agent/customers/{amina.id}/merge/{twin.id}"
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 302  # a double post
    assert "merged already" in client.get(f"/agent/customers/{amina.id}").get_data(as_text=True)
    db.session.expire_all()
    again = db.session.get(Ticket, desk["again"].id)
    assert again.customer_id == amina.id
    assert {m.ticket.customer_id for m in db.session.scalars(select(Message))} == {
        amina.id,
        desk["brian"].id,
    }
    assert db.session.scalar(select(Promise)).ticket.customer_id == amina.id
    assert db.session.scalar(select(Call)).customer_id == amina.id
    twin, amina = fresh(twin), fresh(amina)
    assert twin.merged_into_id == amina.id
    assert amina.preferred_channel == Channel.WHATSAPP and amina.name == "Amina"  # filled, kept
    [entry] = audit_entries(AuditAction.CUSTOMER_MERGED)
    assert entry.detail["duplicate"] == twin.id and entry.detail["moved"]["tickets"] == 1
    # an old link to the duplicate leads to the customer kept
    old_link = client.get(f"/agent/customers/{twin.id}")
    assert old_link.status_code == 302 and old_link.location.endswith(f"/customers/{amina.id}")


def test_the_duplicates_contacts_fill_the_kept_customers_empty_ones(client, login, desk):
    amina, brian = desk["amina"], desk["brian"]
    login(client, desk["grace"])
    assert client.post(f"/agent/customers/{brian.id}/merge/{amina.id}").status_code == 302
    brian, amina = fresh(brian), fresh(amina)
    assert brian.phone == "+254722000003" and brian.email == "brian@example.co.ke"
    assert amina.phone is None and amina.email == "amina@example.co.ke"  # Brian had his own
    assert db.session.scalar(select(func.count()).where(Ticket.customer_id == brian.id)) == 3


@pytest.mark.parametrize("stopped", ["kept", "duplicate"])
def test_a_stop_on_either_side_survives_the_merge(client, login, desk, stopped):
    person = desk["amina"] if stopped == "kept" else desk["twin"]
    customers.set_sms_opt_out(person, True, line=LINE_A, source="SMS STOP")
    db.session.commit()
    login(client, desk["achieng"])
    client.post(f"/agent/customers/{desk['amina'].id}/merge/{desk['twin'].id}")
    amina = fresh(desk["amina"])
    assert customers.is_opted_out(amina, LINE_A) and not customers.is_opted_out(amina, LINE_B)
    assert db.session.scalar(select(func.count()).select_from(OptOut)) == 1


def test_when_both_stopped_one_line_the_older_stop_is_kept(client, login, desk, clock):
    clock.set(MONDAY_10_NAIROBI)
    customers.set_sms_opt_out(desk["twin"], True, line=LINE_A, source="SMS STOP")
    customers.set_sms_opt_out(desk["twin"], True, line=LINE_B, source="provider")
    clock.advance(days=1)
    customers.set_sms_opt_out(desk["amina"], True, line=LINE_A, source="SMS STOP again")
    db.session.commit()
    login(client, desk["achieng"])
    client.post(f"/agent/customers/{desk['amina'].id}/merge/{desk['twin'].id}")
    rows = {row.line: row for row in fresh(desk["amina"]).opt_outs}
    assert set(rows) == {LINE_A, LINE_B}
    assert rows[LINE_A].source == "SMS STOP" and rows[LINE_A].created_at == MONDAY_10_NAIROBI


def test_merging_into_oneself_or_into_a_tombstone_is_refused(client, login, desk):
    amina, twin, brian = desk["amina"], desk["twin"], desk["brian"]
    login(client, desk["grace"])
    itself = client.post(f"/agent/customers/{amina.id}/merge/{amina.id}", follow_redirects=True)
    assert "cannot be merged into themselves" in itself.get_data(as_text=True)
    client.post(f"/agent/customers/{amina.id}/merge/{twin.id}")
    # twin is a tombstone now: merging Brian "into" it acts on Amina, the customer it became
    client.post(f"/agent/customers/{twin.id}/merge/{brian.id}")
    assert fresh(brian).merged_into_id == amina.id
    with pytest.raises(customers.MergeRefused) as refused:
        customers.merge(fresh(twin), fresh(desk["brian"]), by=desk["grace"])
    assert refused.value.code == "tombstone"
    db.session.rollback()
    assert len(audit_entries(AuditAction.CUSTOMER_MERGED)) == 2


def test_finding_the_duplicate_by_phone_email_or_name(client, login, desk):
    login(client, desk["achieng"])
    base = f"/agent/customers/{desk['amina'].id}/merge"
    by_phone = client.get(base, query_string={"q": "0733 000 004"}).get_data(as_text=True)
    assert f"{base}/{desk['twin'].id}" in by_phone
    by_name = client.get(base, query_string={"q": "bri"}).get_data(as_text=True)
    assert "No other customer you may edit" in by_name  # Brian is Billing's
    bad = client.get(base, query_string={"q": "0712 345"}).get_data(as_text=True)
    assert "phone number" in bad


def test_a_text_from_the_duplicates_phone_files_on_the_kept_customer(
    sms_app, department, staff, run_jobs, clock, twilio
):
    clock.set(MONDAY_10_NAIROBI)
    general = department("General")
    grace = staff("grace", role=Role.SUPERVISOR)
    kept = Customer(name="Wanjiku", phone="+254722999888")
    twin = Customer(name="Wanjiku K", phone=CUSTOMER)
    db.session.add_all([kept, twin])
    _ticket(kept, general, "Friji haipoi")
    db.session.commit()
    customers.merge(kept, twin, by=grace)
    db.session.commit()
    Phone(sms_app.test_client(), CUSTOMER).text("My cooker is broken too")
    run_jobs()
    db.session.expire_all()
    newest = db.session.scalar(select(Ticket).order_by(Ticket.id.desc()).limit(1))
    assert newest.customer_id == kept.id
    assert db.session.scalar(select(func.count()).select_from(Customer)) == 2


def test_the_queue_finds_the_kept_customers_tickets_by_the_duplicates_phone(client, login, desk):
    kept = Customer(name="Wanjiku", phone="+254722999888")
    db.session.add(kept)
    ticket = _ticket(kept, desk["late"].department, "Friji haipoi")
    db.session.commit()
    login(client, desk["achieng"])
    client.post(f"/agent/customers/{kept.id}/merge/{desk['twin'].id}")
    assert fresh(desk["twin"]).phone == "+254733000004"  # kept had a phone: the twin keeps its
    page = client.get("/agent/?view=departments&q=%2B254733000004").get_data(as_text=True)
    assert ticket.reference in page and desk["again"].reference in page
