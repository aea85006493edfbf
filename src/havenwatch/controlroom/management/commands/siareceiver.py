"""``havenwatch siareceiver``: the TCP receiver for alarm panels (SIA DC-09), run in the foreground.

The receiver (:mod:`havenwatch.controlroom.sia_receiver`) only parses and answers; storing is
the ingestion service's ``sia_sink``, so the rules for accounts, devices and duplicates live in
one place for every way events arrive.
"""

import asyncio
import logging
import signal

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from havenwatch.controlroom import sia_receiver

log = logging.getLogger(__name__)


def store(events: list[dict]) -> None:
    """The receiver's sink: the control room's ingestion service, imported when first needed.

    It runs in the receiver's worker threads, which live long: a connection the database
    dropped meanwhile is replaced first.
    """
    from havenwatch.controlroom.services.ingestion import sia_sink

    close_old_connections()
    sia_sink(events)


def sink_available() -> bool:
    try:
        from havenwatch.controlroom.services.ingestion import sia_sink  # noqa: F401
    except ImportError:
        return False
    return True


class Command(BaseCommand):
    help = ("Receive alarm panels' SIA DC-09 messages (SIA DC-03 and Contact ID) over TCP, store them as "
            "control-room events, and acknowledge each once it is stored.")

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=12128)
        parser.add_argument("--idle-timeout", type=float, default=120.0,
                            help="Seconds without a message before a panel's connection is closed.")

    def handle(self, *args, host, port, idle_timeout, **options):
        if not sink_available():
            self.stderr.write("the ingestion service (controlroom.services.ingestion.sia_sink) is missing: "
                              "every message will be answered NAK")
        asyncio.run(self._serve(host, port, idle_timeout))
        self.stdout.write("SIA receiver stopped")

    async def _serve(self, host: str, port: int, idle_timeout: float) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)

        def ready(server: asyncio.Server) -> None:
            bound = ", ".join(f"{s.getsockname()[0]}:{s.getsockname()[1]}" for s in server.sockets)
            self.stdout.write(self.style.SUCCESS(
                f"SIA DC-09 receiver on {bound}  ·  encrypted messages are answered DUH (not supported)  ·  "
                "Ctrl-C stops it"
            ))

        await sia_receiver.run(store, host=host, port=port, stop=stop, idle_timeout=idle_timeout,
                               on_ready=ready)
