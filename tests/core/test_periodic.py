"""Periodic jobs: each runs at its turn, in a transaction of its own; a failing one is
logged and retried at its next turn without stopping the others."""

from __future__ import annotations

import pytest

from havenwatch.core import periodic

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(periodic, "_JOBS", {})
    return periodic


def test_a_job_runs_at_first_then_every_interval(registry):
    calls = []
    registry.periodic("test.tick", every=60)(lambda: calls.append(1) or 2)
    last: dict[str, float] = {}
    assert registry.run_due(last, now=1000.0) == 2
    assert registry.run_due(last, now=1059.0) == 0
    assert registry.run_due(last, now=1060.0) == 2
    assert len(calls) == 2


def test_a_failing_job_does_not_stop_the_others_and_tries_again_at_its_turn(registry, caplog):
    from havenwatch.core.models import Organisation

    def failing():
        Organisation.objects.create(name="half-written", slug="half-written", kind="company", country="BE")
        raise RuntimeError("boom")

    registry.periodic("test.a_failing", every=10)(failing)
    registry.periodic("test.b_working", every=10)(lambda: 1)
    last: dict[str, float] = {}
    assert registry.run_due(last, now=0.0) == 1
    assert "test.a_failing failed" in caplog.text
    assert not Organisation.objects.filter(slug="half-written").exists()  # its transaction rolled back
    assert registry.run_due(last, now=10.0) == 1


def test_the_release_app_registers_its_verification_sweep():
    assert "release.lapsed_verifications" in {job.name for job in periodic.jobs()}
