"""Flask-WTF forms: validation with friendly messages, CSRF on every post."""

import re
from datetime import timedelta
from email.utils import parseaddr

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, ValidationError

from ticketing import hours
from ticketing.contacts import InvalidContact, normalise_email, normalise_phone
from ticketing.models.enums import Category, Channel, Language, Priority, Role, Status

CATEGORY_CHOICES = [(c.value, c.label) for c in Category]
PRIORITY_CHOICES = [(p.value, p.value.title()) for p in Priority]
STATUS_CHOICES = [(s.value, s.label) for s in Status if s != Status.NEW]


# The customer's forms speak the page's language (lazy: translated when the page renders).
CATEGORY_WORDS = {
    Category.GENERAL: _l("General"),
    Category.SALES: _l("Sales"),
    Category.DELIVERY: _l("Delivery"),
    Category.AFTER_SALE: _l("After-sale service / repair"),
    Category.BILLING: _l("Billing"),
    Category.COMPLAINT: _l("Complaint"),
}
CUSTOMER_CATEGORY_CHOICES = [(c.value, CATEGORY_WORDS.get(c, c.label)) for c in Category]


def _too_long(limit: int) -> Length:
    return Length(max=limit, message=_l("Field cannot be longer than %(max)d characters."))


class SupportForm(FlaskForm):
    name = StringField(
        _l("Your name"), validators=[DataRequired(_l("Please tell us your name.")), _too_long(120)]
    )
    email = EmailField(
        _l("Email"),
        validators=[Optional(), Email(_l("That email address looks wrong.")), _too_long(254)],
    )
    phone = StringField(_l("Mobile number"), validators=[Optional(), _too_long(30)])
    language = SelectField(
        _l("Language for our messages"),
        choices=[("en", "English"), ("sw", "Kiswahili")],
        default="en",
    )
    category = SelectField(
        _l("What is it about?"), choices=CUSTOMER_CATEGORY_CHOICES, default="general"
    )
    subject = StringField(
        _l("Subject"),
        validators=[DataRequired(_l("Please give a short subject.")), _too_long(200)],
    )
    description = TextAreaField(
        _l("Describe the problem"),
        validators=[DataRequired(_l("Please describe the problem.")), _too_long(20000)],
    )
    attachment = FileField(_l("Photo or document (optional)"))

    def validate_phone(self, field):
        if field.data:
            try:
                field.data = normalise_phone(field.data, current_app.config["DEFAULT_PHONE_REGION"])
            except InvalidContact as error:
                raise ValidationError(
                    _l(
                        "'%(number)s' is not a valid phone number. Use a format like 0712 345 678.",
                        number=field.data,
                    )
                ) from error

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not (self.email.data or self.phone.data) and not self.email.errors:
            self.email.errors = list(self.email.errors) + [
                _l("Give an email address or a mobile number so we can answer you.")
            ]
            return False
        return valid


class CustomerReplyForm(FlaskForm):
    body = TextAreaField(
        _l("Your message"),
        validators=[DataRequired(_l("Please write a message.")), _too_long(20000)],
    )


class RatingForm(FlaskForm):
    score = IntegerField(
        _l("Rating"),
        validators=[
            DataRequired(_l("Choose a rating from 1 to 5.")),
            NumberRange(1, 5, _l("Choose a rating from 1 to 5.")),
        ],
    )
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), _too_long(2000)])


class ConfirmFixForm(FlaskForm):
    fixed = SelectField(
        _l("Is it fixed?"), choices=[("1", _l("Yes, it is fixed")), ("2", _l("No, not yet"))]
    )


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    remember = BooleanField("Keep me signed in")


class ReplyForm(FlaskForm):
    # Distinct ids for the reply and the note: with one id for both, clicking the "Internal
    # note" label put the cursor in the customer's reply.
    body = TextAreaField(
        "Reply to the customer",
        id="reply-body",
        validators=[DataRequired("The reply is empty."), Length(max=20000)],
    )
    files = MultipleFileField("Attach files (sent only by email)", id="reply-files")
    status = SelectField(
        "Then set status",
        choices=[("", "Keep status")] + STATUS_CHOICES,
        default="",
        validators=[Optional()],
    )


class NoteForm(FlaskForm):
    body = TextAreaField(
        "Internal note (staff only, never sent to the customer)",
        id="note-body",
        validators=[DataRequired("The note is empty."), Length(max=20000)],
    )


class TagsForm(FlaskForm):
    """Tags to add (typed, comma or space separated) and one to remove (its button)."""

    add = StringField("Add tags", id="tags-add", validators=[Optional(), Length(max=400)])
    remove = StringField(validators=[Optional(), Length(max=400)])


class PromiseForm(FlaskForm):
    description = StringField("I will…", validators=[DataRequired(), Length(max=300)])
    due_at = DateTimeLocalField(
        "By (local time)",
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired("When will you do it?")],
    )


class ProductForm(FlaskForm):
    product = StringField("Product", validators=[Optional(), Length(max=120)])
    serial_number = StringField("Serial number", validators=[Optional(), Length(max=80)])
    purchase_date = DateField("Purchase date", validators=[Optional()])


class SavedViewForm(FlaskForm):
    """Save the queue as it is shown; ticketing.saved_views decides what a good name is."""

    name = StringField("Name this view")
    args = HiddenField()


class CcForm(FlaskForm):
    addresses = TextAreaField("Copied on email replies", validators=[Optional(), Length(max=6000)])

    def validate_addresses(self, field):
        """Commas, semicolons, spaces or new lines between addresses, each plain or as
        `Name <address>`, as people paste them from a mail program."""
        wanted, wrong = [], []
        for item in filter(None, (part.strip() for part in re.split(r"[,;\n]+", field.data or ""))):
            words = item.split()
            candidates = (
                [parseaddr(item)[1] or item]
                if "<" in item
                else words
                if all("@" in word for word in words)
                else [item]
            )
            for address in candidates:
                try:
                    wanted.append(
                        validate_email(address, check_deliverability=False).normalized.lower()
                    )
                except EmailNotValidError:
                    wrong.append(item[:80])
        if wrong:
            raise ValidationError(f"Not an email address: {', '.join(wrong)}.")
        field.data = wanted


class PasswordChangeForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired()])
    new = PasswordField("New password", validators=[DataRequired(), Length(min=10, max=200)])


class MySettingsForm(FlaskForm):
    """A member of staff's own choices. A checkbox posts "y" or nothing: anything else is a
    forged or broken post, refused rather than read as "on"."""

    wants_assignment_email = BooleanField("Email me when a ticket is assigned to me")

    def validate_wants_assignment_email(self, field):
        if field.raw_data not in ([], ["y"]):
            raise ValidationError("Tick the box, or leave it empty.")


class DepartmentForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=80)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=2000)])
    is_default = BooleanField("Default department (gets unmatched tickets)")
    supervisor_id = SelectField("Supervisor", coerce=int, validators=[Optional()])


class RuleForm(FlaskForm):
    keywords = StringField("Keywords (comma-separated)", validators=[Optional(), Length(max=2000)])
    channel = SelectField(
        "Channel", default="", choices=[("", "Any")] + [(c.value, c.value.upper()) for c in Channel]
    )
    category = SelectField("Category", default="", choices=[("", "Any")] + CATEGORY_CHOICES)
    position = IntegerField("Order", default=100, validators=[NumberRange(0, 10000)])


class UserForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField("Role", choices=[(r.value, r.value.title()) for r in Role])
    departments = SelectMultipleField("Departments", coerce=int)
    password = PasswordField(
        "Password (leave empty to keep)", validators=[Optional(), Length(min=10, max=200)]
    )
    is_enabled = BooleanField("Active", default=True)
    is_away = BooleanField("Away (gets no new tickets)")


LANGUAGE_CHOICES = [(language.value, language.value) for language in Language]


PROVIDER_CHOICES = [("twilio", "Twilio"), ("africastalking", "Africa's Talking")]
LINE_CHANNEL_CHOICES = [("sms", "SMS"), ("whatsapp", "WhatsApp")]


class LineForm(FlaskForm):
    """A new line; the address is checked against its provider by lines.add."""

    provider = SelectField("Provider", choices=PROVIDER_CHOICES)
    channel = SelectField("Channel", choices=LINE_CHANNEL_CHOICES)
    address = StringField(
        "Number or sender id",
        description="E.164 (+254…), a Twilio Messaging Service (MG…), or an Africa's Talking "
        "shortcode or sender id",
        validators=[DataRequired("Give the number or sender id."), Length(max=64)],
    )
    department_id = SelectField("Department", coerce=int, default=0)
    label = StringField("Label", validators=[Optional(), Length(max=80)])


class LineMoveForm(FlaskForm):
    line_id = IntegerField("Line", validators=[DataRequired("Which line?")])
    department_id = SelectField("Department", coerce=int)


class LineSwitchForm(FlaskForm):
    line_id = IntegerField("Line", validators=[DataRequired("Which line?")])
    enabled = SelectField("Enabled", choices=[("1", "on"), ("0", "off")])


class DeskPhoneForm(FlaskForm):
    desk_phone = StringField(
        "Desk phone",
        description="Where its calls ring, as +254…; empty: its calls are not put through",
        validators=[Optional(), Length(max=30)],
    )

    def validate_desk_phone(self, field):
        _to_e164(field, example="+254 20 123 4567")


def _to_e164(field, *, example: str) -> None:
    """A staff form's phone field in E.164, or the reason it is not a phone number."""
    if field.data:
        try:
            field.data = normalise_phone(field.data, current_app.config["DEFAULT_PHONE_REGION"])
        except InvalidContact as error:
            raise ValidationError(
                f"'{field.data[:40]}' is not a phone number. Use a format like {example}."
            ) from error


class ChannelTestForm(FlaskForm):
    """A test message from the channels screen: which line (or email), and to whom. The view
    fills the choices and checks the address against the chosen channel."""

    target = SelectField("Send through", validators=[DataRequired("Choose a channel.")])
    address = StringField(
        "To",
        description="A phone number (+254…, or 07…) for SMS and WhatsApp, an email address "
        "for email",
        validators=[DataRequired("Give a phone number or an email address."), Length(max=254)],
    )


class ImapCheckForm(FlaskForm):
    """The IMAP connection check: a button, with its CSRF token."""


DESK_CHANNEL_CHOICES = [(Channel.PHONE.value, "Phone call"), (Channel.WALK_IN.value, "Walk-in")]
CALL_AGE_LIMIT_HOURS = 24  # an older call is not logged here: its caller has waited too long


class _StaffContactChecks:
    """The phone and email a member of staff types for a customer: a phone in any local
    format becomes E.164, an email is normalised; each refused with the reason."""

    def validate_phone(self, field):
        _to_e164(field, example="0712 345 678")

    def validate_email(self, field):
        if field.data:
            try:
                field.data = normalise_email(field.data)
            except InvalidContact as error:
                raise ValidationError(f"'{field.data}' is not an email address.") from error


class DeskTicketForm(_StaffContactChecks, FlaskForm):
    """A ticket an agent opens for a caller or a visitor: a customer already found (customer_id)
    or a new one (name, phone, email, language), then what they came about."""

    customer_id = IntegerField(validators=[Optional()])
    name = StringField("Name", validators=[Optional(), Length(max=120)])
    phone = StringField(
        "Mobile number",
        description="Any Kenyan format, e.g. 0712 345 678: the acknowledgment goes by SMS",
        validators=[Optional(), Length(max=30)],
    )
    email = EmailField(
        "Email", description="Used when there is no phone", validators=[Optional(), Length(max=254)]
    )
    language = SelectField(
        "Language for our messages",
        choices=[("en", "English"), ("sw", "Kiswahili")],
        validators=[Optional()],  # not sent when the customer was found: theirs stays
    )
    channel = RadioField("How they came", choices=DESK_CHANNEL_CHOICES, default="phone")
    call_started_at = DateTimeLocalField(
        "Call started at (local time)",
        format="%Y-%m-%dT%H:%M",
        description="For a phone call: within the last 24 hours",
    )
    subject = StringField(
        "Subject", validators=[DataRequired("Give a short subject."), Length(max=200)]
    )
    body = TextAreaField(
        "What they said", validators=[DataRequired("Write what they said."), Length(max=20000)]
    )
    category = SelectField("Category", choices=CATEGORY_CHOICES, default="general")
    priority = SelectField("Priority", choices=PRIORITY_CHOICES, default="normal")
    # Choices are the agent's own departments, set by the view; 0 routes by the words.
    department_id = SelectField(
        "Department", coerce=int, default=0, validate_choice=False, validators=[Optional()]
    )

    def validate_department_id(self, field):
        if field.data not in {value for value, _ in field.choices}:
            raise ValidationError("Choose one of your own departments, or let the words route it.")

    def validate_call_started_at(self, field):
        if self.channel.data != Channel.PHONE.value:
            return
        if field.data is None:
            raise ValidationError("When did the call start?")
        started_at = hours.local_to_utc(field.data, current_app.config["TIMEZONE"])
        now = hours.now()
        if started_at > now:
            raise ValidationError("The call cannot start in the future.")
        if started_at < now - timedelta(hours=CALL_AGE_LIMIT_HOURS):
            raise ValidationError("That call is more than 24 hours ago.")

    def validate(self, extra_validators=None) -> bool:
        started = self.call_started_at
        if (
            self.channel.data != Channel.PHONE.value
            or not started.raw_data
            or not any(started.raw_data)
        ):
            started.process_errors, started.data = [], None  # a walk-in, or said below
        valid = super().validate(extra_validators)
        if not self.customer_id.data and not (self.name.data or "").strip():
            self.name.errors = list(self.name.errors) + ["Give the new customer's name."]
            return False
        return valid

    @property
    def call_started_utc(self):
        """The call's start as the naive UTC the system stores; None for a walk-in."""
        if self.channel.data != Channel.PHONE.value or self.call_started_at.data is None:
            return None
        return hours.local_to_utc(self.call_started_at.data, current_app.config["TIMEZONE"])


class CannedResponseForm(FlaskForm):
    """A canned response or macro; the view fills the department and assignee choices and
    ticketing.canned checks the text and the sharing."""

    title = StringField("Title", validators=[DataRequired("Give it a title."), Length(max=120)])
    scope = SelectField(
        "Who may use it",
        choices=[
            ("personal", "Only me"),
            ("department", "Everyone in one department"),
            ("everyone", "Everyone"),
        ],
        default="personal",
    )
    department_id = SelectField("Department", coerce=int, default=0)
    body_en = TextAreaField("Text in English", validators=[Length(max=5000)])
    body_sw = TextAreaField("Text in Kiswahili", validators=[Length(max=5000)])
    set_status = SelectField(
        "Then set status", choices=[("", "Keep status")] + STATUS_CHOICES, default=""
    )
    set_priority = SelectField(
        "Then set priority",
        choices=[("", "Keep priority")] + [(p.value, p.value.title()) for p in Priority],
        default="",
    )
    set_assignee_id = SelectField("Then assign to", coerce=int, default=0)
    tags = StringField("Then add tags", validators=[Length(max=500)])


PREFERRED_CHANNEL_CHOICES = [
    ("", "As they last wrote"),
    (Channel.SMS.value, "SMS"),
    (Channel.WHATSAPP.value, "WhatsApp"),
    (Channel.EMAIL.value, "Email"),
]


class CustomerForm(_StaffContactChecks, FlaskForm):
    """Staff correcting a customer's details; a contact is checked here, its owner in
    customers.update_details."""

    name = StringField("Name", validators=[Optional(), Length(max=120)])
    language = SelectField(
        "Language for our messages", choices=[("en", "English"), ("sw", "Kiswahili")]
    )
    preferred_channel = SelectField("Preferred channel", choices=PREFERRED_CHANNEL_CHOICES)
    phone = StringField(
        "Mobile number (SMS and WhatsApp)",
        description="Any Kenyan format, e.g. 0712 345 678; empty: none",
        validators=[Optional(), Length(max=30)],
    )
    email = EmailField("Email", validators=[Optional(), Length(max=254)])

    def values(self) -> dict:
        """The details as customers.update_details takes them."""
        return {
            "name": (self.name.data or "").strip(),
            "language": Language(self.language.data),
            "preferred_channel": Channel(self.preferred_channel.data)
            if self.preferred_channel.data
            else None,
            "phone": self.phone.data or None,
            "email": self.email.data or None,
        }
