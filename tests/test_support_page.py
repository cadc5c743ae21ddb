"""The /support form page is rendered once per language and kept: every visitor still gets a
token of their own that the POST accepts, this request's flashes, and the page a full render
would give (ticketing/support_page.py)."""

import re

import pytest
from flask import template_rendered
from harness import SUPPORT_FORM
from sqlalchemy import func, select

from ticketing.models import Ticket

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def token(page) -> str:
    found = TOKEN.findall(page.get_data(as_text=True))
    assert len(found) == 1, found
    return found[0]


def rendered(app) -> list[str]:
    names = []
    template_rendered.connect(
        lambda sender, template, **_: names.append(template.name), app, weak=False
    )
    return names


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_the_form_page_is_rendered_once_and_each_visitor_gets_their_own_token(db, web, desk):
    names = rendered(web)
    first, second = web.test_client(), web.test_client()
    assert first.get("/support").status_code == 200
    assert names == ["public/support.html"]  # the first visit renders the page...
    pages = [first.get("/support"), second.get("/support"), second.get("/support")]
    assert names == ["public/support.html"]  # ...and no visit after it renders anything
    tokens = [token(page) for page in pages]
    assert tokens[0] != tokens[1]  # each session's own, as a full render gives
    posted = second.post("/support", data=SUPPORT_FORM | {"csrf_token": tokens[1]})
    assert posted.status_code == 302
    forged = first.post("/support", data=SUPPORT_FORM | {"csrf_token": tokens[1]})
    assert forged.status_code == 400  # another session's token is still refused
    assert db.session.scalar(select(func.count(Ticket.id))) == 1


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_the_kept_page_is_the_full_render_in_each_language(web, desk):
    client = web.test_client()
    kept = {lang: client.get(f"/support?lang={lang}") for lang in ("sw", "en", "sw")}
    web.jinja_env.auto_reload = True  # as in debug: every page rendered in full
    full = {lang: client.get(f"/support?lang={lang}") for lang in ("en", "sw")}
    for lang in ("en", "sw"):
        assert f'<html lang="{lang}">' in kept[lang].get_data(as_text=True)
        assert kept[lang].get_data(as_text=True).replace(token(kept[lang]), "T") == full[
            lang
        ].get_data(as_text=True).replace(token(full[lang]), "T")


def test_the_next_form_page_shows_a_flash_once(web, desk):
    client = web.test_client()
    client.get("/support")  # kept before the flash exists
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Thank you. Your reference is FT-TEST1.")]
    page = client.get("/support").get_data(as_text=True)
    assert '<div class="flash success">' in page and "FT-TEST1" in page
    assert "FT-TEST1" not in client.get("/support").get_data(as_text=True)


def test_signed_in_staff_get_their_own_header_on_the_form(web, desk, login):
    client = web.test_client()
    assert "Staff sign in" in client.get("/support").get_data(as_text=True)
    login(client, desk)
    page = client.get("/support").get_data(as_text=True)
    assert "Staff sign in" not in page and "Sign out" in page


@pytest.fixture
def desk(department, staff):
    return staff("achieng", departments=[department("Sales", keywords="delivery")])
