"""Reads of the release pages' lists: the lights, live releases and holders of a page of
rows in a fixed number of queries (``selectors.lights`` asks per container).

The lights follow the one rule, :meth:`havenwatch.release.selectors.Lights.rule`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from havenwatch.core import clock
from havenwatch.core.models import Organisation
from havenwatch.release.choices import LIVE_STATUSES, RightStatus
from havenwatch.release.models import CommercialRelease, Container, CustomsHold, ReleaseRight
from havenwatch.release.selectors import Lights


def live_releases(containers: Iterable[Container]) -> dict[int, CommercialRelease]:
    """The live release (active or blocked) of each container that has one, by container id."""
    ids = [c.pk for c in containers]
    if not ids:
        return {}
    return {r.container_id: r for r in CommercialRelease.objects.filter(container_id__in=ids, status__in=LIVE_STATUSES)}


def lights_of(containers: Iterable[Container], at: datetime | None = None,
              live: dict[int, CommercialRelease] | None = None) -> dict[int, Lights]:
    """The three lights of each container, by container id (two queries, one if ``live`` is given)."""
    containers = list(containers)
    if not containers:
        return {}
    at = at or clock.now()
    live = live_releases(containers) if live is None else live
    held = set(CustomsHold.objects.filter(container_id__in=[c.pk for c in containers], released_at__isnull=True)
               .values_list("container_id", flat=True))
    return {container.pk: Lights.rule(release=live.get(container.pk), held=container.pk in held,
                                      discharged=container.discharged_at is not None, at=at)
            for container in containers}


def holders_of(releases: Iterable[CommercialRelease]) -> dict[int, Organisation]:
    """Who holds the right of each release now, by release id. Only for readers who see the
    whole chain (the issuing line, the port's authorities): a party sees its own links only."""
    ids = [r.pk for r in releases]
    if not ids:
        return {}
    rights = ReleaseRight.objects.filter(release_id__in=ids, status=RightStatus.HELD).select_related("holder")
    return {right.release_id: right.holder for right in rights}
