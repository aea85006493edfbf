"""The registry of event types: every audited act and every domain event has a code here.

An event type names the data fields it carries. Fields listed in ``digest_fields`` are
never stored: the audit record keeps ``sha256:<hex>`` of the value, so an auditor can
confirm a value they are shown without the log ever holding it (secrets, personal data).
Fields not declared are refused, so nothing slips into the log by accident.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class EventType:
    code: str
    label: str
    fields: frozenset[str] = field(default_factory=frozenset)
    digest_fields: frozenset[str] = field(default_factory=frozenset)


_REGISTRY: dict[str, EventType] = {}


class UnknownEventType(KeyError):
    pass


def register(code: str, label, *, fields: tuple[str, ...] = (), digest_fields: tuple[str, ...] = ()) -> EventType:
    existing = _REGISTRY.get(code)
    event_type = EventType(code=code, label=label, fields=frozenset(fields), digest_fields=frozenset(digest_fields))
    if existing is not None and existing != event_type:
        raise ValueError(f"event type {code!r} registered twice with different fields")
    _REGISTRY[code] = event_type
    return event_type


def get(code: str) -> EventType:
    try:
        return _REGISTRY[code]
    except KeyError as exc:
        raise UnknownEventType(f"unknown event type {code!r}: register it in event_types") from exc


def all_types() -> list[EventType]:
    return sorted(_REGISTRY.values(), key=lambda t: t.code)
