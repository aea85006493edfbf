"""The TCP side of the SIA DC-09 receiver: alarm panels connect, send frames, and get an answer
to each (design: ``docs/controlroom.md``, "Ingestion"; the format: :mod:`.sia`).

The one rule that matters: a panel is told ``ACK`` only once its events are stored. So each
frame's events go to a *sink* (``sink(events) -> None``, synchronous, which commits them or
raises), run in a worker thread so the database never blocks the event loop, and the answer
is written after it returns:

- the sink returned: ``ACK``;
- the sink raised (an unknown account is a ``KeyError``, a database error anything else):
  ``NAK``, and the panel sends the frame again later;
- the frame was damaged (CRC, length): ``NAK``; not understood (or encrypted): ``DUH``.

Frames end with CR. A read may hold several frames or part of one; a frame is at most
:data:`.sia.MAX_FRAME` bytes, and a connection that sends nothing for ``idle_timeout`` seconds
is closed (panels reconnect). Frames of one connection are answered in order, one at a time.

The log carries the answer, the reason, the account and the sequence number: never the
frame's data, the panel's free text or the peer's address.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from havenwatch.controlroom import sia

log = logging.getLogger(__name__)

Sink = Callable[[list[dict]], None]
READ_SIZE = 4096


class SiaReceiver:
    """Answers DC-09 frames on the connections that :meth:`start` accepts."""

    def __init__(self, sink: Sink, *, idle_timeout: float = 120.0, max_frame: int = sia.MAX_FRAME,
                 max_connections: int = 256) -> None:
        self.sink = sink
        self.idle_timeout = idle_timeout
        self.max_frame = max_frame
        self.max_connections = max_connections
        self.connections = 0

    async def start(self, host: str = "127.0.0.1", port: int = 12128) -> asyncio.Server:
        """Listen; port 0 picks a free port (``server.sockets[0].getsockname()[1]``)."""
        return await asyncio.start_server(self.serve, host, port, limit=self.max_frame * 4)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One panel connection: read frames, answer each, until it closes or goes idle."""
        if self.connections >= self.max_connections:
            log.warning("SIA receiver refused a connection: %d already open", self.connections)
            await _close(writer)
            return
        self.connections += 1
        try:
            await self._converse(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            log.info("SIA panel connection lost")
        finally:
            self.connections -= 1
            await _close(writer)

    async def _converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        buffer = bytearray()
        while True:
            try:
                chunk = await asyncio.wait_for(reader.read(READ_SIZE), self.idle_timeout)
            except TimeoutError:
                log.info("SIA panel connection idle for %ss: closed", self.idle_timeout)
                return
            if not chunk:
                return
            buffer += chunk
            while (end := buffer.find(b"\r")) >= 0:
                raw = bytes(buffer[: end + 1])
                del buffer[: end + 1]
                if not raw.strip(b"\r\n\x00 "):
                    continue  # a stray line break between frames
                await self._send(writer, await self.reply_to(raw))
            if len(buffer) > self.max_frame:
                log.warning("SIA frame longer than %d bytes without CR: answered DUH, connection closed",
                            self.max_frame)
                await self._send(writer, sia.duh())
                return

    async def reply_to(self, raw: bytes) -> bytes:
        """The answer to one frame, given only after the sink has stored its events."""
        try:
            frame, events = sia.answer(raw)
        except sia.Rejected as exc:
            log.warning("SIA frame answered %s: %s", exc.answer, exc.reason)
            return exc.reply
        if events:
            try:
                await asyncio.to_thread(self.sink, events)
            except KeyError:
                log.warning("SIA message %s of account %s answered NAK: unknown account",
                            frame.sequence, events[0]["account"])
                return sia.nak()
            except Exception:
                log.error("SIA message %s of account %s answered NAK: its events could not be stored",
                          frame.sequence, events[0]["account"], exc_info=True)
                return sia.nak()
            log.info("SIA message %s of account %s stored (%s): answered ACK", frame.sequence,
                     events[0]["account"], ", ".join(e["kind"] for e in events))
        return sia.ack(frame)

    async def _send(self, writer: asyncio.StreamWriter, reply: bytes) -> None:
        writer.write(reply)
        await asyncio.wait_for(writer.drain(), self.idle_timeout)


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(ConnectionError, TimeoutError):
        await asyncio.wait_for(writer.wait_closed(), 2)


async def run(sink: Sink, *, host: str, port: int, stop: asyncio.Event, idle_timeout: float = 120.0,
              on_ready: Callable[[asyncio.Server], None] | None = None) -> None:
    """Serve until ``stop`` is set (the management command sets it on SIGINT/SIGTERM)."""
    server = await SiaReceiver(sink, idle_timeout=idle_timeout).start(host, port)
    async with server:
        if on_ready is not None:
            on_ready(server)
        await stop.wait()
