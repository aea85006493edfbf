from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from havenwatch.core import validation
from havenwatch.core.authz import require
from havenwatch.core.choices import AUTHORITY_KINDS, OrganisationKind
from havenwatch.core.errors import Conflict, ValidationFailed
from havenwatch.core.models import Jurisdiction, Organisation, Port
from havenwatch.core.principal import Principal
from havenwatch.core.services._emit import emit


def _clean(*, kind: str, country: str, vat_number: str, eori_number: str) -> dict:
    if kind not in OrganisationKind.values:
        raise ValidationFailed(_("Unknown kind of organisation: %(kind)s.") % {"kind": kind}, field="kind")
    country = validation.country(country)
    return {
        "kind": kind,
        "country": country,
        "vat_number": validation.vat_number(vat_number, country_code=country),
        "eori_number": validation.eori_number(eori_number),
    }


@transaction.atomic
def organisation_create(
    *,
    actor: Principal,
    name: str,
    kind: str,
    country: str,
    slug: str = "",
    vat_number: str = "",
    eori_number: str = "",
) -> Organisation:
    require(actor, "core.manage_organisation")
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("An organisation needs a name."), field="name")
    fields = _clean(kind=kind, country=country, vat_number=vat_number, eori_number=eori_number)
    slug = slugify(slug or name)[:60]
    if not slug:
        raise ValidationFailed(_("The short name must contain letters or digits."), field="slug")
    if Organisation.objects.filter(slug=slug).exists():
        raise Conflict(_("An organisation with the short name %(slug)s exists already.") % {"slug": slug},
                       field="slug")
    if fields["vat_number"] and Organisation.objects.filter(
        country=fields["country"], vat_number=fields["vat_number"]
    ).exists():
        raise Conflict(_("An organisation with VAT number %(vat)s exists already.") % {"vat": fields["vat_number"]},
                       field="vat_number")
    try:
        with transaction.atomic():
            organisation = Organisation.objects.create(name=name, slug=slug, **fields)
    except IntegrityError as exc:
        raise Conflict(_("This organisation exists already.")) from exc
    emit(
        actor=actor, code="core.organisation.created", subject=organisation, organisation_id=organisation.pk,
        data={"name": name, "kind": fields["kind"], "country": fields["country"],
              "vat_number": fields["vat_number"], "eori_number": fields["eori_number"]},
    )
    return organisation


@transaction.atomic
def organisation_update(
    *,
    actor: Principal,
    organisation: Organisation,
    name: str | None = None,
    vat_number: str | None = None,
    eori_number: str | None = None,
    is_active: bool | None = None,
) -> Organisation:
    require(actor, "core.manage_organisation", organisation)
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    changes: dict[str, list] = {}
    if name is not None and name.strip() and name.strip() != organisation.name:
        changes["name"] = [organisation.name, name.strip()]
        organisation.name = name.strip()
    if vat_number is not None:
        cleaned = validation.vat_number(vat_number, country_code=organisation.country)
        if cleaned != organisation.vat_number:
            changes["vat_number"] = [organisation.vat_number, cleaned]
            organisation.vat_number = cleaned
    if eori_number is not None:
        cleaned = validation.eori_number(eori_number)
        if cleaned != organisation.eori_number:
            changes["eori_number"] = [organisation.eori_number, cleaned]
            organisation.eori_number = cleaned
    if is_active is not None and is_active != organisation.is_active:
        changes["is_active"] = [organisation.is_active, is_active]
        organisation.is_active = is_active
    if not changes:
        return organisation
    try:
        with transaction.atomic():
            organisation.save()
    except IntegrityError as exc:
        raise Conflict(_("Another organisation has this VAT number.")) from exc
    emit(actor=actor, code="core.organisation.updated", subject=organisation, organisation_id=organisation.pk,
         data={"changes": changes})
    return organisation


@transaction.atomic
def jurisdiction_grant(*, actor: Principal, organisation: Organisation, port: Port) -> Jurisdiction:
    require(actor, "core.manage_organisation")
    if organisation.kind not in AUTHORITY_KINDS:
        raise ValidationFailed(
            _("Only authorities (port authority, customs, police, maritime authority, committee) "
              "hold a jurisdiction; %(org)s is a %(kind)s.")
            % {"org": organisation.name, "kind": organisation.get_kind_display()},
            field="organisation",
        )
    jurisdiction, created = Jurisdiction.objects.get_or_create(organisation=organisation, port=port)
    if created:
        emit(actor=actor, code="core.jurisdiction.granted", subject=jurisdiction, organisation_id=organisation.pk,
             port_id=port.pk, data={"organisation": organisation.slug, "port": port.unlocode})
    return jurisdiction
