from __future__ import annotations

import time
from datetime import datetime, timedelta

from havenwatch.core import clock as platform_clock


class SimulationClock:
    """Simulated time: starts at ``start`` and runs ``speed`` times faster than real time.

    ``advance`` moves it by hand (tests, fast-forward); ``now`` adds the real time that
    has passed since the last sync, multiplied by the speed.
    """

    def __init__(self, *, start: datetime | None = None, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("the speed factor must be positive")
        self.speed = speed
        self._base = start or platform_clock.now()
        self._real_base = time.monotonic()
        self._running = False

    def start(self) -> None:
        self._real_base = time.monotonic()
        self._running = True

    def stop(self) -> None:
        self._base = self.now()
        self._running = False

    def now(self) -> datetime:
        if not self._running:
            return self._base
        elapsed = (time.monotonic() - self._real_base) * self.speed
        return self._base + timedelta(seconds=elapsed)

    def advance(self, seconds: float) -> datetime:
        self._base = self.now() + timedelta(seconds=seconds)
        self._real_base = time.monotonic()
        return self._base

    def real_seconds_until(self, moment: datetime) -> float:
        return max((moment - self.now()).total_seconds() / self.speed, 0.0)
