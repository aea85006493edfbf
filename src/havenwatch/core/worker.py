"""The worker: hands outbox events to consumers, sends webhooks, runs periodic jobs, signs
audit checkpoints.

``havenwatch worker`` runs it in its own process; ``havenwatch serve`` runs it in a
thread beside the web server in the embedded profile. Several workers may run at once:
consumer offsets are locked per event, so none handles an event twice.
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import close_old_connections

from havenwatch.core import audit, events, notify, periodic, webhooks
from havenwatch.core.models import AuditHead, OutboxHead

log = logging.getLogger(__name__)
CHECKPOINT_SECONDS = 60


class Worker:
    def __init__(self, *, poll_seconds: float = 1.0) -> None:
        self.poll_seconds = poll_seconds
        self._last_checkpoint = 0.0
        self._checkpointed_sequence = 0
        self._last_jobs: dict[str, float] = {}

    def tick(self) -> int:
        """One round of everything. Returns how much work was done."""
        done = events.run_consumers_once()
        done += webhooks.deliver_due()
        now = time.monotonic()
        done += periodic.run_due(self._last_jobs, now)
        if now - self._last_checkpoint >= CHECKPOINT_SECONDS:
            self._last_checkpoint = now
            head = AuditHead.objects.values_list("sequence", flat=True).first() or 0
            if head > self._checkpointed_sequence:
                audit.checkpoint_now()
                self._checkpointed_sequence = head
        return done

    def run(self, stop: threading.Event) -> None:
        log.info("worker started")
        seen = 0
        while not stop.is_set():
            close_old_connections()
            try:
                done = self.tick()
            except Exception:
                log.exception("worker round failed; retrying")
                done = 0
                stop.wait(2.0)
            if done:
                continue
            latest = OutboxHead.objects.values_list("sequence", flat=True).first() or 0
            seen = max(seen, latest)
            # Sleep until a new event commits (or the poll interval passes, for webhook retries).
            seen = max(seen, notify.wait(seen, self.poll_seconds))
        close_old_connections()
        log.info("worker stopped")


def start_in_thread(stop: threading.Event) -> threading.Thread:
    thread = threading.Thread(target=Worker().run, args=(stop,), name="havenwatch-worker", daemon=True)
    thread.start()
    return thread
