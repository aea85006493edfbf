import signal
import threading

from django.core.management.base import BaseCommand

from havenwatch.core.worker import Worker


class Command(BaseCommand):
    help = "Deliver domain events to consumers and webhooks, and sign audit checkpoints, until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Do one round of work and exit.")
        parser.add_argument("--poll", type=float, default=1.0, help="Seconds between polls when idle.")

    def handle(self, *args, once=False, poll=1.0, **options):
        worker = Worker(poll_seconds=poll)
        if once:
            done = worker.tick()
            self.stdout.write(f"handled {done} item(s)")
            return
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        self.stdout.write("worker running; Ctrl-C stops it")
        worker.run(stop)
