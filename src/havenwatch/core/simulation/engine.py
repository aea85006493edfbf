from __future__ import annotations

import heapq
import logging
import random
import threading
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import close_old_connections

from havenwatch.core.principal import system_principal
from havenwatch.core.simulation.clock import SimulationClock
from havenwatch.core.simulation.registry import Scenario, get, scenarios

log = logging.getLogger(__name__)


@dataclass
class Context:
    """What a scenario step gets: its own seeded randomness, the simulated time, the actor."""

    scenario: Scenario
    rng: random.Random
    now: datetime
    actor: Any
    state: dict = field(default_factory=dict)


class Simulator:
    """Runs registered scenarios on a simulated clock, in a deterministic order.

    Each scenario has its own ``random.Random`` seeded from the simulator seed and the
    scenario code, so adding a scenario does not change what the others do.
    """

    def __init__(self, *, seed: int = 1, speed: float = 1.0, only: list[str] | None = None,
                 start: datetime | None = None) -> None:
        self.seed = seed
        self.clock = SimulationClock(start=start, speed=speed)
        chosen = [get(code) for code in only] if only else list(scenarios().values())
        self.actor = system_principal(label="simulator")
        self._queue: list[tuple[datetime, int, str]] = []
        self._contexts: dict[str, Context] = {}
        self._counter = 0
        self.runs: dict[str, int] = {}
        self.errors: dict[str, int] = {}
        start_at = self.clock.now()
        for item in chosen:
            rng = random.Random(seed * 1_000_003 + zlib.crc32(item.code.encode()))
            self._contexts[item.code] = Context(scenario=item, rng=rng, now=start_at, actor=self.actor)
            self._push(start_at + timedelta(seconds=item.first_after), item.code)

    def _push(self, when: datetime, code: str) -> None:
        self._counter += 1
        heapq.heappush(self._queue, (when, self._counter, code))

    def next_due(self) -> datetime | None:
        return self._queue[0][0] if self._queue else None

    def run_due(self) -> int:
        """Run every scenario step that is due at the simulated now. Returns how many ran."""
        now = self.clock.now()
        ran = 0
        while self._queue and self._queue[0][0] <= now:
            when, _, code = heapq.heappop(self._queue)
            ctx = self._contexts[code]
            ctx.now = when
            try:
                delay = ctx.scenario.run(ctx)
                self.runs[code] = self.runs.get(code, 0) + 1
            except Exception:
                log.exception("scenario %s failed; it will run again later", code)
                self.errors[code] = self.errors.get(code, 0) + 1
                delay = None
            self._push(when + timedelta(seconds=delay if delay is not None else ctx.scenario.every), code)
            ran += 1
        return ran

    def advance(self, seconds: float) -> int:
        """Move simulated time forward by hand, running everything that falls due on the way."""
        ran = 0
        target = self.clock.now() + timedelta(seconds=seconds)
        while self._queue and self._queue[0][0] <= target:
            self.clock.advance((self._queue[0][0] - self.clock.now()).total_seconds())
            ran += self.run_due()
        self.clock.advance((target - self.clock.now()).total_seconds())
        return ran

    def run_forever(self, stop: threading.Event) -> None:
        """Run in real time (times the speed factor) until ``stop`` is set."""
        self.clock.start()
        while not stop.is_set():
            close_old_connections()
            self.run_due()
            due = self.next_due()
            wait = 5.0 if due is None else min(self.clock.real_seconds_until(due), 5.0)
            stop.wait(max(wait, 0.05))
        close_old_connections()
