"""The chain of release rights: each holder passes the right to collect a container on to
the next party (consignee → forwarder → haulier); the receiver accepts or declines; the
sender may take it back while the receiver has not passed it on to someone who accepted.

Invariants (tested, also by a state-machine test): at most one holder per release; a
party passes on only what it holds; one open offer at a time; a revoked release leaves
no right standing, and everyone who held or was offered one is told.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from havenwatch.core import clock
from havenwatch.core.authz import require
from havenwatch.core.errors import Conflict, PermissionRefused, ValidationFailed
from havenwatch.core.models import Organisation
from havenwatch.core.principal import Principal
from havenwatch.core.services._emit import emit
from havenwatch.release import validation
from havenwatch.release.choices import LIVE_STATUSES, RightStatus
from havenwatch.release.models import CommercialRelease, ReleaseRight
from havenwatch.release.services import assignments

STANDING = (RightStatus.OFFERED, RightStatus.HELD, RightStatus.PASSED)


def _tell(actor: Principal, code: str, right: ReleaseRight, party_id: int, data: dict | None = None,
          priority: int = 3) -> None:
    """Audit the act and tell ``party_id`` (the receiver or the sender) through its events."""
    terminal = right.release.container.terminal
    # The other end of the link and the line hear of it too; never another party of the chain.
    parties = {right.holder_id, right.offered_by_id, right.release.shipping_line_id}
    emit(actor=actor, code=code, subject=right, organisation_id=party_id, port_id=terminal.port_id,
         facility_id=terminal.pk, priority=priority, parties=parties,
         data={"container": right.release.container.number, "release": right.release_id,
               "holder": right.holder.name, "offered_by": right.offered_by.name, **(data or {})})


def _locked(right: ReleaseRight) -> ReleaseRight:
    right = (ReleaseRight.objects.select_for_update(of=("self",))
             .select_related("release__container__terminal", "holder", "offered_by").get(pk=right.pk))
    # The release too: acts on one chain happen one at a time.
    CommercialRelease.objects.select_for_update().filter(pk=right.release_id).exists()
    return right


def _require_party(actor: Principal, organisation_id: int, what: str) -> None:
    require(actor, "release.transfer")
    if actor.organisation_id != organisation_id and not actor.unrestricted:
        raise PermissionRefused(_("Only the party concerned can %(what)s.") % {"what": what})


def _require_live(right: ReleaseRight) -> None:
    release = right.release
    if release.status not in LIVE_STATUSES:
        raise Conflict(_("The release of %(number)s is no longer live (%(status)s): its rights cannot change.")
                       % {"number": release.container.number, "status": release.get_status_display()})


def offer_first(*, actor: Principal, release: CommercialRelease) -> ReleaseRight:
    """The line's release starts the chain: the right offered to the first release party."""
    right = ReleaseRight.objects.create(release=release, holder=release.first_party,
                                        offered_by=release.shipping_line, offered_at=clock.now())
    _tell(actor, "release.right.offered", right, right.holder_id)
    return right


@transaction.atomic
def right_accept(*, actor: Principal, right: ReleaseRight) -> ReleaseRight:
    """The receiver accepts: it holds the right now, the sender's is passed on."""
    _require_party(actor, right.holder_id, _("accept this right"))
    right = _locked(right)
    _require_live(right)
    if right.status != RightStatus.OFFERED:
        raise Conflict(_("Only an offered right can be accepted; this one is: %(status)s.")
                       % {"status": right.get_status_display()})
    now = clock.now()
    if right.parent_id is not None:
        ReleaseRight.objects.filter(pk=right.parent_id, status=RightStatus.HELD).update(
            status=RightStatus.PASSED, decided_at=now)
    right.status = RightStatus.HELD
    right.decided_at = now
    right.save(update_fields=["status", "decided_at"])
    _tell(actor, "release.right.accepted", right, right.offered_by_id)
    # The sender passed the right on: a driver it had assigned may no longer come.
    assignments.cancel_assignments(actor=actor, reason=assignments.NO_LONGER_HELD, release_id=right.release_id,
                                   haulier_id=right.offered_by_id, priority=2)
    return right


@transaction.atomic
def right_decline(*, actor: Principal, right: ReleaseRight, reason: str) -> ReleaseRight:
    """The receiver declines, saying why; the sender keeps holding its right."""
    _require_party(actor, right.holder_id, _("decline this right"))
    right = _locked(right)
    reason = validation.reason(reason, _("Say why you decline: the sender reads it."))
    if right.status != RightStatus.OFFERED:
        raise Conflict(_("Only an offered right can be declined; this one is: %(status)s.")
                       % {"status": right.get_status_display()})
    right.status = RightStatus.DECLINED
    right.decided_at = clock.now()
    right.reason = reason
    right.save(update_fields=["status", "decided_at", "reason"])
    _tell(actor, "release.right.declined", right, right.offered_by_id, {"reason": reason})
    return right


@transaction.atomic
def right_transfer(*, actor: Principal, right: ReleaseRight, to: Organisation) -> ReleaseRight:
    """The holder offers the right to the next party. A party passes on only what it holds."""
    _require_party(actor, right.holder_id, _("pass this right on"))
    right = _locked(right)
    _require_live(right)
    if right.status != RightStatus.HELD:
        raise Conflict(_("You can pass on only a right you hold; this one is: %(status)s.")
                       % {"status": right.get_status_display()})
    if not isinstance(to, Organisation) or not to.is_active:
        raise ValidationFailed(_("Name an active organisation to pass the right to."), field="to")
    if to.pk == right.holder_id:
        raise ValidationFailed(_("You hold this right already: name the next party."), field="to")
    if ReleaseRight.objects.filter(release=right.release, status=RightStatus.OFFERED).exists():
        raise Conflict(_("This right is offered to another party already: revoke that offer first."), field="to")
    child = ReleaseRight.objects.create(release=right.release, parent=right, holder=to, offered_by=right.holder,
                                        offered_at=clock.now())
    _tell(actor, "release.right.offered", child, to.pk)
    return child


@transaction.atomic
def right_revoke(*, actor: Principal, right: ReleaseRight, reason: str) -> ReleaseRight:
    """The sender takes back a right it passed on, while the receiver has not passed it on
    to a party that accepted. An open offer further down falls with it."""
    _require_party(actor, right.offered_by_id, _("revoke this right"))
    right = _locked(right)
    _require_live(right)
    reason = validation.reason(reason, _("Say why you take the right back: the receiver reads it."))
    if right.status not in (RightStatus.OFFERED, RightStatus.HELD):
        raise Conflict(_("This right can no longer be taken back; its status is: %(status)s.")
                       % {"status": right.get_status_display()})
    now = clock.now()
    for below in ReleaseRight.objects.select_for_update().filter(parent=right, status=RightStatus.OFFERED):
        below.status = RightStatus.REVOKED
        below.decided_at = now
        below.reason = reason
        below.save(update_fields=["status", "decided_at", "reason"])
        _tell(actor, "release.right.revoked", below, below.holder_id, {"reason": reason}, priority=2)
    was_held = right.status == RightStatus.HELD
    right.status = RightStatus.REVOKED
    right.decided_at = now
    right.reason = reason
    right.save(update_fields=["status", "decided_at", "reason"])
    if was_held and right.parent_id is not None:
        ReleaseRight.objects.filter(pk=right.parent_id, status=RightStatus.PASSED).update(
            status=RightStatus.HELD, decided_at=now)
    _tell(actor, "release.right.revoked", right, right.holder_id, {"reason": reason}, priority=2)
    if was_held:  # its driver may no longer come for the container
        assignments.cancel_assignments(actor=actor, reason=assignments.NO_LONGER_HELD, release_id=right.release_id,
                                       haulier_id=right.holder_id, priority=2)
    return right


def revoke_chain(*, actor: Principal, release: CommercialRelease, reason: str) -> int:
    """The release is revoked: no right stands, and every party in the chain is told."""
    now = clock.now()
    count = 0
    for right in (ReleaseRight.objects.select_for_update().filter(release=release, status__in=STANDING)
                  .select_related("release__container__terminal", "holder", "offered_by").order_by("pk")):
        right.status = RightStatus.REVOKED
        right.decided_at = now
        right.reason = reason
        right.save(update_fields=["status", "decided_at", "reason"])
        _tell(actor, "release.right.revoked", right, right.holder_id, {"reason": reason}, priority=2)
        count += 1
    assignments.cancel_assignments(actor=actor, reason=assignments.RELEASE_REVOKED, release_id=release.pk,
                                   priority=2)
    return count


def copy_chain(*, actor: Principal, old: CommercialRelease, new: CommercialRelease) -> None:
    """A reissued release gets the chain its predecessor had (the chain is restored)."""
    mapping: dict[int, ReleaseRight] = {}
    standing = list(ReleaseRight.objects.filter(release=old, status__in=STANDING).order_by("offered_at", "pk"))
    if not standing:
        offer_first(actor=actor, release=new)
        return
    for right in standing:
        copy = ReleaseRight.objects.create(
            release=new, parent=mapping.get(right.parent_id), holder_id=right.holder_id,
            offered_by_id=right.offered_by_id, status=right.status, offered_at=right.offered_at,
            decided_at=right.decided_at,
        )
        mapping[right.pk] = copy
    holder = next((r for r in mapping.values() if r.status == RightStatus.HELD), None)
    if holder is not None:
        _tell(actor, "release.right.restored", holder, holder.holder_id)
