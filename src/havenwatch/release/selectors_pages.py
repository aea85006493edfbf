"""Reads of the release pages' lists: the lights, live releases and holders of a page of
rows in a fixed number of queries (``selectors.lights`` asks per container).

The rule of the lights is the one of :func:`havenwatch.release.selectors.lights`;
``tests/release/test_line_views.py`` checks that both give the same answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from havenwatch.core import clock
from havenwatch.core.models import Organisation
from havenwatch.release.choices import LIVE_STATUSES, Light, ReleaseStatus, RightStatus
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
    result = {}
    for container in containers:
        release = live.get(container.pk)
        commercial = (release is not None and release.status == ReleaseStatus.ACTIVE
                      and release.valid_from <= at < release.valid_until)
        result[container.pk] = Lights(
            commercial=Light.GREEN if commercial else Light.RED,
            customs=Light.RED if container.pk in held else Light.GREEN,
            terminal=Light.GREEN if container.discharged_at is not None else Light.RED,
        )
    return result


def holders_of(releases: Iterable[CommercialRelease]) -> dict[int, Organisation]:
    """Who holds the right of each release now, by release id. Only for readers who see the
    whole chain (the issuing line, the port's authorities): a party sees its own links only."""
    ids = [r.pk for r in releases]
    if not ids:
        return {}
    rights = ReleaseRight.objects.filter(release_id__in=ids, status=RightStatus.HELD).select_related("holder")
    return {right.release_id: right.holder for right in rights}
