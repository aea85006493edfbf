"""The chain-of-custody endpoints in the permission matrix (see tests/matrix.py).

They name a container by its number: the world's ``rel_container`` (a container with a
release passed down to a haulier, from ``matrix_entries.py``), on each side. Investigators,
the port security officer and auditors read the trace of containers in their ports; a
container of the other port is a 404; every other role a 403. No token may hold
``release.trace``.
"""

from __future__ import annotations

from havenwatch.release.models import Container
from tests.matrix import ADMIN, AUD, INV, PSO, Entry, register, register_world
from tests.release import matrix_entries  # noqa: F401 (its world rows come first)
from tests.release.matrix_entries import API

TRACERS = frozenset({ADMIN, PSO, INV, AUD})


def _trace_world(world) -> None:
    numbers = dict(Container.objects.values_list("pk", "number"))
    for objects in world.own_objects.values():
        if "rel_container" in objects:
            objects["trace_number"] = numbers[objects["rel_container"]]
    world.foreign_objects["trace_number"] = numbers[world.foreign_objects["rel_container"]]


register_world(_trace_world)

register(
    Entry("GET", f"{API}/containers/{{trace_number}}/trace", allowed=TRACERS, foreign=404, token=False),
    Entry("GET", f"{API}/containers/{{trace_number}}/trace.pdf", allowed=TRACERS, foreign=404, token=False),
)
