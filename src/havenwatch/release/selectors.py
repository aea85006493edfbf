"""What the release app's readers ask: the lights of a container, the releases one may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from havenwatch.core import clock
from havenwatch.core.prepared import PreparedQuery
from havenwatch.core.principal import Principal
from havenwatch.release.choices import LIVE_STATUSES, AssignmentStatus, Light, ReleaseStatus, RightStatus
from havenwatch.release.models import (
    CommercialRelease,
    Container,
    CustomsHold,
    DriverAssignment,
    ReleaseRight,
)


@dataclass(frozen=True)
class Lights:
    """The three lights of a container: all green before a pickup."""

    commercial: str
    customs: str
    terminal: str

    @property
    def all_green(self) -> bool:
        return self.commercial == self.customs == self.terminal == Light.GREEN

    @classmethod
    def rule(cls, *, release: CommercialRelease | None, held: bool, discharged: bool, at: datetime) -> Lights:
        """The rule, in one place, over facts however they were read (one container, or a
        page of rows read together). Commercial: a live, unblocked release in its window.
        Customs: no open hold. Terminal: the discharge is confirmed."""
        commercial = (release is not None and release.status == ReleaseStatus.ACTIVE
                      and release.valid_from <= at < release.valid_until)
        return cls(commercial=Light.GREEN if commercial else Light.RED,
                   customs=Light.RED if held else Light.GREEN,
                   terminal=Light.GREEN if discharged else Light.RED)


def live_release(container: Container) -> CommercialRelease | None:
    return CommercialRelease.objects.filter(container=container, status__in=LIVE_STATUSES).first()


def lights(container: Container, at: datetime | None = None) -> Lights:
    """The three lights of one container now (or at ``at``)."""
    held = CustomsHold.objects.filter(container=container, released_at__isnull=True).exists()
    return Lights.rule(release=live_release(container), held=held, discharged=container.discharged_at is not None,
                       at=at or clock.now())


def release_list(*, principal: Principal) -> QuerySet[CommercialRelease]:
    """Releases the principal may see: its line's, those its organisation holds or held a
    right of (or was offered one), those at a terminal it operates, and, for authorities,
    those in their ports."""
    action = "release.view_release"
    qs = CommercialRelease.objects.restrict(principal, action)
    if principal.has_perm(action) and principal.organisation_id is not None and not principal.unrestricted:
        org = principal.organisation_id
        qs = CommercialRelease.objects.filter(
            Q(pk__in=qs.values("pk"))
            | Q(container__terminal__operator_id=org)
            | Q(pk__in=ReleaseRight.objects.filter(holder_id=org).values("release_id")))
    return qs.select_related("container__terminal", "shipping_line", "first_party")


def container_list(*, principal: Principal) -> QuerySet[Container]:
    """Containers the principal may see: at terminals its organisation operates, in ports
    it has a jurisdiction over (customs, police, the port authority), and those of the
    releases it sees."""
    action = "release.view_release"
    qs = Container.objects.restrict(principal, action)
    if principal.has_perm(action) and principal.organisation_id is not None and not principal.unrestricted:
        qs = Container.objects.filter(
            Q(pk__in=qs.values("pk"))
            | Q(pk__in=release_list(principal=principal).values("container_id")))
    return qs.select_related("terminal__port")


def holder(release: CommercialRelease) -> ReleaseRight | None:
    """The right held now (one at most), or None."""
    return ReleaseRight.objects.filter(release=release, status=RightStatus.HELD).select_related("holder").first()


def sees_whole_chain(actor: Principal, release: CommercialRelease) -> bool:
    """The issuing line, the authorities of the port and the platform see every link of a
    release's chain; a party sees only the links it received or passed on."""
    return (actor.unrestricted or release.shipping_line_id == actor.organisation_id
            or (actor.has_perm("release.view_release")
                and release.container.terminal.port_id in actor.jurisdiction_port_ids))


def visible_chain(actor: Principal, release: CommercialRelease) -> list[ReleaseRight]:
    """The links of a release's chain the actor may see, oldest first."""
    rights = (ReleaseRight.objects.filter(release=release)
              .select_related("release__container__terminal", "holder", "offered_by").order_by("offered_at", "pk"))
    if not sees_whole_chain(actor, release):
        org = actor.organisation_id
        rights = rights.filter(Q(holder_id=org) | Q(offered_by_id=org))
    return list(rights)


def release_view(actor: Principal, release: CommercialRelease) -> dict:
    """What one reader may see of a release beyond its own fields: lights, the holder, the
    visible chain and the active driver assignment (the haulier's and the authorities')."""
    whole = sees_whole_chain(actor, release)
    org = actor.organisation_id
    chain = visible_chain(actor, release)
    held = next((right for right in chain if right.status == RightStatus.HELD), None)
    assignments = DriverAssignment.objects.filter(release=release, status=AssignmentStatus.ACTIVE)
    if org is not None and release.container.terminal.operator_id == org and actor.has_perm("release.view_release"):
        # The terminal expects the haulier's driver at its gate: it sees who holds the
        # right and who is assigned, not the forwarders before them.
        held = held or holder(release)
    else:
        assignments = assignments.restrict(actor, "release.view_release")
    assignment = assignments.select_related("credential__person", "haulier").first()
    return {
        "first_party_id": release.first_party_id if whole or release.first_party_id == org else None,
        "whole_chain": whole,
        "lights": lights(release.container),
        "holder": {"id": held.holder_id, "name": held.holder.name} if held is not None else None,
        "you_hold": held is not None and org is not None and held.holder_id == org,
        "chain": chain,
        "assignment": assignment,
    }


CONCERNED = (RightStatus.OFFERED, RightStatus.HELD, RightStatus.PASSED)
# Asked at every act on a release (the gate's among them): built and compiled once.
_CONCERNED_RIGHTS = PreparedQuery(
    lambda *, release_id: ReleaseRight.objects.filter(release_id=release_id, status__in=CONCERNED)
    .only("holder_id", "offered_by_id").order_by(), release_id=-987_670_001)
_ASSIGNING_HAULIERS = PreparedQuery(
    lambda *, release_id: DriverAssignment.objects.filter(release_id=release_id, status=AssignmentStatus.ACTIVE)
    .only("haulier_id").order_by(), release_id=-987_670_002)


def concerned_parties(release: CommercialRelease | None, *, terminal=None) -> set[int]:
    """Who hears of a change of a release (its feed, its webhooks): the line, the terminal's
    operator, every party that holds, passed on or is offered its right, and the haulier of
    its active driver assignment. A party that declined, or whose offer was taken back,
    is no longer concerned. ``terminal``: the release's, when the caller has it already."""
    if release is None:
        return set()
    terminal = terminal if terminal is not None else release.container.terminal
    parties = {release.shipping_line_id, terminal.operator_id}
    for right in _CONCERNED_RIGHTS.all(release_id=release.pk):
        parties |= {right.holder_id, right.offered_by_id}
    parties |= {assignment.haulier_id for assignment in _ASSIGNING_HAULIERS.all(release_id=release.pk)}
    parties.discard(None)
    return parties
