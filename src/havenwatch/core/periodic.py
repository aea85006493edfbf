"""Periodic jobs: what must happen because time passed, not because something was done
(a security verification lapses at midnight; nobody acts, and yet a driver may no longer
come). Apps register ``@periodic("name", every=seconds)``; the worker runs each job when
it is due, in a transaction of its own, and a failing job is logged and retried at its
next turn without stopping the others. Jobs must be idempotent: several workers may run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable[[], int]  # returns how much it did
    every: float  # seconds


_JOBS: dict[str, Job] = {}


def periodic(name: str, *, every: float):
    def decorate(func: Callable[[], int]):
        _JOBS[name] = Job(name=name, func=func, every=every)
        return func

    return decorate


def jobs() -> list[Job]:
    return sorted(_JOBS.values(), key=lambda job: job.name)


def run_due(last_run: dict[str, float], now: float) -> int:
    """Run the jobs whose turn has come (``last_run`` by name, monotonic seconds); returns
    the work done. A job runs at its first call, then every ``every`` seconds."""
    done = 0
    for job in jobs():
        if now - last_run.get(job.name, float("-inf")) < job.every:
            continue
        last_run[job.name] = now
        try:
            with transaction.atomic():
                done += job.func() or 0
        except Exception:
            log.exception("periodic job %s failed; it runs again at its next turn", job.name)
    return done
