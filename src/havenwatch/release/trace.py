"""Traceability: the full chain of a container, every party, act, time and actor, read from
the audit chain (so it is exactly what was recorded, and verifiable), for investigators."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from django.db.models import Q
from django.utils.translation import gettext as _

from havenwatch.core import event_types
from havenwatch.core.authz import require
from havenwatch.core.models import AuditRecord, Organisation
from havenwatch.core.principal import Principal
from havenwatch.release.models import (
    CommercialRelease,
    Container,
    CustomsHold,
    DriverAssignment,
    PickupAttempt,
    ReleaseRight,
)


@dataclass(frozen=True)
class Step:
    sequence: int
    occurred_at: datetime
    code: str
    act: str
    organisation: str
    actor: str
    data: dict


def _subjects(container: Container) -> Q:
    releases = list(CommercialRelease.objects.filter(container=container).values_list("pk", flat=True))
    groups = [
        (Container, [container.pk]),
        (CommercialRelease, releases),
        (ReleaseRight, ReleaseRight.objects.filter(release_id__in=releases).values_list("pk", flat=True)),
        (DriverAssignment, DriverAssignment.objects.filter(release_id__in=releases).values_list("pk", flat=True)),
        (CustomsHold, CustomsHold.objects.filter(container=container).values_list("pk", flat=True)),
        (PickupAttempt, PickupAttempt.objects.filter(container=container).values_list("pk", flat=True)),
    ]
    q = Q(pk__in=[])
    for model, pks in groups:
        ids = [str(pk) for pk in pks]
        if ids:
            q |= Q(subject_type=model._meta.label_lower, subject_id__in=ids)
    return q


def container_trace(*, principal: Principal, container: Container) -> list[Step]:
    """Every recorded act on the container, its releases, rights, assignments, holds and
    pickup attempts, in the order the audit chain recorded them."""
    require(principal, "release.trace", container)  # authorities over the terminal's port
    records = list(AuditRecord.objects.filter(_subjects(container)).order_by("sequence"))
    names = dict(Organisation.objects.filter(pk__in={r.organisation_id for r in records if r.organisation_id})
                 .values_list("pk", "name"))
    steps = []
    for record in records:
        try:
            act = str(event_types.get(record.code).label)
        except KeyError:
            act = record.code
        steps.append(Step(sequence=record.sequence, occurred_at=record.occurred_at, code=record.code, act=act,
                          organisation=names.get(record.organisation_id, ""), actor=record.actor_label,
                          data=dict(record.data)))
    return steps


def trace_export(*, principal: Principal, container: Container) -> dict:
    """The trace as a JSON-ready document: what an investigator files."""
    steps = container_trace(principal=principal, container=container)
    return {
        "container": container.number,
        "terminal": container.terminal.name,
        "title": _("Chain of custody of container %(number)s") % {"number": container.number},
        "steps": [{**asdict(step), "occurred_at": step.occurred_at.isoformat()} for step in steps],
        "note": _("Every step is a record of the audit chain; its sequence number lets anyone verify it."),
    }
