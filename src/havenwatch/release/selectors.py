"""What the release app's readers ask: the lights of a container, the releases one may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from havenwatch.core import clock
from havenwatch.core.principal import Principal
from havenwatch.release.choices import LIVE_STATUSES, Light, ReleaseStatus
from havenwatch.release.models import CommercialRelease, Container, CustomsHold


@dataclass(frozen=True)
class Lights:
    """The three lights of a container: all green before a pickup."""

    commercial: str
    customs: str
    terminal: str

    @property
    def all_green(self) -> bool:
        return self.commercial == self.customs == self.terminal == Light.GREEN


def live_release(container: Container) -> CommercialRelease | None:
    return CommercialRelease.objects.filter(container=container, status__in=LIVE_STATUSES).first()


def lights(container: Container, at: datetime | None = None) -> Lights:
    """Commercial: a live, unblocked release in its window. Customs: no open hold.
    Terminal: the discharge is confirmed."""
    at = at or clock.now()
    release = live_release(container)
    commercial = (release is not None and release.status == ReleaseStatus.ACTIVE
                  and release.valid_from <= at < release.valid_until)
    held = CustomsHold.objects.filter(container=container, released_at__isnull=True).exists()
    return Lights(
        commercial=Light.GREEN if commercial else Light.RED,
        customs=Light.RED if held else Light.GREEN,
        terminal=Light.GREEN if container.discharged_at is not None else Light.RED,
    )


def release_list(*, principal: Principal) -> QuerySet[CommercialRelease]:
    return CommercialRelease.objects.restrict(principal, "release.view_release").select_related(
        "container__terminal", "shipping_line", "first_party")
