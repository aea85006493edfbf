from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


class ScenarioRun(Protocol):
    def __call__(self, ctx: Any) -> float | None: ...


@dataclass(frozen=True)
class Scenario:
    """A recurring piece of simulated life: gate traffic, a fence alarm, a level drill.

    ``run(ctx)`` does one step through services and returns the simulated seconds until
    it wants to run again (None: the scenario's ``every``). ``first_after`` delays the
    first run so scenarios do not all start at once.
    """

    code: str
    label: str
    run: ScenarioRun
    every: float
    first_after: float = 0.0
    kind: str = "traffic"  # or "incident"


_SCENARIOS: dict[str, Scenario] = {}


def scenario(code: str, *, label: str, every: float, first_after: float = 0.0, kind: str = "traffic"):
    """Register a scenario. Use from an app's ``simulation`` module, imported in ``ready()``."""

    def decorate(func: ScenarioRun) -> ScenarioRun:
        _SCENARIOS[code] = Scenario(code=code, label=label, run=func, every=every, first_after=first_after,
                                    kind=kind)
        return func

    return decorate


def scenarios() -> dict[str, Scenario]:
    return dict(sorted(_SCENARIOS.items()))


def get(code: str) -> Scenario:
    try:
        return _SCENARIOS[code]
    except KeyError as exc:
        raise KeyError(f"unknown scenario {code!r}; known: {', '.join(sorted(_SCENARIOS))}") from exc
