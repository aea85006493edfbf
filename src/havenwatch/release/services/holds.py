"""The customs and terminal lights: customs holds a container and releases the hold; the
terminal confirms the container's discharge."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from havenwatch.core import clock
from havenwatch.core.authz import require
from havenwatch.core.choices import OrganisationKind
from havenwatch.core.errors import Conflict, PermissionRefused
from havenwatch.core.principal import Principal
from havenwatch.core.services._emit import emit
from havenwatch.release import validation
from havenwatch.release.models import Container, CustomsHold
from havenwatch.release.selectors import concerned_parties, live_release


def _concerned(container: Container) -> set[int]:
    """The terminal and the parties of the container's live release hear of its lights."""
    return {container.terminal.operator_id} | concerned_parties(live_release(container))


def _require_customs(actor: Principal, what: str) -> None:
    require(actor, "release.hold")
    organisation = actor.organisation
    if not actor.unrestricted and (organisation is None or organisation.kind != OrganisationKind.CUSTOMS):
        raise PermissionRefused(_("Only customs can %(what)s.") % {"what": what})


@transaction.atomic
def hold_place(*, actor: Principal, container: Container, reason: str) -> CustomsHold:
    """Customs stops the container (e.g. selected for a scan): its customs light turns red."""
    _require_customs(actor, _("hold a container"))
    reason = validation.reason(reason, _("Say why the container is held."))
    container = Container.objects.select_for_update().select_related("terminal").get(pk=container.pk)
    if CustomsHold.objects.filter(container=container, released_at__isnull=True).exists():
        raise Conflict(_("Container %(number)s is held by customs already.") % {"number": container.number})
    try:
        with transaction.atomic():
            hold = CustomsHold.objects.create(container=container, placed_by=actor.organisation, reason=reason,
                                              placed_at=clock.now())
    except IntegrityError:  # a second hold at the same moment: the constraint keeps one
        raise Conflict(_("Container %(number)s is held by customs already.") % {"number": container.number}) from None
    terminal = container.terminal
    emit(actor=actor, code="release.hold.placed", subject=hold, organisation_id=actor.organisation_id,
         port_id=terminal.port_id, facility_id=terminal.pk, priority=2, parties=_concerned(container),
         data={"container": container.number, "reason": reason})
    return hold


@transaction.atomic
def hold_release(*, actor: Principal, hold: CustomsHold, reason: str) -> CustomsHold:
    _require_customs(actor, _("release a hold"))
    reason = validation.reason(reason, _("Say why the hold is released."))
    hold = CustomsHold.objects.select_for_update(of=("self",)).select_related("container__terminal").get(pk=hold.pk)
    if hold.released_at is not None:
        raise Conflict(_("This hold was released already."))
    if not actor.unrestricted and hold.placed_by_id != actor.organisation_id:
        raise PermissionRefused(_("Only the customs office that placed the hold can release it."))
    hold.released_at = clock.now()
    hold.released_reason = reason
    hold.save(update_fields=["released_at", "released_reason"])
    terminal = hold.container.terminal
    emit(actor=actor, code="release.hold.released", subject=hold, organisation_id=actor.organisation_id,
         port_id=terminal.port_id, facility_id=terminal.pk, parties=_concerned(hold.container),
         data={"container": hold.container.number, "reason": reason})
    return hold


@transaction.atomic
def discharge_confirm(*, actor: Principal, container: Container) -> Container:
    """The terminal confirms the container is on its yard: the terminal light turns green."""
    require(actor, "release.confirm_discharge")
    container = Container.objects.select_for_update().select_related("terminal").get(pk=container.pk)
    terminal = container.terminal
    if not actor.unrestricted and terminal.operator_id != actor.organisation_id:
        raise PermissionRefused(_("Only %(terminal)s's operator can confirm the discharge of its containers.")
                                % {"terminal": terminal.name})
    if container.discharged_at is not None:
        raise Conflict(_("The discharge of %(number)s is confirmed already.") % {"number": container.number})
    container.discharged_at = clock.now()
    container.discharged_by = actor.label[:160]
    container.save(update_fields=["discharged_at", "discharged_by"])
    emit(actor=actor, code="release.container.discharged", subject=container, organisation_id=terminal.operator_id,
         port_id=terminal.port_id, facility_id=terminal.pk, parties=_concerned(container),
         data={"container": container.number, "terminal": terminal.isps_number})
    return container
