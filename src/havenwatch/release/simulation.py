"""Pickups at the demo terminal's gate: mostly the assigned driver collecting a container,
now and then a fraud attempt (another driver, a second pickup of the same container),
and new releases down the chain when the ready ones run out. Through the release services."""

from __future__ import annotations

from havenwatch.access.choices import CredentialState
from havenwatch.access.models import Credential
from havenwatch.core.choices import Role
from havenwatch.core.errors import ServiceError
from havenwatch.core.models import Organisation
from havenwatch.core.simulation.registry import scenario
from havenwatch.release.choices import AssignmentStatus, ReleaseStatus
from havenwatch.release.models import DriverAssignment, PickupAttempt
from havenwatch.release.seed import Story, acting, driver_of

RETRY_AFTER = 120.0
ACTIONS = [("pickup", 6), ("wrong_driver", 1), ("second_pickup", 1)]


class _Ctx:
    """The seed's Story wants a seed context: organisations, facilities and randomness."""

    def __init__(self, rng, terminal) -> None:
        self.rng = rng
        self.facilities = [terminal]
        self.organisations = {}


def _story(ctx, terminal) -> Story | None:
    seed_ctx = _Ctx(ctx.rng, terminal)
    for kind in ("shipping_line", "forwarder", "transport_company", "customs"):
        seed_ctx.organisations[kind] = Organisation.objects.filter(kind=kind, is_active=True).order_by("pk").first()
    story = Story(seed_ctx, label=ctx.actor.label)
    return story if story.ready else None


@scenario("release.pickups", label="Container pickups at the terminal gate, and fraud attempts", every=240,
          first_after=90)
def pickups(ctx) -> float | None:
    ready = list(DriverAssignment.objects.filter(status=AssignmentStatus.ACTIVE,
                                                 release__status=ReleaseStatus.ACTIVE)
                 .select_related("release__container__terminal", "credential").order_by("pk"))
    try:
        if not ready:
            any_assignment = DriverAssignment.objects.select_related("release__container__terminal").first()
            if any_assignment is None:
                return 900  # no release seeded: nothing to do here
            story = _story(ctx, any_assignment.release.container.terminal)
            credential, plate = driver_of(story.haulier_org) if story else (None, "")
            if story is None or credential is None:
                return 900
            story.prepared(ctx.now, credential, plate)
            return None
        names = [name for name, _weight in ACTIONS]
        action = ctx.rng.choices(names, [weight for _name, weight in ACTIONS])[0]
        assignment = ctx.rng.choice(ready)
        terminal = assignment.release.container.terminal
        gate = acting(terminal.operator, Role.GATE_GUARD, ctx.actor.label)
        from havenwatch.release.services.pickups import pickup_decide

        if action == "second_pickup":
            done = PickupAttempt.objects.filter(granted=True, terminal=terminal).order_by("-pk").first()
            if done is not None:
                pickup_decide(actor=gate, terminal=terminal, container_number=done.container_number,
                              credential_number=done.presented, plate=done.plate)
                return None
        presented = assignment.credential.number
        if action == "wrong_driver":
            other = (Credential.objects.filter(person__employer_id=assignment.haulier_id,
                                               state=CredentialState.ACTIVE, visit__isnull=True)
                     .exclude(pk=assignment.credential_id).order_by("pk").first())
            presented = other.number if other is not None else "UNKNOWN-0001"
        pickup_decide(actor=gate, terminal=terminal, container_number=assignment.release.container.number,
                      credential_number=presented, plate=assignment.plate, biometric_match=True)
    except ServiceError:
        return RETRY_AFTER
    return None
