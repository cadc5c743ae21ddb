"""Charter targets as an admin types them (ticketing/targets.py): a number and a unit become
business minutes, every bad value is named, and stored minutes read back in the unit that
reads best. Pure functions on an unsaved department, so `make mutate` runs these alone.
"""

import pytest

from ticketing import targets
from ticketing.models import CharterTarget, Department
from ticketing.models.enums import Priority
from ticketing.targets import Typed

NORMAL_FIRST, NORMAL_RESOLUTION = "target_normal_first", "target_normal_resolution"


def typed_form(**values) -> dict:
    """A posted form: every field empty with its unit select on "hours", then `values`."""
    form = {}
    for priority in Priority:
        for measure in ("first", "resolution"):
            form[targets.field(priority, measure)] = ""
            form[f"{targets.field(priority, measure)}_unit"] = "hours"
    form.update(values)
    return form


def parse(**values):
    return targets.parse(Department(name="Repairs"), typed_form(**values))


def test_field_names_follow_priority_and_measure():
    assert targets.field(Priority.URGENT, "first") == "target_urgent_first"
    assert targets.field(Priority.LOW, "resolution") == "target_low_resolution"


@pytest.mark.parametrize(
    "minutes, number, unit",
    [
        (1, "1", "minutes"),
        (59, "59", "minutes"),
        (60, "1", "hours"),
        (90, "90", "minutes"),
        (120, "2", "hours"),
        (1440, "1", "days"),
        (1500, "25", "hours"),
        (2880, "2", "days"),
        (525600, "365", "days"),
    ],
)
def test_stored_minutes_read_back_in_the_largest_unit_that_divides_them(minutes, number, unit):
    assert targets.shown(minutes) == Typed(number, unit)


@pytest.mark.parametrize("nothing", [None, 0])
def test_no_target_reads_as_an_empty_field_in_hours(nothing):
    assert targets.shown(nothing) == Typed("", "hours")


def test_a_department_without_targets_shows_every_field_empty():
    typed = targets.typed_from(Department(name="New"))
    assert len(typed) == 2 * len(Priority)
    assert set(typed.values()) == {Typed("", "hours")}


@pytest.mark.parametrize(
    "number, unit, minutes",
    [
        ("1", "minutes", 1),
        ("45", "minutes", 45),
        ("4", "hours", 240),
        ("2", "days", 2880),
        ("365", "days", 525600),
        ("525600", "minutes", 525600),
        (" 8 ", " hours ", 480),
        ("٣", "hours", 180),  # a decimal digit all the same, in Arabic-Indic
    ],
)
def test_each_unit_is_counted_in_business_minutes(number, unit, minutes):
    found, typed, errors = parse(
        target_normal_first=number,
        target_normal_first_unit=unit,
        target_normal_resolution="365",
        target_normal_resolution_unit="days",
    )
    assert errors == {}
    assert found == {Priority.NORMAL: (minutes, 525600)}
    assert typed[NORMAL_FIRST] == Typed(number.strip(), unit.strip())


def test_a_field_without_unit_is_taken_in_minutes_as_the_form_did_before_units():
    form = typed_form(target_normal_first="30", target_normal_resolution="90")
    del form[f"{NORMAL_FIRST}_unit"], form[f"{NORMAL_RESOLUTION}_unit"]
    found, typed, errors = targets.parse(Department(name="Repairs"), form)
    assert (found, errors) == ({Priority.NORMAL: (30, 90)}, {})
    assert typed[NORMAL_FIRST] == Typed("30", "minutes")


@pytest.mark.parametrize(
    "number, unit, problem",
    [
        ("-5", "hours", "must be a whole number, e.g. 4"),
        ("1.5", "hours", "must be a whole number, e.g. 4"),
        ("four", "hours", "must be a whole number, e.g. 4"),
        ("1234567", "minutes", "must be a whole number, e.g. 4"),
        ("9" * 10_000, "hours", "must be a whole number, e.g. 4"),
        ("0", "hours", "must be from 1 minute to 365 days"),
        ("366", "days", "must be from 1 minute to 365 days"),
        ("525601", "minutes", "must be from 1 minute to 365 days"),
        ("8761", "hours", "must be from 1 minute to 365 days"),
        ("4", "weeks", "choose minutes, hours or days"),
        ("4", "", "choose minutes, hours or days"),
        ("", "hours", "give a whole number"),
    ],
)
def test_a_bad_first_response_is_named_and_nothing_is_found(number, unit, problem):
    found, _, errors = parse(
        target_normal_first=number,
        target_normal_first_unit=unit,
        target_normal_resolution="2",
        target_normal_resolution_unit="days",
    )
    assert found == {}
    assert errors == {NORMAL_FIRST: problem}


def test_the_largest_six_digit_number_of_minutes_is_still_checked_against_a_year():
    found, _, errors = parse(
        target_normal_first="999999",
        target_normal_first_unit="minutes",
        target_normal_resolution="1",
        target_normal_resolution_unit="days",
    )
    assert found == {} and errors == {NORMAL_FIRST: "must be from 1 minute to 365 days"}


def test_resolution_may_equal_but_never_undercut_the_first_response():
    equal, _, no_errors = parse(
        target_normal_first="1",
        target_normal_first_unit="days",
        target_normal_resolution="24",
        target_normal_resolution_unit="hours",
    )
    assert equal == {Priority.NORMAL: (1440, 1440)} and no_errors == {}
    shorter, _, errors = parse(
        target_normal_first="1",
        target_normal_first_unit="days",
        target_normal_resolution="1439",
        target_normal_resolution_unit="minutes",
    )
    assert shorter == {}
    assert errors == {NORMAL_RESOLUTION: "must be no shorter than the first response"}


def test_both_bad_values_of_a_priority_are_named_without_comparing_them():
    found, _, errors = parse(
        target_normal_first="x",
        target_normal_resolution="0",
    )
    assert found == {}
    assert errors == {
        NORMAL_FIRST: "must be a whole number, e.g. 4",
        NORMAL_RESOLUTION: "must be from 1 minute to 365 days",
    }


def test_half_a_target_is_refused_with_the_missing_half_named():
    found, _, errors = parse(target_normal_first="4")
    assert found == {} and errors == {NORMAL_RESOLUTION: "give a whole number"}


def test_an_empty_priority_of_a_department_without_targets_is_skipped():
    found, typed, errors = parse(
        target_urgent_first="1",
        target_urgent_resolution="4",
    )
    assert errors == {}
    assert found == {Priority.URGENT: (60, 240)}
    assert typed[NORMAL_FIRST] == Typed("", "hours")


def test_one_bad_priority_leaves_the_good_ones_found_but_reported():
    found, _, errors = parse(
        target_urgent_first="1",
        target_urgent_resolution="4",
        target_low_first="-1",
        target_low_resolution="8",
    )
    assert found == {Priority.URGENT: (60, 240)}
    assert errors == {"target_low_first": "must be a whole number, e.g. 4"}


def stored(**minutes_by_priority) -> Department:
    """A saved department (it has an id) with targets {priority: (first, resolution)}."""
    return Department(
        id=7,
        name="Repairs",
        targets=[
            CharterTarget(
                priority=Priority(name), first_response_minutes=first, resolution_minutes=resolution
            )
            for name, (first, resolution) in minutes_by_priority.items()
        ],
    )


def test_a_saved_department_shows_each_stored_target_in_its_own_unit():
    typed = targets.typed_from(stored(urgent=(30, 240), low=(1440, 4320)))
    assert typed["target_urgent_first"] == Typed("30", "minutes")
    assert typed["target_urgent_resolution"] == Typed("4", "hours")
    assert typed["target_low_first"] == Typed("1", "days")
    assert typed["target_low_resolution"] == Typed("3", "days")
    assert typed[NORMAL_FIRST] == typed[NORMAL_RESOLUTION] == Typed("", "hours")
    assert typed["target_high_first"] == Typed("", "hours")


def test_a_stored_target_emptied_is_refused_not_removed():
    department = stored(normal=(60, 480))
    found, _, errors = targets.parse(department, typed_form())
    assert found == {}
    assert errors == {NORMAL_FIRST: "give a whole number", NORMAL_RESOLUTION: "give a whole number"}
    found, _, errors = targets.parse(department, typed_form(target_normal_first="2"))
    assert found == {} and errors == {NORMAL_RESOLUTION: "give a whole number"}


def test_only_the_priority_with_a_stored_target_is_required():
    found, _, errors = targets.parse(
        stored(high=(60, 480)), typed_form(target_high_first="2", target_high_resolution="9")
    )
    assert (found, errors) == ({Priority.HIGH: (120, 540)}, {})
