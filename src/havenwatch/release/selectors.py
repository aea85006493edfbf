"""What the release app's readers ask: the lights of a container, the releases one may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from havenwatch.core import clock
from havenwatch.core.principal import Principal
from havenwatch.release.choices import LIVE_STATUSES, Light, ReleaseStatus, RightStatus
from havenwatch.release.models import CommercialRelease, Container, CustomsHold, ReleaseRight


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
    """Releases the principal may see: its line's, those its organisation holds or held a
    right of (or was offered one), and, for authorities, those in their ports."""
    action = "release.view_release"
    qs = CommercialRelease.objects.restrict(principal, action)
    if principal.has_perm(action) and principal.organisation_id is not None and not principal.unrestricted:
        qs = CommercialRelease.objects.filter(
            Q(pk__in=qs.values("pk"))
            | Q(pk__in=ReleaseRight.objects.filter(holder_id=principal.organisation_id).values("release_id")))
    return qs.select_related("container__terminal", "shipping_line", "first_party")


def holder(release: CommercialRelease) -> ReleaseRight | None:
    """The right held now (one at most), or None."""
    return ReleaseRight.objects.filter(release=release, status=RightStatus.HELD).select_related("holder").first()
