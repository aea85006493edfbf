"""Weekly schedules, checked against a simple independent oracle.

The oracle does not use ``zoneinfo``: it knows the EU summer-time rule (from 01:00 UTC
on the last Sunday of March to 01:00 UTC on the last Sunday of October, Brussels is
UTC+2, otherwise UTC+1) and marks each schedule's allowed minutes of the week in a set.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from havenwatch.core import schedules
from havenwatch.core.schedules import DAYS, ScheduleError, allows, overlaps, validate

TZ = "Europe/Brussels"
MINUTES_A_WEEK = 7 * 24 * 60


# --- the oracle -------------------------------------------------------------------------


def _last_sunday(year: int, month: int) -> date:
    day = date(year, month, 31)
    return day - timedelta(days=(day.weekday() - 6) % 7)


def brussels_wall(moment: datetime) -> datetime:
    """Brussels wall-clock time of an aware moment, by the EU rule (naive result)."""
    utc = moment.astimezone(UTC).replace(tzinfo=None)
    summer_from = datetime.combine(_last_sunday(utc.year, 3), datetime.min.time()) + timedelta(hours=1)
    summer_until = datetime.combine(_last_sunday(utc.year, 10), datetime.min.time()) + timedelta(hours=1)
    return utc + timedelta(hours=2 if summer_from <= utc < summer_until else 1)


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def allowed_minutes(schedule: dict) -> set[int]:
    """Every minute of the week (Monday 00:00 = 0) the schedule allows."""
    allowed: set[int] = set()
    for day, ranges in schedule.items():
        base = DAYS.index(day) * 1440
        for start_text, end_text in ranges:
            start, end = _minutes(start_text), _minutes(end_text)
            length = end - start if end > start else 1440 - start + end
            allowed.update((base + start + i) % MINUTES_A_WEEK for i in range(length))
    return allowed


def oracle(schedule: dict, moment: datetime) -> bool:
    if not schedule:
        return True
    wall = brussels_wall(moment)
    return wall.weekday() * 1440 + wall.hour * 60 + wall.minute in allowed_minutes(schedule)


# --- strategies ---------------------------------------------------------------------------

times = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59))
ranges = st.tuples(times, times).filter(lambda r: r[0] != r[1]).map(list)
weekly = st.dictionaries(st.sampled_from(DAYS), st.lists(ranges, min_size=1, max_size=3), max_size=7)
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2037, 12, 31),
                       timezones=st.just(UTC))


def _dst_day(kind: str, year: int) -> date:
    return _last_sunday(year, 3 if kind == "spring" else 10)


around_a_change = st.builds(
    lambda kind, year, minutes: datetime.combine(_dst_day(kind, year), datetime.min.time(), tzinfo=UTC)
    + timedelta(days=-1, minutes=minutes),
    st.sampled_from(["spring", "autumn"]), st.integers(2001, 2037), st.integers(0, 3 * 1440 - 1),
)
DAY_SHIFT = {"mon": [["07:00", "19:00"]], "tue": [["07:00", "19:00"]], "wed": [["07:00", "19:00"]],
             "thu": [["07:00", "19:00"]], "fri": [["07:00", "19:00"]], "sat": [["07:00", "19:00"]],
             "sun": [["07:00", "19:00"]]}


# --- allows ---------------------------------------------------------------------------------


def test_the_oracle_agrees_with_the_tz_database_on_the_change_days():
    for moment in (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
                   datetime(2026, 10, 25, 0, 59, tzinfo=UTC), datetime(2026, 10, 25, 1, 0, tzinfo=UTC)):
        assert brussels_wall(moment) == moment.astimezone(ZoneInfo(TZ)).replace(tzinfo=None)


@given(moment=around_a_change)
@settings(max_examples=400, deadline=None)
@example(moment=datetime(2026, 3, 29, 4, 59, tzinfo=UTC))   # 06:59 CEST, just after spring forward
@example(moment=datetime(2026, 3, 29, 5, 0, tzinfo=UTC))    # 07:00 CEST
@example(moment=datetime(2026, 3, 29, 16, 59, tzinfo=UTC))  # 18:59 CEST
@example(moment=datetime(2026, 3, 29, 17, 0, tzinfo=UTC))   # 19:00 CEST
@example(moment=datetime(2026, 10, 25, 5, 59, tzinfo=UTC))  # 06:59 CET, just after falling back
@example(moment=datetime(2026, 10, 25, 6, 0, tzinfo=UTC))   # 07:00 CET
@example(moment=datetime(2026, 10, 25, 17, 59, tzinfo=UTC))  # 18:59 CET
@example(moment=datetime(2026, 10, 25, 18, 0, tzinfo=UTC))  # 19:00 CET
@example(moment=datetime(2026, 10, 25, 0, 30, tzinfo=UTC))  # 02:30 CEST, the first of two 02:30s
@example(moment=datetime(2026, 10, 25, 1, 30, tzinfo=UTC))  # 02:30 CET, the second
def test_a_day_shift_allows_exactly_the_local_hours_7_to_19_on_both_sides_of_a_dst_change(moment):
    wall = brussels_wall(moment)
    assert allows(DAY_SHIFT, moment, TZ) is (7 <= wall.hour < 19)


@given(moment=around_a_change)
@settings(max_examples=300, deadline=None)
@example(moment=datetime(2026, 3, 28, 21, 0, tzinfo=UTC))   # Saturday 22:00 CET
@example(moment=datetime(2026, 3, 29, 0, 59, tzinfo=UTC))   # Sunday 01:59 CET, the last minute before 03:00
@example(moment=datetime(2026, 3, 29, 1, 0, tzinfo=UTC))    # Sunday 03:00 CEST
@example(moment=datetime(2026, 3, 29, 3, 59, tzinfo=UTC))   # Sunday 05:59 CEST
@example(moment=datetime(2026, 3, 29, 4, 0, tzinfo=UTC))    # Sunday 06:00 CEST: over
def test_an_overnight_shift_runs_into_the_next_morning_across_a_dst_change(moment):
    night = {"sat": [["22:00", "06:00"]], "sun": [["22:00", "06:00"]]}
    wall = brussels_wall(moment)
    expected = (wall.weekday() in (5, 6) and wall.hour >= 22) or (wall.weekday() in (6, 0) and wall.hour < 6)
    assert allows(night, moment, TZ) is expected


@given(schedule=weekly, moment=moments)
@settings(max_examples=500, deadline=None)
def test_a_moment_is_allowed_iff_its_local_wall_time_is_in_a_range_of_its_day_or_last_nights_tail(schedule,
                                                                                                     moment):
    assert allows(schedule, moment, TZ) is oracle(schedule, moment)


@given(schedule=weekly, moment=around_a_change)
@settings(max_examples=300, deadline=None)
def test_random_schedules_agree_with_the_oracle_around_dst_changes(schedule, moment):
    assert allows(schedule, moment, TZ) is oracle(schedule, moment)


@given(moment=moments)
def test_an_empty_schedule_allows_every_moment(moment):
    assert allows({}, moment, TZ)


def test_allows_refuses_a_naive_moment():
    with pytest.raises(ValueError, match="aware"):
        allows(DAY_SHIFT, datetime(2026, 3, 2, 9, 0), TZ)


# --- validate -------------------------------------------------------------------------------


@given(schedule=weekly)
def test_well_formed_schedules_pass_validation_unchanged(schedule):
    assert validate(schedule) == schedule
    assert validate(validate(schedule)) == validate(schedule)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3),
    max_leaves=10,
)


@given(value=json_values | st.dictionaries(st.sampled_from(DAYS), json_values, max_size=3))
@settings(max_examples=400)
def test_validate_answers_any_input_with_a_schedule_or_a_schedule_error(value):
    try:
        cleaned = validate(value)
    except ScheduleError:
        return
    # What passes is a schedule the rest of the code can read.
    assert validate(cleaned) == cleaned
    allowed_minutes(cleaned)
    allows(cleaned, datetime(2026, 3, 29, 1, 0, tzinfo=UTC), TZ)


@given(text=st.text(max_size=8).filter(lambda t: not (len(t) == 5 and t[2] == ":" and t[:2].isascii()
                                                      and t[:2].isdigit() and t[3:].isascii() and t[3:].isdigit()
                                                      and int(t[:2]) < 24 and int(t[3:]) < 60)))
@example(text="07:00\n")
@example(text="24:00")
@example(text="7:00")
@example(text="٠٧:٠٠")
@example(text="07:60")
def test_a_time_not_written_hh_mm_is_refused(text):
    with pytest.raises(ScheduleError, match="is not a time of day written HH:MM"):
        validate({"mon": [[text, "12:00"]]})


@pytest.mark.parametrize(("schedule", "message"), [
    ("mon 07:00-19:00", "A schedule maps days"),
    ({"monday": [["07:00", "19:00"]]}, "'monday' is not a day"),
    ({"mon": []}, "mon: give a list of"),
    ({"mon": ["07:00-19:00"]}, r"mon: each range is \[start, end\]"),
    ({"mon": [["07:00", "19:00", "20:00"]]}, r"mon: each range is \[start, end\]"),
    ({"mon": [["07:00", "07:00"]]}, "mon: the range 07:00–07:00 is empty"),
    ({"mon": [[7, "19:00"]]}, "7 is not a time of day"),
])
def test_malformed_schedules_are_refused(schedule, message):
    with pytest.raises(ScheduleError, match=message):
        validate(schedule)


# --- windows -----------------------------------------------------------------------------------


@given(a=moments, b=moments, c=moments, d=moments)
def test_overlaps_is_symmetric(a, b, c, d):
    a_start, a_end = sorted((a, b))
    b_start, b_end = sorted((c, d))
    assert overlaps(a_start, a_end, b_start, b_end) is overlaps(b_start, b_end, a_start, a_end)


@given(start=moments, length=st.integers(1, 10_000), gap=st.integers(0, 10_000))
def test_back_to_back_windows_do_not_overlap_and_nested_ones_do(start, length, gap):
    end = start + timedelta(minutes=length)
    assert not overlaps(start, end, end + timedelta(minutes=gap), end + timedelta(minutes=gap + 1))
    assert overlaps(start, end + timedelta(minutes=gap), start + timedelta(minutes=length // 2),
                    start + timedelta(minutes=length // 2 + 1))


@given(moment=moments, start=moments, length=st.integers(1, 10_000))
def test_within_includes_the_start_and_excludes_the_end(moment, start, length):
    end = start + timedelta(minutes=length)
    assert schedules.within(start, start, end) and not schedules.within(end, start, end)
    assert schedules.within(moment, start, end) is (start <= moment < end)
