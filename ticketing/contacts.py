"""Normalising how customers are reached: phone numbers to E.164, email addresses to lower case."""

import phonenumbers
from email_validator import EmailNotValidError, validate_email


class InvalidContact(ValueError):
    """A phone number or email address we cannot use; the message says why, for people."""


def normalise_phone(raw: str, region: str) -> str:
    """E.164 form of `raw` ("0712 345 678" in KE -> "+254712345678")."""
    try:
        number = phonenumbers.parse((raw or "").strip(), region)
    except phonenumbers.NumberParseException as error:
        raise InvalidContact(f"'{raw}' is not a phone number") from error
    if not phonenumbers.is_valid_number(number):
        raise InvalidContact(f"'{raw}' is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str) -> str:
    """A syntactically valid address, lower-cased so one person is one customer."""
    try:
        result = validate_email((raw or "").strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidContact(str(error)) from error
    return result.normalized.lower()
