"""Flask-WTF forms: validation with friendly messages, CSRF on every post."""

import re
from email.utils import parseaddr

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, ValidationError

from ticketing.contacts import InvalidContact, normalise_phone
from ticketing.models.enums import Category, Channel, Language, Priority, Role, Status

CATEGORY_CHOICES = [(c.value, c.label) for c in Category]
PRIORITY_CHOICES = [(p.value, p.value.title()) for p in Priority]
STATUS_CHOICES = [(s.value, s.label) for s in Status if s != Status.NEW]


class SupportForm(FlaskForm):
    name = StringField(
        "Your name", validators=[DataRequired("Please tell us your name."), Length(max=120)]
    )
    email = EmailField(
        "Email", validators=[Optional(), Email("That email address looks wrong."), Length(max=254)]
    )
    phone = StringField("Mobile number", validators=[Optional(), Length(max=30)])
    language = SelectField(
        "Language", choices=[("en", "English"), ("sw", "Kiswahili")], default="en"
    )
    category = SelectField("What is it about?", choices=CATEGORY_CHOICES, default="general")
    subject = StringField(
        "Subject", validators=[DataRequired("Please give a short subject."), Length(max=200)]
    )
    description = TextAreaField(
        "Describe the problem",
        validators=[DataRequired("Please describe the problem."), Length(max=20000)],
    )
    attachment = FileField("Photo or document (optional)")

    def validate_phone(self, field):
        if field.data:
            try:
                field.data = normalise_phone(field.data, current_app.config["DEFAULT_PHONE_REGION"])
            except InvalidContact as error:
                raise ValidationError(f"{error}. Use a format like 0712 345 678.") from error

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not (self.email.data or self.phone.data) and not self.email.errors:
            self.email.errors = list(self.email.errors) + [
                "Give an email address or a mobile number so we can answer you."
            ]
            return False
        return valid


class CustomerReplyForm(FlaskForm):
    body = TextAreaField(
        "Your message", validators=[DataRequired("Please write a message."), Length(max=20000)]
    )


class RatingForm(FlaskForm):
    score = IntegerField("Rating", validators=[DataRequired(), NumberRange(1, 5)])
    comment = TextAreaField("Comment (optional)", validators=[Optional(), Length(max=2000)])


class ConfirmFixForm(FlaskForm):
    fixed = SelectField("Is it fixed?", choices=[("1", "Yes, it is fixed"), ("2", "No, not yet")])


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    remember = BooleanField("Keep me signed in")


class ReplyForm(FlaskForm):
    body = TextAreaField(
        "Reply to the customer", validators=[DataRequired("The reply is empty."), Length(max=20000)]
    )
    status = SelectField(
        "Then set status",
        choices=[("", "Keep status")] + STATUS_CHOICES,
        default="",
        validators=[Optional()],
    )


class NoteForm(FlaskForm):
    body = TextAreaField(
        "Internal note", validators=[DataRequired("The note is empty."), Length(max=20000)]
    )


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
