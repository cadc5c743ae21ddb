"""A department's charter targets as an admin types them: a whole number and a unit (minutes,
hours or days of business time) per priority and measure, stored as business minutes; and
shown back in the unit that reads best. Nothing is stored unless every value is good."""

from dataclasses import dataclass

from ticketing.models import Department
from ticketing.models.enums import Priority

UNITS = {"minutes": 1, "hours": 60, "days": 24 * 60}  # a day is 24 hours of business time
MEASURES = {"first": "First response", "resolution": "Resolution"}
MOST_MINUTES = 365 * 24 * 60
MAX_DIGITS = 6


@dataclass(frozen=True)
class Typed:
    number: str
    unit: str


def field(priority: Priority, measure: str) -> str:
    """The form field's name; its unit select is the same name with "_unit"."""
    return f"target_{priority.value}_{measure}"


def shown(minutes: int | None) -> Typed:
    """`minutes` in the largest unit that divides it: 1440 is 1 day, 90 is 90 minutes."""
    if not minutes:
        return Typed("", "hours")
    unit = next(name for name in ("days", "hours", "minutes") if minutes % UNITS[name] == 0)
    return Typed(str(minutes // UNITS[unit]), unit)


def typed_from(department: Department) -> dict[str, Typed]:
    """What the form shows for a department's stored targets."""
    typed = {}
    for priority in Priority:
        target = department.target_for(priority)  # a new department has none
        typed[field(priority, "first")] = shown(target.first_response_minutes if target else None)
        typed[field(priority, "resolution")] = shown(target.resolution_minutes if target else None)
    return typed


def parse(department: Department, form) -> tuple[dict, dict[str, Typed], dict[str, str]]:
    """({priority: (first, resolution) minutes}, what was typed, errors by field name).

    A priority left empty has no target of its own (the charter's fallback applies), unless
    it had one: a target is changed here, never removed."""
    typed = {
        # no unit at all: minutes, as the form took them before it had units
        name: Typed((form.get(name) or "").strip(), form.get(f"{name}_unit", "minutes").strip())
        for priority in Priority
        for name in (field(priority, "first"), field(priority, "resolution"))
    }
    found, errors = {}, {}
    for priority in Priority:
        first_name, resolution_name = field(priority, "first"), field(priority, "resolution")
        first, resolution = typed[first_name], typed[resolution_name]
        had = department.id and department.target_for(priority) is not None
        if not first.number and not resolution.number and not had:
            continue
        minutes = {}
        for name, value in ((first_name, first), (resolution_name, resolution)):
            counted = _minutes(value)
            if isinstance(counted, str):
                errors[name] = counted
            else:
                minutes[name] = counted
        if len(minutes) == 2:
            if minutes[resolution_name] < minutes[first_name]:
                errors[resolution_name] = "must be no shorter than the first response"
            else:
                found[priority] = (minutes[first_name], minutes[resolution_name])
    return found, typed, errors


def _minutes(value: Typed) -> int | str:
    """The value in business minutes, or what is wrong with it (words for the admin)."""
    if value.unit not in UNITS:
        return "choose minutes, hours or days"
    if not value.number:
        return "give a whole number"
    if len(value.number) > MAX_DIGITS or not value.number.isdecimal():
        return "must be a whole number, e.g. 4"
    minutes = int(value.number) * UNITS[value.unit]
    if not 1 <= minutes <= MOST_MINUTES:
        return "must be from 1 minute to 365 days"
    return minutes
