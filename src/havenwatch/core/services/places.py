from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from havenwatch.core import validation
from havenwatch.core.authz import require
from havenwatch.core.choices import EventAudience, OrganisationKind
from havenwatch.core.errors import Conflict, PermissionRefused, ValidationFailed
from havenwatch.core.models import Facility, Organisation, Port
from havenwatch.core.principal import Principal
from havenwatch.core.services._emit import emit


@transaction.atomic
def port_create(
    *,
    actor: Principal,
    name: str,
    unlocode: str,
    authority: Organisation,
    time_zone: str = "Europe/Brussels",
    boundary: dict | None = None,
) -> Port:
    require(actor, "core.manage_organisation")
    unlocode = validation.unlocode(unlocode)
    if authority.kind != OrganisationKind.PORT_AUTHORITY:
        raise ValidationFailed(
            _("%(org)s is not a port authority.") % {"org": authority.name}, field="authority"
        )
    if Port.objects.filter(unlocode=unlocode).exists():
        raise Conflict(_("A port with UN/LOCODE %(code)s exists already.") % {"code": unlocode}, field="unlocode")
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("A port needs a name."), field="name")
    port = Port.objects.create(
        name=name, unlocode=unlocode, authority=authority, time_zone=validation.time_zone(time_zone),
        boundary=validation.geojson(boundary, field="boundary"),
    )
    emit(actor=actor, code="core.port.created", subject=port, organisation_id=authority.pk, port_id=port.pk,
         data={"name": name, "unlocode": unlocode, "authority": authority.slug}, audience=EventAudience.PORT)
    return port


@transaction.atomic
def port_update(
    *, actor: Principal, port: Port, name: str | None = None, time_zone: str | None = None,
    boundary: dict | None = None,
) -> Port:
    require(actor, "core.manage_port", port)
    port = Port.objects.select_for_update().get(pk=port.pk)
    changes = {}
    if name is not None and name.strip() and name.strip() != port.name:
        changes["name"] = [port.name, name.strip()]
        port.name = name.strip()
    if time_zone is not None and time_zone != port.time_zone:
        changes["time_zone"] = [port.time_zone, validation.time_zone(time_zone)]
        port.time_zone = time_zone
    if boundary is not None:
        port.boundary = validation.geojson(boundary, field="boundary")
        changes["boundary"] = ["…", "…"]
    if changes:
        port.save()
        emit(actor=actor, code="core.port.updated", subject=port, organisation_id=port.authority_id,
             port_id=port.pk, data={"changes": changes})
    return port


@transaction.atomic
def facility_create(
    *,
    actor: Principal,
    port: Port,
    operator: Organisation,
    name: str,
    isps_number: str,
    geometry: dict | None = None,
) -> Facility:
    require(actor, "core.manage_facility")
    if not actor.unrestricted and port.pk not in actor.jurisdiction_port_ids:
        raise PermissionRefused(
            _("Your organisation has no jurisdiction over %(port)s.") % {"port": port}, field="port"
        )
    isps_number = validation.isps_number(isps_number)
    if Facility.objects.filter(isps_number=isps_number).exists():
        raise Conflict(
            _("A facility with ISPS number %(number)s exists already.") % {"number": isps_number},
            field="isps_number",
        )
    if operator.kind not in {OrganisationKind.FACILITY_OPERATOR, OrganisationKind.PORT_AUTHORITY}:
        raise ValidationFailed(
            _("%(org)s cannot operate a port facility: it is a %(kind)s.")
            % {"org": operator.name, "kind": operator.get_kind_display()},
            field="operator",
        )
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("A facility needs a name."), field="name")
    facility = Facility.objects.create(
        port=port, operator=operator, name=name, isps_number=isps_number,
        geometry=validation.geojson(geometry, field="geometry"), security_level=port.security_level,
    )
    emit(actor=actor, code="core.facility.created", subject=facility, organisation_id=operator.pk,
         port_id=port.pk, facility_id=facility.pk,
         data={"name": name, "isps_number": isps_number, "port": port.unlocode, "operator": operator.slug},
         audience=EventAudience.PORT)
    return facility


@transaction.atomic
def facility_update(
    *, actor: Principal, facility: Facility, name: str | None = None, geometry: dict | None = None,
    is_active: bool | None = None,
) -> Facility:
    require(actor, "core.manage_facility", facility)
    facility = Facility.objects.select_for_update().get(pk=facility.pk)
    changes = {}
    if name is not None and name.strip() and name.strip() != facility.name:
        changes["name"] = [facility.name, name.strip()]
        facility.name = name.strip()
    if geometry is not None:
        facility.geometry = validation.geojson(geometry, field="geometry")
        changes["geometry"] = ["…", "…"]
    if is_active is not None and is_active != facility.is_active:
        changes["is_active"] = [facility.is_active, is_active]
        facility.is_active = is_active
    if changes:
        facility.save()
        emit(actor=actor, code="core.facility.updated", subject=facility, organisation_id=facility.operator_id,
             port_id=facility.port_id, facility_id=facility.pk, data={"changes": changes})
    return facility
