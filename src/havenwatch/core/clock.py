"""The one clock. Every rule about windows, schedules and deadlines asks it; tests freeze it.

    with clock.frozen(datetime(2026, 3, 29, 1, 59, tzinfo=UTC)) as frozen:
        ...
        frozen.advance(minutes=2)
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_state = threading.local()
_global_override: list[datetime] = []


def now() -> datetime:
    """The current time, timezone-aware UTC."""
    frozen = getattr(_state, "frozen", None)
    if frozen is not None:
        return frozen.value
    if _global_override:
        return _global_override[-1]
    return datetime.now(UTC)


class _Frozen:
    def __init__(self, value: datetime) -> None:
        if value.tzinfo is None:
            raise ValueError("freeze the clock with an aware datetime")
        self.value = value.astimezone(UTC)

    def advance(self, **delta: float) -> datetime:
        self.value = self.value + timedelta(**delta)
        return self.value

    def set(self, value: datetime) -> None:
        self.value = value.astimezone(UTC)


@contextmanager
def frozen(value: datetime) -> Iterator[_Frozen]:
    """Freeze the clock for the current thread."""
    previous = getattr(_state, "frozen", None)
    state = _Frozen(value)
    _state.frozen = state
    try:
        yield state
    finally:
        _state.frozen = previous
