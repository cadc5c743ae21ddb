"""Every SMS template, in English and Swahili, rendered with realistic data, fits its budget:
GSM-7 (typography must not switch a message to UCS-2) and at most 2 segments for routine
updates, which link to /t/<token> for the rest. The table is printed with every run."""

from datetime import timedelta
from pathlib import Path

import pytest
from fakes.twilio_stub import num_segments
from harness import MONDAY_10_NAIROBI

from ticketing import lifecycle, notify, wording
from ticketing.channels.sms import MAX_BODY, fit, segments
from ticketing.extensions import db
from ticketing.models import Customer, Promise
from ticketing.models.enums import Channel

MESSAGES = Path(__file__).resolve().parents[1] / "templates" / "messages"
# The agent's own words: their length is the agent's choice, shown live by the reply counter.
AGENTS_WORDS = {"reply"}
BUDGET = 2
AGENT_REPLY = {
    "en": "A technician will visit you tomorrow between 9 and 11. Please keep the "
    "fridge unplugged until then.",
    "sw": "Fundi atakutembelea kesho kati ya saa tatu na saa tano asubuhi. Tafadhali "
    "acha friji bila umeme hadi hapo.",
}
PROMISE = {"en": "A technician will visit you", "sw": "Fundi atakutembelea"}


def sms_templates() -> list[tuple[str, str]]:
    return sorted(
        (path.name.removesuffix(".sms.txt"), path.parent.name)
        for path in MESSAGES.glob("*/*.sms.txt")
    )


@pytest.fixture
def context(app, department, staff, clock):
    """Realistic data: a long public address, a named agent, a product, two open tickets."""
    clock.set(MONDAY_10_NAIROBI)
    app.config["PUBLIC_BASE_URL"] = "https://support.fuatilia.co.ke"
    staff("otieno ochieng", departments=[department("After-sales service")])
    person = Customer(name="Wanjiku Kamau", phone="+254712345678")
    db.session.add(person)
    ticket = lifecycle.open_ticket(
        person, subject="", body="Friji haipoi", channel=Channel.SMS, acknowledge=False
    )
    other = lifecycle.open_ticket(
        person, subject="", body="Jiko", channel=Channel.SMS, acknowledge=False
    )
    ticket.product = "Hisense 230L fridge"
    db.session.flush()
    promise = Promise(description="", due_at=MONDAY_10_NAIROBI + timedelta(days=3))
    # notify's own context (ticket, customer, link, policy...) plus what each kind is given
    return notify._context(
        ticket,
        person,
        {
            "promise": promise,
            "new_time": MONDAY_10_NAIROBI + timedelta(hours=4),
            "tickets": [ticket, other],
            "kinds": ["assigned", "waiting"],
            "reason": "fixed",
        },
    )


def render(kind: str, language: str, context: dict) -> str:
    context["promise"].description = PROMISE[language]
    message = type("Draft", (), {"body": AGENT_REPLY[language]})
    extra = {"message": message}
    return wording.render(kind, language, Channel.SMS, context | extra)[1]


def test_every_sms_template_fits_its_budget_in_english_and_swahili(context, capsys):
    rows = []
    for kind, language in sms_templates():
        text = render(kind, language, context)
        encoding, count = segments(text)
        rows.append((kind, language, encoding, count, len(text)))
        assert text and "{{" not in text and "None" not in text, (kind, language, text)
        assert encoding == "GSM-7", f"{kind} ({language}) switched to UCS-2: {text!r}"
        assert count == num_segments(text)  # the stub counts independently, as carriers do
        if kind not in AGENTS_WORDS:
            assert count <= BUDGET, f"{kind} ({language}) takes {count} SMS: {text!r}"
    table = "\n".join(
        f"  {kind:<18} {lang}  {enc}  {count} SMS  {chars:>3} chars"
        for kind, lang, enc, count, chars in rows
    )
    with capsys.disabled():
        print(
            f"\nSMS templates (realistic data; budget {BUDGET} except the agent's reply):\n{table}"
        )
    assert {lang for _, lang, *_ in rows} == {"en", "sw"}
    assert len(rows) == 2 * len({kind for kind, *_ in rows})  # every template in both


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a" * 160, ("GSM-7", 1)),
        ("a" * 161, ("GSM-7", 2)),
        ("a" * 306, ("GSM-7", 2)),
        ("a" * 307, ("GSM-7", 3)),
        ("€" * 80, ("GSM-7", 1)),  # an extension character takes two septets
        ("€" * 81, ("GSM-7", 2)),
        ("ж" * 70, ("UCS-2", 1)),
        ("ж" * 71, ("UCS-2", 2)),
        ("Habari! Friji yangu haipoi 🙏", ("UCS-2", 1)),  # one emoji switches the whole SMS
        ("🙏" * 35, ("UCS-2", 1)),  # an emoji is two UTF-16 units
        ("🙏" * 36, ("UCS-2", 2)),
        ("Tafadhali usiwe na wasiwasi, tutakupigia", ("GSM-7", 1)),
        ("Tafadhali usiwe na wasiwasi, tutakupigia’", ("UCS-2", 1)),  # a curly apostrophe
        ("A" * 1600, ("GSM-7", 11)),
    ],
)
def test_segments_are_counted_as_carriers_count_them(text, expected):
    assert segments(text) == expected
    assert expected[1] == num_segments(text)


def test_text_over_twilios_limit_is_cut_with_a_link_and_stays_gsm7():
    link = "https://support.fuatilia.co.ke/t/abc"
    assert fit("short", link) == "short"
    assert fit("x" * MAX_BODY, link) == "x" * MAX_BODY
    cut = fit("word " * 400, link)
    assert len(cut) <= MAX_BODY and cut.endswith(f"... {link}")
    assert segments(cut)[0] == "GSM-7"
