"""The EDIFACT COREOR import in the permission matrix (see tests/matrix.py).

``POST /release/coreor`` takes the raw interchange (``application/edifact``): each cell
sends a real one, releasing a new container at the own terminal to the matrix world's
forwarder (named by its EORI number). The line and the platform administrator import it
(201); everybody else is refused by role (403). The import names no other organisation's
row: there is no foreign variant. ``tests/release/test_edi_views.py`` covers the refusals.
"""

from __future__ import annotations

from datetime import timedelta

from havenwatch.core import clock
from tests.matrix import Entry, register, register_world
from tests.release.matrix_entries import API, LINE

FORWARDER_EORI = "BE0999000111"


def _world(world) -> None:
    world.forwarder.eori_number = FORWARDER_EORI
    world.forwarder.save(update_fields=["eori_number"])


register_world(_world)


def _interchange(world, ctx, side) -> str:
    now = clock.now()
    start, end = (now - timedelta(days=1)).strftime("%Y%m%d"), (now + timedelta(days=20)).strftime("%Y%m%d")
    segments = [
        "UNB+UNOC:3+MATRIXLINE:ZZZ+HAVENWATCH:ZZZ+260504:0800+MTX0001",
        "UNH+1+COREOR:D:00B:UN:SMDG20",
        "BGM+129+MTXREL1+9",
        "RFF+BM:MATRIX-EDI-1",
        f"DTM+7:{start}:102",
        f"DTM+36:{end}:102",
        f"LOC+11+{world.port.unlocode}:139:6+{world.facility.isps_number}:ISPS:ZZZ",
        f"NAD+FW+{FORWARDER_EORI}:EORI:ZZZ",
        "EQD+CN+MTNU9000019+22G1:102:5+++5",
        "UNT+9+1",
        "UNZ+1+MTX0001",
    ]
    return "'\n".join(segments) + "'\n"


register(
    Entry("POST", f"{API}/coreor", allowed=LINE, ok=201, body=_interchange, content_type="application/edifact"),
)
