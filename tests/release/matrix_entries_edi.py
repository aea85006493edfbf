"""The EDIFACT COREOR import in the permission matrix (see tests/matrix.py).

``POST /release/coreor`` takes the raw interchange (``application/edifact`` or
``text/plain``). The matrix sends every body as JSON, which this endpoint answers with a
415 once the role has passed the permission check: so the cells prove who gets past
``release.issue`` (the line and the platform administrator get 415, everybody else 403),
and ``tests/release/test_edi_views.py`` imports real interchanges through it (201, 400,
413, 415, 403, 401). The import names no other organisation's row: there is no foreign
variant.
"""

from __future__ import annotations

from tests.matrix import Entry, register
from tests.release.matrix_entries import API, LINE


def _json_body(world, ctx, side):
    return {"interchange": "UNB+UNOC:3+LINE+HAVENWATCH+260504:0800+INT0001'"}


register(
    Entry("POST", f"{API}/coreor", allowed=LINE, ok=415, body=_json_body),
)
