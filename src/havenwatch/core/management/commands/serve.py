import logging
import signal
import threading

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand

from havenwatch.core.worker import start_in_thread

log = logging.getLogger(__name__)


def start_simulator(stop: threading.Event, *, seed: int, speed: float) -> threading.Thread:
    from havenwatch.core.simulation.engine import Simulator

    simulator = Simulator(seed=seed, speed=speed)
    thread = threading.Thread(target=simulator.run_forever, args=(stop,), name="havenwatch-simulator", daemon=True)
    thread.start()
    return thread


class Command(BaseCommand):
    help = "Serve havenwatch over HTTP (uvicorn, ASGI), with the worker in a thread unless --no-worker."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1, help="Web processes (the worker thread runs once).")
        parser.add_argument("--no-worker", action="store_true", help="Run the worker separately (havenwatch worker).")
        parser.add_argument("--simulate", action="store_true", help="Run the live simulator too (the demo does).")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--speed", type=float, default=5.0, help="Simulated seconds per real second.")

    def handle(self, *args, host, port, workers, no_worker, simulate, seed, speed, **options):
        stop = threading.Event()
        # uvicorn shuts down gracefully on SIGINT/SIGTERM, then raises the signal again
        # with the handlers it found in place. Ours only note it, so the worker and the
        # simulator finish what they are doing and the process exits 0 (not killed mid-write).
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        threads = []
        if not no_worker:
            threads.append(start_in_thread(stop))
        if simulate:
            threads.append(start_simulator(stop, seed=seed, speed=speed))
        profile = "embedded (SQLite)" if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") else "port"
        self.stdout.write(self.style.SUCCESS(
            f"havenwatch serving on http://{host}:{port}/  ·  profile {profile}  ·  "
            f"worker {'separate' if no_worker else 'in-process'}  ·  simulator {'on' if simulate else 'off'}"
        ))
        try:
            uvicorn.run(
                "havenwatch.asgi:application", host=host, port=port, workers=workers if workers > 1 else None,
                log_level="warning", proxy_headers=settings.SECURE_PROXY_SSL_HEADER is not None,
                lifespan="off", timeout_graceful_shutdown=3, log_config=None,
            )
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=10)
        self.stdout.write("havenwatch stopped")
