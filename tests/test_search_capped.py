"""The queue counts up to a cap (QUEUE_COUNT_CAP) and then says "More than": counting every
match of a broad search at a million tickets was most of its time. The pager says "of more
than", the page the last ticket is on counts exactly, the live poll counts alike, and every
filter, the sort and the page survive paging. A broad search (more matches than the cap) lists
the newest QUEUE_COUNT_CAP, the same ones on every page and every reload; a name more customers
have than the cap, the newest tickets of its newest customers."""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from harness import page_text, text_of

from ticketing import lifecycle
from ticketing.models import Customer
from ticketing.models.enums import Channel, Priority

CAPPED = pytest.mark.config(QUEUE_COUNT_CAP=4, QUEUE_PAGE_SIZE=2)


@pytest.fixture
def nine(db, department, staff):
    """Nine Sales tickets about a fridge (Wanjiku0..8, high priority on the odd ones), and one
    about an oven."""
    sales = department("Sales")
    boss = staff("boss", role="supervisor", departments=[sales])
    fridges = []
    for number in range(9):
        customer = Customer(name=f"Wanjiku{number}", phone=f"+2547110000{number:02d}")
        db.session.add(customer)
        ticket = lifecycle.open_ticket(
            customer,
            subject=f"Fridge not cooling {number}",
            body="It does not cool",
            channel=Channel.SMS,
            department=sales,
        )
        ticket.priority = Priority.HIGH if number % 2 else Priority.NORMAL
        fridges.append(ticket)
    lifecycle.open_ticket(
        Customer(name="Brian"), subject="Oven", body="Door", channel=Channel.WEB, department=sales
    )
    db.session.commit()
    return {"boss": boss, "fridges": fridges}


def listed(html: str) -> list[str]:
    table = html.split("<tbody>")[-1].split("</tbody>")[0]
    return re.findall(r'<span class="mono"[^>]*>(FT-\w{5})</span>', table)


def next_link(html: str) -> str | None:
    found = re.search(r'rel="next" href="([^"]+)"', html)
    return unescape(found.group(1)) if found else None


def page(client, **args) -> str:
    response = client.get("/agent/", query_string={"view": "all", "status": "", **args})
    assert response.status_code == 200, response.data[:300]
    return response.get_data(as_text=True)


@CAPPED
def test_a_broad_search_says_more_than_the_cap(client, login, nine):
    login(client, nine["boss"])
    first = page(client, q="fridge")
    assert text_of(first, "queue-total") == "More than 4 tickets"
    assert "Page 1 of 2" in page_text(first)  # only 4 are listed
    assert re.search(r"<title>\(4\+\) All tickets", first)
    assert len(listed(first)) == 2 and next_link(first)
    assert "matches more than 4 tickets: only 4 are listed: the newest" in text_of(
        first, "search-broad"
    )
    assert text_of(page(client, q="oven"), "search-broad") == ""


@pytest.mark.config(QUEUE_COUNT_CAP=6, QUEUE_PAGE_SIZE=2)
def test_filters_apply_before_the_cap_so_a_filtered_count_is_exact(client, login, nine):
    login(client, nine["boss"])
    assert text_of(page(client, q="fridge"), "search-broad")  # nine fridges: broad
    high = page(client, q="fridge", priority="high")  # four of the nine fridges
    assert text_of(high, "queue-total") == "4 tickets" and text_of(high, "search-broad") == ""
    odd = sorted(t.reference for t in nine["fridges"] if t.priority == Priority.HIGH)
    second = page(client, q="fridge", priority="high", page=2)
    assert sorted(listed(high) + listed(second)) == odd


@CAPPED
def test_under_the_cap_the_count_is_exact(client, login, nine):
    login(client, nine["boss"])
    high = page(client, q="fridge", priority="high")  # four fridges: the cap, not more
    assert text_of(high, "queue-total") == "4 tickets"
    assert "Page 1 of 2" in page_text(high)
    assert text_of(page(client, q="oven"), "queue-total") == "1 ticket"


@CAPPED
def test_the_last_page_knows_the_exact_total(client, login, nine):
    login(client, nine["boss"])
    fourth = page(client, page=4)  # counted to 8: there are more
    assert text_of(fourth, "queue-total") == "More than 8 tickets"
    assert "Page 4 of more than 4" in page_text(fourth) and next_link(fourth)
    last = page(client, page=5)
    assert text_of(last, "queue-total") == "10 tickets"
    assert "Page 5 of 5" in page_text(last) and next_link(last) is None
    assert len(listed(last)) == 2


def walk(client, url: str) -> list[str]:
    """The tickets listed on every page, following "Next" from `url`."""
    seen = []
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += listed(html)
        url = next_link(html)
    return seen


@CAPPED
def test_a_broad_search_lists_its_newest_the_same_on_every_load_and_page(client, login, nine):
    login(client, nine["boss"])
    by_name = walk(client, "/agent/?view=all&status=&q=fridge&sort=customer&dir=desc")
    # the newest five fridges (4..8), the first four of them by name
    assert by_name == [nine["fridges"][n].reference for n in (8, 7, 6, 5)]
    queue_order = walk(client, "/agent/?view=all&status=&q=fridge")
    assert len(set(queue_order)) == 4 and set(queue_order) <= {
        t.reference for t in nine["fridges"][4:]
    }
    for _ in range(3):  # every reload: the same tickets in the same order
        assert walk(client, "/agent/?view=all&status=&q=fridge") == queue_order
    assert listed(page(client, q="fridge", page=3)) == []  # no page past the ones listed


@pytest.mark.config(QUEUE_COUNT_CAP=20, QUEUE_PAGE_SIZE=2)
def test_every_page_of_a_search_under_the_cap_lists_each_match_once(client, login, nine):
    login(client, nine["boss"])
    seen, url = [], "/agent/?view=all&status=&q=fridge&sort=customer&dir=desc"
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += listed(html)
        url = next_link(html)
    by_name = sorted(nine["fridges"], key=lambda t: t.customer.name, reverse=True)
    assert seen == [t.reference for t in by_name]


@CAPPED
def test_filters_the_sort_and_the_page_survive_paging_a_broad_search(client, login, nine):
    login(client, nine["boss"])
    first = page(client, q="fridge", priority="normal", sort="customer", dir="asc")
    assert text_of(first, "queue-total") == "More than 4 tickets"  # five normal fridges
    second_url = next_link(first)
    args = parse_qs(urlsplit(second_url).query, keep_blank_values=True)
    assert args == {
        "view": ["all"],
        "status": [""],
        "q": ["fridge"],
        "priority": ["normal"],
        "sort": ["customer"],
        "dir": ["asc"],
        "page": ["2"],
    }
    normal = [t for t in nine["fridges"] if t.priority == Priority.NORMAL]
    assert listed(client.get(second_url).get_data(as_text=True)) == [
        t.reference for t in normal[2:4]
    ]
    html = client.get(second_url).get_data(as_text=True)  # four of the five are listed
    assert text_of(html, "queue-total") == "More than 4 tickets"
    assert "Page 2 of 2" in page_text(html) and next_link(html) is None


@CAPPED
def test_the_live_poll_counts_up_to_the_cap_too(client, login, nine):
    login(client, nine["boss"])
    since = "2020-01-01T00:00:00Z"
    broad = client.get(
        "/agent/queue/live",
        query_string={"view": "all", "status": "", "q": "fridge", "since": since},
    ).get_json()
    assert (broad["count"], broad["more"], broad["count_words"]) == (4, True, "More than 4 tickets")
    narrow = client.get(
        "/agent/queue/live", query_string={"view": "all", "status": "", "q": "oven", "since": since}
    ).get_json()
    assert (narrow["count"], narrow["more"], narrow["count_words"]) == (1, False, "1 ticket")


@pytest.fixture
def zawadis(db, department, staff):
    """Six customers called Zawadi (Zawadi1, the oldest, to Zawadi6) with a ticket each; then
    Zawadi1 opens four more, urgent ones."""
    sales = department("Sales")
    boss = staff("boss", role="supervisor", departments=[sales])
    customers = [Customer(name=f"Zawadi{number}") for number in range(1, 7)]
    tickets = {}
    for customer in customers:
        db.session.add(customer)
        db.session.flush()  # ids in this order: Zawadi6 is the newest customer
        tickets[customer.name] = [
            lifecycle.open_ticket(
                customer, subject="Oven", body="Door", channel=Channel.WEB, department=sales
            )
        ]
    for _ in range(4):
        ticket = lifecycle.open_ticket(
            customers[0], subject="Oven", body="Door", channel=Channel.WEB, department=sales
        )
        ticket.priority = Priority.URGENT
        tickets["Zawadi1"].append(ticket)
    db.session.commit()
    return {"boss": boss, "tickets": tickets}


@CAPPED
def test_a_name_more_customers_have_than_the_cap_lists_its_newest_customers(client, login, zawadis):
    login(client, zawadis["boss"])
    # the newest five customers' tickets (Zawadi2..6), not the newest tickets (Zawadi1's four):
    # finding those walked 130,000 tickets for a common name at a million
    seen = walk(client, "/agent/?view=all&status=&q=zawadi&sort=customer&dir=desc")
    assert seen == [zawadis["tickets"][f"Zawadi{n}"][0].reference for n in (6, 5, 4, 3)]
    assert "only 4 are listed" in text_of(page(client, q="zawadi"), "search-broad")


@CAPPED
def test_a_name_whose_newest_customers_have_too_few_of_the_tickets_finds_older_ones(
    client, login, zawadis
):
    login(client, zawadis["boss"])
    urgent = page(client, q="zawadi", priority="urgent")  # only Zawadi1, the oldest, has them
    assert text_of(urgent, "queue-total") == "4 tickets"
    assert text_of(urgent, "search-broad") == ""
    seen = walk(client, "/agent/?view=all&status=&q=zawadi&priority=urgent")
    assert sorted(seen) == sorted(t.reference for t in zawadis["tickets"]["Zawadi1"][1:])
