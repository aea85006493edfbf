"""The live simulator: deterministic for a seed, on a clock with a speed factor, and robust
to a scenario that fails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.core.management import call_command

from havenwatch.core import clock as platform_clock
from havenwatch.core.models import AuditHead, AuditRecord
from havenwatch.core.simulation import clock as clock_module
from havenwatch.core.simulation import registry
from havenwatch.core.simulation.clock import SimulationClock
from havenwatch.core.simulation.engine import Simulator
from havenwatch.demo.generator import seed as seed_port

START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
# Long enough for every core and access scenario to act more than once (drills, acknowledgements,
# gate traffic, badge incidents), short enough to run twice in a few seconds.
# Long enough for every scenario to act at least once (the slowest starts after 7 minutes and
# comes back every 15), short enough to run twice in a few seconds.
FORTY_MINUTES = 40 * 60


class FakeMonotonic:
    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


@pytest.fixture
def real_time(monkeypatch) -> FakeMonotonic:
    """Real time that moves only when the test says so (only the simulation clock sees it)."""
    fake = FakeMonotonic()
    monkeypatch.setattr(clock_module, "time", SimpleNamespace(monotonic=fake))
    return fake


@pytest.fixture
def scenario_registry():
    """The registry, restored after the test: test scenarios do not leak into others."""
    saved = dict(registry._SCENARIOS)
    yield registry
    registry._SCENARIOS.clear()
    registry._SCENARIOS.update(saved)


# --- the clock ----------------------------------------------------------------------------


def test_clock_stands_still_until_started(real_time):
    clock = SimulationClock(start=START, speed=10)
    real_time.value += 60
    assert clock.now() == START


def test_speed_factor_scales_real_time(real_time):
    clock = SimulationClock(start=START, speed=10)
    clock.start()
    real_time.value += 30  # half a real minute
    assert clock.now() == START + timedelta(minutes=5)
    assert clock.real_seconds_until(START + timedelta(minutes=15)) == pytest.approx(60)
    assert clock.real_seconds_until(START) == 0  # the past is due now


def test_stopped_clock_keeps_its_time_and_advance_adds_to_it(real_time):
    clock = SimulationClock(start=START, speed=2)
    clock.start()
    real_time.value += 10
    clock.stop()
    real_time.value += 1000
    assert clock.now() == START + timedelta(seconds=20)
    assert clock.advance(40) == START + timedelta(minutes=1)
    assert clock.now() == START + timedelta(minutes=1)


def test_advance_while_running_keeps_running_from_the_new_time(real_time):
    clock = SimulationClock(start=START, speed=3)
    clock.start()
    real_time.value += 10
    clock.advance(30)
    real_time.value += 10
    assert clock.now() == START + timedelta(seconds=30 + 30 + 30)


@pytest.mark.parametrize("speed", [0, -1])
def test_speed_must_be_positive(speed):
    with pytest.raises(ValueError, match="positive"):
        SimulationClock(speed=speed)


# --- the scheduler ------------------------------------------------------------------------


def _recorder(times: list, *, returns=None):
    def run(ctx):
        times.append(ctx.now)
        return returns

    return run


def test_registered_scenarios_run_at_their_intervals(scenario_registry):
    every_ten, custom = [], []
    scenario_registry.scenario("test.every_ten", label="every ten minutes", every=600, first_after=120)(
        _recorder(every_ten))
    scenario_registry.scenario("test.custom", label="asks for its next run", every=60)(
        _recorder(custom, returns=1500))
    simulator = Simulator(seed=1, start=START, only=["test.every_ten", "test.custom"])

    ran = simulator.advance(3600)

    assert every_ten == [START + timedelta(seconds=120 + 600 * n) for n in range(6)]
    assert custom == [START, START + timedelta(seconds=1500), START + timedelta(seconds=3000)]
    assert ran == 9
    assert simulator.runs == {"test.every_ten": 6, "test.custom": 3}
    assert simulator.clock.now() == START + timedelta(hours=1)


def test_runs_in_simulated_time_order_across_scenarios(scenario_registry):
    order = []
    scenario_registry.scenario("test.a", label="a", every=300)(lambda ctx: order.append(("a", ctx.now)))
    scenario_registry.scenario("test.b", label="b", every=200, first_after=100)(
        lambda ctx: order.append(("b", ctx.now)))
    Simulator(seed=1, start=START, only=["test.a", "test.b"]).advance(700)
    expected = [("a", 0), ("b", 100), ("a", 300), ("b", 300), ("b", 500), ("a", 600), ("b", 700)]
    assert order == [(name, START + timedelta(seconds=at)) for name, at in expected]  # ties: first scheduled first


def test_a_failing_scenario_does_not_stop_the_others(scenario_registry):
    healthy = []

    def broken(ctx):
        raise RuntimeError("sensor feed unavailable")

    scenario_registry.scenario("test.broken", label="fails every time", every=300)(broken)
    scenario_registry.scenario("test.healthy", label="keeps going", every=300)(_recorder(healthy))
    simulator = Simulator(seed=1, start=START, only=["test.broken", "test.healthy"])

    simulator.advance(1800)

    assert len(healthy) == 7  # 0, 300, ..., 1800
    assert simulator.errors == {"test.broken": 7}  # retried at its interval, not dropped
    assert simulator.runs == {"test.healthy": 7}


def test_each_scenario_has_its_own_randomness(scenario_registry):
    def draws(only):
        seen = {}

        def make(code):
            def run(ctx):
                seen.setdefault(code, []).append(ctx.rng.random())

            return run

        for code in ("test.x", "test.y"):
            scenario_registry.scenario(code, label=code, every=60)(make(code))
        Simulator(seed=9, start=START, only=only).advance(300)
        return seen

    both = draws(["test.x", "test.y"])
    alone = draws(["test.x"])
    assert both["test.x"] == alone["test.x"]  # adding a scenario does not change what others do
    assert both["test.x"] != both["test.y"]


def test_unknown_scenario_is_named():
    with pytest.raises(KeyError, match="unknown scenario 'test.nope'"):
        Simulator(seed=1, start=START, only=["test.nope"])


# --- determinism on a real seeded port ------------------------------------------------------


def _simulate(*, port_seed: int, sim_seed: int) -> list[tuple]:
    # The platform's clock is frozen too: what the platform stamps by itself (an alarm's
    # times) must not differ between the two runs.
    with platform_clock.frozen(START):
        seed_port(scale="small", seed=port_seed)
        head = AuditHead.objects.get(pk=1).sequence
        simulator = Simulator(seed=sim_seed, start=START)
        simulator.advance(FORTY_MINUTES)
    assert not simulator.errors, f"scenarios failed: {simulator.errors}"
    return list(
        AuditRecord.objects.filter(sequence__gt=head).order_by("sequence").values_list(
            "code", "subject_type", "subject_id", "organisation_id", "port_id", "actor_label", "data")
    )


@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_same_seed_same_actions():
    first = _simulate(port_seed=3, sim_seed=5)
    call_command("flush", interactive=False, verbosity=0)
    second = _simulate(port_seed=3, sim_seed=5)

    assert first, "forty simulated minutes did nothing"
    # the simulator acts as its own principal; the control room raises alarms as the platform;
    # a simulated reporter is as anonymous as any
    assert {row[5] for row in first} == {"simulator", "control room", "anonymous reporter"}
    # every app's scenarios acted: gates, pickups, level drills, the control room, reports
    assert {"access", "release", "core", "controlroom", "reporting"} <= {row[0].split(".")[0] for row in first}
    assert first == second
