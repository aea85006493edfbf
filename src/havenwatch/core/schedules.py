"""Weekly schedules and validity windows, in a facility's local time.

A schedule is ``{"mon": [["07:00", "19:00"]], ...}`` with days ``mon``…``sun``; a range
whose end is not after its start runs past midnight into the next day ("22:00"–"06:00").
An empty schedule means any hour. Times are wall-clock times in the port's time zone,
so "07:00" stays 07:00 across the change to and from summer time.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"([01]\d|2[0-3]):([0-5]\d)", re.ASCII)  # ASCII: \d would take "٠٧:٠٠"


class ScheduleError(ValueError):
    """A schedule that is not written as described above."""


def _parse(value: str) -> time:
    # fullmatch: ``$`` would also accept a trailing newline ("07:00\n").
    match = _TIME.fullmatch(value) if isinstance(value, str) else None
    if not match:
        raise ScheduleError(_("%(value)r is not a time of day written HH:MM") % {"value": value})
    return time(int(match.group(1)), int(match.group(2)))


def validate(schedule: dict) -> dict:
    """The schedule, checked and normalised; raises :class:`ScheduleError`."""
    if schedule is None:
        return {}
    if not isinstance(schedule, dict):
        raise ScheduleError(_("A schedule maps days (mon … sun) to lists of [start, end] times."))
    cleaned: dict[str, list[list[str]]] = {}
    for day, ranges in schedule.items():
        if day not in DAYS:
            raise ScheduleError(_("%(day)r is not a day: use %(days)s.") % {"day": day, "days": ", ".join(DAYS)})
        if not isinstance(ranges, list) or not ranges:
            raise ScheduleError(_("%(day)s: give a list of [start, end] ranges.") % {"day": day})
        for item in ranges:
            if not isinstance(item, list | tuple) or len(item) != 2:
                raise ScheduleError(_("%(day)s: each range is [start, end].") % {"day": day})
            start, end = _parse(item[0]), _parse(item[1])
            if start == end:
                raise ScheduleError(_("%(day)s: the range %(start)s–%(end)s is empty.")
                                    % {"day": day, "start": item[0], "end": item[1]})
        cleaned[day] = [[str(a), str(b)] for a, b in ranges]
    return cleaned


def allows(schedule: dict, moment: datetime, tz: str) -> bool:
    """Whether ``moment`` (aware) falls in the schedule, read in the time zone ``tz``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("allows() needs an aware datetime")
    if not schedule:
        return True
    # astimezone gives the wall-clock time actually shown in the port at that instant,
    # so "07:00" means 07:00 local on both sides of a change to or from summer time.
    local = moment.astimezone(ZoneInfo(tz))
    wall = local.time().replace(tzinfo=None)
    today = DAYS[local.weekday()]
    yesterday = DAYS[(local.weekday() - 1) % 7]
    for start_s, end_s in schedule.get(today, ()):
        start, end = _parse(start_s), _parse(end_s)
        if start < end:
            if start <= wall < end:
                return True
        elif wall >= start:  # overnight range, evening part
            return True
    for start_s, end_s in schedule.get(yesterday, ()):
        start, end = _parse(start_s), _parse(end_s)
        if end <= start and wall < end:  # overnight range from yesterday, morning part
            return True
    return False


def within(moment: datetime, start: datetime, end: datetime) -> bool:
    """A validity window: from ``start`` included to ``end`` excluded."""
    return start <= moment < end


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start < b_end and b_start < a_end


def next_local_midnight(moment: datetime, tz: str) -> datetime:
    local = moment.astimezone(ZoneInfo(tz))
    return datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=ZoneInfo(tz))
