"""The core's own scenarios: security level drills and facilities acknowledging them."""

from __future__ import annotations

from havenwatch.core.errors import ServiceError
from havenwatch.core.models import Facility, SecurityLevelAcknowledgement
from havenwatch.core.simulation.registry import scenario

# Reasons are what an officer would type: stored and shown as written, like any reason.
DRILL_REASONS = [
    "Drill: heightened measures on the quay after a suspicious vessel approach",
    "Exercise with the police: simulated intrusion at the container yard",
    "Intelligence from the national authority: raised vigilance for 2 hours",
]


def _demo_facilities():
    return list(Facility.objects.filter(is_active=True).select_related("port").order_by("pk"))


@scenario("core.security_level_drill", label="Security level drills at a facility", every=2400, first_after=60,
          kind="incident")
def security_level_drill(ctx) -> float:
    """Raise one facility to level 2 for a while, then bring it back to its port's level."""
    from havenwatch.core.services.security_levels import security_level_set

    facilities = _demo_facilities()
    if not facilities:
        return 600
    raised = [f for f in facilities if f.security_level > f.port.security_level]
    try:
        if raised:
            facility = raised[0]
            security_level_set(actor=ctx.actor, port=facility.port, facility=facility,
                               level=facility.port.security_level, reason="End of drill: back to the port's level")
            return 1800
        facility = ctx.rng.choice(facilities)
        if facility.port.security_level >= 3:
            return 1800
        security_level_set(actor=ctx.actor, port=facility.port, facility=facility,
                           level=facility.port.security_level + 1, reason=ctx.rng.choice(DRILL_REASONS))
    except ServiceError:
        return 600
    return 900


@scenario("core.acknowledge_levels", label="Facilities acknowledge level changes", every=300, first_after=240)
def acknowledge_levels(ctx) -> None:
    """Facilities without a person at the demo's keyboard acknowledge within a few minutes.

    The demo's featured facility (the first one) is left to the person trying the demo.
    """
    from havenwatch.core.services.security_levels import security_level_acknowledge

    featured = Facility.objects.order_by("pk").values_list("pk", flat=True).first()
    pending = SecurityLevelAcknowledgement.objects.filter(acknowledged_at__isnull=True).exclude(
        facility_id=featured
    ).order_by("pk")[:5]
    for ack in pending:
        if ctx.rng.random() < 0.7:
            try:
                security_level_acknowledge(actor=ctx.actor, acknowledgement=ack)
            except ServiceError:
                continue
