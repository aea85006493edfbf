"""The demo port's releases and its simulated pickups, fraud attempts included."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from havenwatch.core import clock
from havenwatch.core.audit import verify_chain
from havenwatch.core.simulation.engine import Simulator
from havenwatch.demo.generator import seed
from havenwatch.release.choices import AssignmentStatus, ReleaseStatus, RightStatus
from havenwatch.release.models import (
    CommercialRelease,
    CustomsHold,
    DriverAssignment,
    PickupAttempt,
    ReleaseRight,
)

START = datetime(2026, 6, 17, 6, 0, tzinfo=UTC)
STEP = 60


@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_demo_seeds_releases_in_every_state_and_simulates_pickups_with_fraud():
    with clock.frozen(START) as frozen:
        seed(scale="small", seed=1)
        statuses = Counter(CommercialRelease.objects.values_list("status", flat=True))
        assert statuses[ReleaseStatus.ACTIVE] >= 8 and statuses[ReleaseStatus.BLOCKED] == 1
        assert CustomsHold.objects.filter(released_at__isnull=True).count() == 1
        assert DriverAssignment.objects.filter(status=AssignmentStatus.ACTIVE).count() >= 7
        assert ReleaseRight.objects.filter(status=RightStatus.OFFERED).count() == 2  # the demo inboxes
        simulator = Simulator(seed=1, start=START, only=["release.pickups"])
        for _step in range(int(8 * 3600 / STEP)):
            frozen.advance(seconds=STEP)
            simulator.advance(STEP)
        assert not simulator.errors, simulator.errors
    attempts = list(PickupAttempt.objects.all())
    reasons = Counter(reason for attempt in attempts for reason in attempt.reasons)
    assert reasons["granted"] > 0
    assert reasons["wrong_driver"] + reasons["already_picked_up"] > 0  # fraud attempts, refused
    assert CommercialRelease.objects.filter(status=ReleaseStatus.PICKED_UP).exists()
    assert verify_chain().ok
