"""Admin: the channels screen. Each channel's state from the configuration (never a secret's
value), its last message in and out, its failures of the last day, the webhook URLs to paste
(ticketing/webhook_urls.py), a test message sent through the real path (the outbox and the
worker), and a check of the IMAP connection.

Nested in the admin blueprint, so its admins-only guard covers every route here. Both acts
are rate-limited per admin and audited."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from ticketing import channel_states, limits, lines, notify, webhook_urls
from ticketing.channels import africastalking, failure_words, imap
from ticketing.contacts import InvalidContact, normalise_email, normalise_phone
from ticketing.extensions import db
from ticketing.forms import ChannelTestForm, ImapCheckForm
from ticketing.models import Outbox
from ticketing.models.enums import Channel
from ticketing.views import audit_hooks

bp = Blueprint("channels", __name__, url_prefix="/channels")
EMAIL = "email"  # the test form's choice for email; every other choice is a line key


@bp.get("/")
def page():
    return _render(ChannelTestForm(formdata=None))


@bp.post("/test")
@limits.channel_test
def test_send():
    form = ChannelTestForm()
    form.target.choices = _targets()
    if not form.validate_on_submit():
        return _render(form), 400
    channel, line = _channel_and_line(form.target.data)
    try:
        recipient = _recipient(channel, form.address.data)
    except InvalidContact:
        form.address.errors = [_refusal(channel, form.address.data)]
        return _render(form), 400
    row = notify.channel_test(channel, recipient, line=line)
    audit_hooks.channel_tested(row, line)
    db.session.commit()
    flash(f"Test message to {recipient} queued: its outcome shows below.", "success")
    return redirect(url_for(".page", test=row.id))


@bp.post("/imap-check")
@limits.imap_check
def imap_check():
    if not ImapCheckForm().validate_on_submit():
        flash("The check was refused: reload the page and try again.", "error")
        return _render(ChannelTestForm(formdata=None)), 400
    config = current_app.config
    code = imap.check(config)
    audit_hooks.imap_checked(code, config["IMAP_HOST"], config["IMAP_PORT"])
    db.session.commit()
    return _render(ChannelTestForm(formdata=None), imap_outcome=code)


def _targets() -> list[tuple[str, str]]:
    """Email, then every line a message can go out from: the configured ones, then ours."""
    choices = [(EMAIL, "Email (the configured mail backend)")]
    for channel, name in ((Channel.SMS, "SMS"), (Channel.WHATSAPP, "WhatsApp")):
        line = lines.configured(channel)
        if line and lines.split(line)[1]:
            choices.append((line, f"{name} from {line} (configured)"))
    for row in lines.listed():
        if row.is_enabled and row.key not in dict(choices):
            choices.append((row.key, f"{row.channel.value} from {row.key}"))
    return choices


def _channel_and_line(target: str) -> tuple[Channel, str | None]:
    if target == EMAIL:
        return Channel.EMAIL, None
    return lines.channel_of(target), target


def _recipient(channel: Channel, address: str) -> str:
    if channel == Channel.EMAIL:
        return normalise_email(address)
    return normalise_phone(address, current_app.config["DEFAULT_PHONE_REGION"])


def _refusal(channel: Channel, address: str) -> str:
    if channel == Channel.EMAIL:
        return f"'{address[:80]}' is not an email address."
    return f"'{address[:80]}' is not a phone number. Use a format like +254712345678."


def _test_row() -> Outbox | None:
    """The test message the page was sent back with (?test=<id>), to show its outcome."""
    outbox_id = request.args.get("test", type=int)
    if not outbox_id:
        return None
    return db.session.scalar(
        select(Outbox).where(Outbox.id == outbox_id, Outbox.kind == "channel_test")
    )


def _render(form: ChannelTestForm, imap_outcome: str | None = None):
    form.target.choices = form.target.choices or _targets()
    test_row = _test_row()
    test_meaning = ""
    if test_row is not None and test_row.error_code:
        provider = lines.provider_of(test_row.line) if test_row.line else None
        test_meaning = failure_words.meaning(test_row.error_code, provider)
    return render_template(
        "admin/channels.html",
        channels=channel_states.report(),
        form=form,
        imap_form=ImapCheckForm(formdata=None),
        imap_outcome=imap_outcome,
        imap_words=imap.CHECK_WORDS,
        test_row=test_row,
        test_meaning=test_meaning,
        twilio_hooks=webhook_urls.twilio_urls(),
        at_hooks=webhook_urls.africastalking_urls(),
        email_hooks=webhook_urls.email_urls(),
        at_secret_set=bool(africastalking.webhook_secret()),
    )
