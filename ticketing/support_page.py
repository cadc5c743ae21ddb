"""The empty /support form page, rendered once per language and kept for the process.

Rendering it took about a quarter of a form's GET and POST: WTForms widgets and the field
macro for nine fields. Only three things on it vary from one visitor to the next: the CSRF
token (signed afresh for each page, as Flask-WTF does), the flashed messages, and the staff
header of someone signed in. The kept page is split where the token and the flashes go and
joined around this request's; a signed-in visitor, or an app that reloads its templates
(debug), gets the page rendered in full. What else it shows comes from code and config, which
change only with a restart, so there is nothing to invalidate.
"""

from flask import current_app, render_template, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from ticketing import languages
from ticketing.forms import SupportForm

TEMPLATE = "public/support.html"
FLASHES = "_flashes.html"
_FLASH_SLOT = Markup("<!--flashes-->")
_KEPT = "fuatilia.support_page"  # app.extensions key: {(language, script root): parts}


def empty_form() -> str:
    """The page of an empty form for this request's visitor."""
    if current_app.jinja_env.auto_reload or current_user.is_authenticated:
        return render_template(TEMPLATE, form=SupportForm(language=languages.current()))
    kept = current_app.extensions.setdefault(_KEPT, {})
    key = (languages.current(), request.script_root)
    parts = kept.get(key)
    if parts is None:
        form = SupportForm(language=key[0])  # what they read is what we write in
        page = render_template(TEMPLATE, form=form, flash_slot=_FLASH_SLOT)
        parts = kept[key] = _split(page, generate_csrf() if form.meta.csrf else None)
    before, between, after = parts
    flashes = render_template(FLASHES) if session.get("_flashes") else ""
    if after is None:
        return f"{before}{flashes}{between}"
    return f"{before}{flashes}{between}{generate_csrf()}{after}"


def _split(page: str, token: str | None) -> tuple[str, str, str | None]:
    """The page around its flashes' slot and its one CSRF token (the slot comes first); no
    token where the app turned CSRF off (WTF_CSRF_ENABLED, in some tests)."""
    before, slot, rest = page.partition(_FLASH_SLOT)
    if not slot or _FLASH_SLOT in rest:
        raise RuntimeError(f"{TEMPLATE} must show one flash slot")
    if token is None:
        return before, rest, None
    between, found, after = rest.partition(token)
    if not found or token in after:
        raise RuntimeError(f"{TEMPLATE} must show its CSRF token once, after the flashes")
    return before, between, after
