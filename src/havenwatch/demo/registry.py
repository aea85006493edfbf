"""Seeders: each app adds the part of the synthetic port it owns.

A seeder is ``func(ctx)`` registered with an order; the core's runs first (organisations,
ports, facilities, users), then access, release and the rest build on what it made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Seeder:
    name: str
    order: int
    func: Callable
    label: str


_SEEDERS: dict[str, Seeder] = {}


def seeder(name: str, *, order: int, label: str):
    def decorate(func):
        _SEEDERS[name] = Seeder(name=name, order=order, func=func, label=label)
        return func

    return decorate


def seeders() -> list[Seeder]:
    return sorted(_SEEDERS.values(), key=lambda s: (s.order, s.name))
