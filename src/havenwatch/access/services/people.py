"""People, their employers, their credentials and vehicles.

A person's credentials are tied to the employer: the employer's access manager issues
them, a facility's security officer activates them for the facility, and a change of
employer sets them inactive. Credentials are never deleted (access events refer to
them); their state changes are kept with who and why.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from havenwatch.access import validation
from havenwatch.access.choices import CredentialKind, CredentialState, ProofingLevel, ScreeningResult
from havenwatch.access.models import (
    Credential,
    CredentialStateChange,
    Employment,
    FacilityEnrolment,
    Person,
    Vehicle,
)
from havenwatch.core import clock, crypto
from havenwatch.core import validation as core_validation
from havenwatch.core.authz import require
from havenwatch.core.choices import EventAudience
from havenwatch.core.errors import Conflict, PermissionRefused, ValidationFailed
from havenwatch.core.models import Facility, Organisation, Port
from havenwatch.core.principal import Principal
from havenwatch.core.services._emit import emit

# Which state a credential may go to from which (blocked and expired are final: issue a new one).
TRANSITIONS = {
    CredentialState.ACTIVE: {CredentialState.INACTIVE, CredentialState.BLOCKED, CredentialState.EXPIRED},
    CredentialState.INACTIVE: {CredentialState.ACTIVE, CredentialState.BLOCKED, CredentialState.EXPIRED},
    CredentialState.BLOCKED: set(),
    CredentialState.EXPIRED: set(),
}
LIVE_STATES = (CredentialState.ACTIVE, CredentialState.INACTIVE)


# -- personal data ---------------------------------------------------------------------

@functools.lru_cache(maxsize=4)
def _digest_key(secret_key: str) -> bytes:
    return hashlib.blake2b(secret_key.encode(), digest_size=32, person=b"hw-person-dig-v1").digest()


def personal_digest(value: str) -> str:
    """``hmac-sha256`` of a normalised personal value with a key derived from ``SECRET_KEY``.

    Keyed, so a short value such as a national number (a birth date and a counter)
    cannot be found again by trying every candidate without the instance's key.
    """
    return hmac.new(_digest_key(settings.SECRET_KEY), value.encode(), hashlib.sha256).hexdigest()


def national_number_digest(value: str) -> str:
    """The duplicate-finding digest of a national number (validated and compacted first)."""
    return personal_digest(validation.national_number(value))


def _is_member_of(actor: Principal, organisation_id: int | None) -> bool:
    return actor.unrestricted or (organisation_id is not None and actor.organisation_id == organisation_id)


def _clean_name(value: str, field: str, label: str) -> str:
    value = " ".join((value or "").split())
    if not value:
        raise ValidationFailed(_("Give the person's %(what)s.") % {"what": label}, field=field)
    if len(value) > 100:
        raise ValidationFailed(_("The %(what)s is too long (100 characters at most).") % {"what": label},
                               field=field)
    return value


# -- people ----------------------------------------------------------------------------

@transaction.atomic
def person_register(
    *,
    actor: Principal,
    first_name: str,
    last_name: str,
    date_of_birth: date,
    nationality: str,
    employer: Organisation,
    national_number: str = "",
    id_document_ref: str = "",
    proofing_level: str = ProofingLevel.NONE,
    biometric_reference: str = "",
) -> Person:
    """Register a person employed by ``employer`` (the actor's organisation).

    The national number is sealed (the server can read it back) and kept as a keyed
    digest to find duplicates; the biometric template stays on the card, only a hash of
    its reference is kept. The audit chain gets personal data as digests only.
    """
    require(actor, "access.manage_people")
    if not _is_member_of(actor, employer.pk):
        raise PermissionRefused(
            _("You can register people for your own organisation only, not for %(employer)s.")
            % {"employer": employer.name},
            field="employer",
        )
    first_name = _clean_name(first_name, "first_name", _("first name"))
    last_name = _clean_name(last_name, "last_name", _("last name"))
    if not isinstance(date_of_birth, date) or isinstance(date_of_birth, datetime):
        raise ValidationFailed(_("Give the date of birth as a date."), field="date_of_birth")
    today = clock.now().date()
    if date_of_birth >= today or date_of_birth.year < today.year - 120:
        raise ValidationFailed(_("The date of birth %(date)s cannot be right.") % {"date": date_of_birth},
                               field="date_of_birth")
    nationality = core_validation.country(nationality)
    if proofing_level not in ProofingLevel.values:
        raise ValidationFailed(_("Unknown identity proofing level %(level)s.") % {"level": proofing_level},
                               field="proofing_level")
    id_document_ref = (id_document_ref or "").strip()
    if len(id_document_ref) > 60:
        raise ValidationFailed(_("The identity document reference is too long (60 characters at most)."),
                               field="id_document_ref")
    number = validation.national_number(national_number)
    sealed, digest = None, ""
    if number:
        digest = personal_digest(number)
        if Person.objects.filter(national_number_digest=digest).exists():
            raise Conflict(
                _("A person with this national register number is registered already: change their employer "
                  "instead of registering them twice."),
                field="national_number",
            )
        sealed = crypto.seal(number)
    biometric_reference = (biometric_reference or "").strip()
    biometric_hash = hashlib.sha256(biometric_reference.encode()).hexdigest() if biometric_reference else ""
    person = Person.objects.create(
        first_name=first_name, last_name=last_name, date_of_birth=date_of_birth, nationality=nationality,
        id_document_ref=id_document_ref, national_number_sealed=sealed, national_number_digest=digest,
        proofing_level=proofing_level, biometric_reference_hash=biometric_hash, employer=employer,
        created_at=clock.now(),
    )
    Employment.objects.create(person=person, organisation=employer, started_on=today)
    emit(
        actor=actor, code="access.person.registered", subject=person, organisation_id=employer.pk,
        data={
            "employer": employer.pk,
            "proofing_level": proofing_level,
            # Digest fields, keyed first: a bare sha256 of a birth date or national number
            # could be reversed by trying every candidate.
            "name": personal_digest(f"{first_name} {last_name}"),
            "date_of_birth": personal_digest(date_of_birth.isoformat()),
            "national_number": digest,
            "id_document_ref": personal_digest(id_document_ref) if id_document_ref else "",
        },
    )
    return person


@transaction.atomic
def person_national_number(*, actor: Principal, person: Person) -> str:
    """Read a person's national number back (the employer's managers only). Every read is
    in the audit chain: who looked at whose number, and when (not the number)."""
    require(actor, "access.manage_people", person)
    if not person.national_number_sealed:
        return ""
    emit(actor=actor, code="access.person.national_number_read", subject=person,
         organisation_id=person.employer_id, publish=False, data={})
    return crypto.unseal(person.national_number_sealed)


@transaction.atomic
def person_change_employer(*, actor: Principal, person: Person, employer: Organisation) -> Person:
    """Move a person to another employer.

    The current employment ends today and a new one starts; every active credential of
    the person goes inactive ("employer changed"): credentials are tied to the employer,
    so the new employer issues new ones. The old or the new employer may record it.
    """
    require(actor, "access.manage_people")
    person = Person.objects.select_for_update().get(pk=person.pk)
    if not (_is_member_of(actor, person.employer_id) or _is_member_of(actor, employer.pk)):
        raise PermissionRefused(
            _("Only the person's current or new employer can record a change of employer."), field="employer"
        )
    if person.employer_id == employer.pk:
        raise Conflict(_("%(person)s works for %(employer)s already.") % {"person": person, "employer": employer},
                       field="employer")
    today = clock.now().date()
    previous = person.employer
    Employment.objects.filter(person=person, ended_on__isnull=True).update(ended_on=today)
    Employment.objects.create(person=person, organisation=employer, started_on=today)
    person.employer = employer
    person.save(update_fields=["employer"])
    credentials = Credential.objects.select_for_update().filter(person=person, state=CredentialState.ACTIVE)
    for credential in credentials:
        change_state(actor=actor, credential=credential, state=CredentialState.INACTIVE,
                     reason="employer changed")
    emit(
        actor=actor, code="access.person.employer_changed", subject=person, organisation_id=employer.pk,
        data={"previous": previous.pk if previous else None, "employer": employer.pk},
    )
    return person


# -- credentials -----------------------------------------------------------------------

@transaction.atomic
def credential_issue(
    *,
    actor: Principal,
    person: Person,
    port: Port,
    number: str,
    kind: str = CredentialKind.CARD,
    valid_from: datetime,
    valid_until: datetime,
) -> Credential:
    """Issue a port-wide credential to an employee of the actor's organisation.

    A person holds at most one active card per port. A person banned from the port gets
    none (nor when the ban check cannot be answered).
    """
    require(actor, "access.manage_people")
    person = Person.objects.select_for_update().get(pk=person.pk)
    if person.employer_id is None:
        raise ValidationFailed(_("%(person)s has no employer: credentials are issued by the employer.")
                               % {"person": person}, field="person")
    if not _is_member_of(actor, person.employer_id):
        raise PermissionRefused(
            _("Only %(employer)s, the employer of %(person)s, can issue their credentials.")
            % {"employer": person.employer.name, "person": person},
            field="person",
        )
    issuer_id = person.employer_id  # the actor's organisation, or the employer when a platform admin acts
    if kind not in (CredentialKind.CARD, CredentialKind.MOBILE):
        raise ValidationFailed(_("Issue a badge or a mobile credential here; visitor QR codes come with an "
                                 "approved visit."), field="kind")
    number = validation.credential_number(number)
    _check_window(valid_from, valid_until)
    if Credential.objects.filter(number=number).exists():
        raise Conflict(_("Credential number %(number)s is in use already.") % {"number": number}, field="number")
    if kind == CredentialKind.CARD and Credential.objects.filter(
        person=person, port=port, kind=CredentialKind.CARD, state=CredentialState.ACTIVE
    ).exists():
        raise Conflict(
            _("%(person)s has an active badge for %(port)s already: set it inactive or blocked first.")
            % {"person": person, "port": port.name},
            field="person",
        )
    from havenwatch.access.services.screening import ban_check

    screening = ban_check(person=person, port=port)
    if screening == ScreeningResult.HIT:
        raise ValidationFailed(_("%(person)s is banned from %(port)s: no credential can be issued.")
                               % {"person": person, "port": port.name}, field="person")
    if screening != ScreeningResult.CLEAR:
        raise ValidationFailed(_("The ban check cannot be answered now: try again later."), field="person")
    credential = Credential.objects.create(
        number=number, kind=kind, person=person, port=port, issued_by_id=issuer_id,
        state=CredentialState.ACTIVE, valid_from=valid_from, valid_until=valid_until, created_at=clock.now(),
    )
    emit(
        actor=actor, code="access.credential.issued", subject=credential, organisation_id=issuer_id,
        port_id=port.pk,
        data={"number": number, "kind": kind, "port": port.unlocode, "valid_from": valid_from.isoformat(),
              "valid_until": valid_until.isoformat(), "visit": None},
    )
    return credential


def _check_window(valid_from: datetime, valid_until: datetime) -> None:
    for field, value in (("valid_from", valid_from), ("valid_until", valid_until)):
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValidationFailed(_("Give the validity as a date and time with its time zone."), field=field)
    if valid_until <= valid_from:
        raise ValidationFailed(_("A credential must end after it starts."), field="valid_until")
    if valid_until <= clock.now():
        raise ValidationFailed(_("The credential would have expired already: choose a later end."),
                               field="valid_until")


def change_state(
    *, actor: Principal, credential: Credential, state: str, reason: str, changed_by: str | None = None,
) -> Credential:
    """Change a locked credential's state, keep the change and publish it.

    The rules on who may do it are the caller's; this one only checks the transition.
    Blocked credentials are announced to the issuer and the port's authorities, at
    priority 2. ``changed_by`` is who the issuer's pages name (default: the actor); a ban
    names the authorities, never the investigator. The audit chain names the actor.
    """
    previous = credential.state
    if previous == state:
        raise Conflict(_("Credential %(number)s is already in the state “%(state)s”.")
                       % {"number": credential.number, "state": CredentialState(state).label}, field="state")
    if state not in TRANSITIONS.get(previous, set()):
        if previous == CredentialState.BLOCKED:
            message = _("Credential %(number)s is blocked for good: its issuer can issue a new credential.")
        elif previous == CredentialState.EXPIRED:
            message = _("Credential %(number)s has expired: its issuer can issue a new credential.")
        else:
            message = _("Credential %(number)s cannot change from “%(previous)s” to “%(state)s”.")
        labels = dict(CredentialState.choices)
        raise ValidationFailed(message % {"number": credential.number, "previous": labels.get(previous, previous),
                                          "state": labels.get(state, state)}, field="state")
    credential.state = state
    credential.save(update_fields=["state"])
    CredentialStateChange.objects.create(
        credential=credential, previous_state=previous, state=state, reason=reason,
        changed_by=(changed_by or actor.label)[:160],
        changed_at=clock.now(),
    )
    blocked = state == CredentialState.BLOCKED
    emit(
        actor=actor, code="access.credential.state_changed", subject=credential,
        organisation_id=credential.issued_by_id, port_id=credential.port_id,
        data={"number": credential.number, "previous_state": previous, "state": state, "reason": reason},
        # The issuer and the port's authorities; a block is not news for every company of the port.
        audience=EventAudience.ORGANISATION, priority=2 if blocked else 3, shown_actor=changed_by,
    )
    return credential


@transaction.atomic
def credential_set_state(*, actor: Principal, credential: Credential, state: str, reason: str) -> Credential:
    """The issuer sets a credential active, inactive (missing), blocked (lost, stolen) or expired.

    Blocked and expired are final: the issuer issues a new credential instead.
    """
    require(actor, "access.manage_people", credential)
    credential = Credential.objects.select_for_update().select_related("person").get(pk=credential.pk)
    if state not in CredentialState.values:
        raise ValidationFailed(_("Unknown credential state %(state)s.") % {"state": state}, field="state")
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationFailed(_("Say why the credential's state changes."), field="reason")
    if len(reason) > 300:
        raise ValidationFailed(_("The reason is too long (300 characters at most)."), field="reason")
    if state == CredentialState.ACTIVE:
        if credential.person.employer_id != credential.issued_by_id and credential.state in LIVE_STATES:
            raise ValidationFailed(
                _("%(person)s no longer works for the issuer of %(number)s: their new employer issues a new "
                  "credential.") % {"person": credential.person, "number": credential.number},
                field="state",
            )
        if credential.valid_until <= clock.now() and credential.state in LIVE_STATES:
            raise ValidationFailed(_("Credential %(number)s is past its end of validity: issue a new one.")
                                   % {"number": credential.number}, field="state")
    return change_state(actor=actor, credential=credential, state=state, reason=reason)


def _facility_operator_check(actor: Principal, credential: Credential, facility: Facility) -> None:
    require(actor, "access.activate_credentials")
    if not _is_member_of(actor, facility.operator_id):
        raise PermissionRefused(
            _("Only the operator of %(facility)s can activate or deactivate credentials there.")
            % {"facility": facility.name},
            field="facility",
        )
    if credential.port_id != facility.port_id:
        raise ValidationFailed(
            _("%(number)s is a credential of another port: it cannot be used at %(facility)s.")
            % {"number": credential.number, "facility": facility.name},
            field="credential",
        )


@transaction.atomic
def credential_activate(*, actor: Principal, credential: Credential, facility: Facility) -> FacilityEnrolment:
    """A facility's security officer activates a port-wide credential for the facility."""
    credential = Credential.objects.select_for_update().get(pk=credential.pk)
    _facility_operator_check(actor, credential, facility)
    if not facility.is_active:
        raise ValidationFailed(_("%(facility)s is closed.") % {"facility": facility.name}, field="facility")
    if credential.state != CredentialState.ACTIVE:
        raise ValidationFailed(
            _("Credential %(number)s is %(state)s: only an active credential can be activated.")
            % {"number": credential.number, "state": CredentialState(credential.state).label},
            field="credential",
        )
    if credential.valid_until <= clock.now():
        raise ValidationFailed(_("Credential %(number)s has expired.") % {"number": credential.number},
                               field="credential")
    enrolment = FacilityEnrolment.objects.select_for_update().filter(credential=credential, facility=facility).first()
    if enrolment is not None and enrolment.is_active:
        raise Conflict(_("Credential %(number)s is active at %(facility)s already.")
                       % {"number": credential.number, "facility": facility.name}, field="credential")
    if enrolment is None:
        enrolment = FacilityEnrolment.objects.create(credential=credential, facility=facility, is_active=True,
                                                     activated_at=clock.now())
    else:
        enrolment.is_active = True
        enrolment.activated_at = clock.now()
        enrolment.save(update_fields=["is_active", "activated_at"])
    emit(
        actor=actor, code="access.credential.activated", subject=enrolment, organisation_id=facility.operator_id,
        port_id=facility.port_id, facility_id=facility.pk,
        data={"number": credential.number, "facility": facility.isps_number},
    )
    return enrolment


@transaction.atomic
def credential_deactivate(*, actor: Principal, credential: Credential, facility: Facility) -> FacilityEnrolment:
    """A facility's security officer ends a credential's activation at the facility."""
    credential = Credential.objects.select_for_update().get(pk=credential.pk)
    _facility_operator_check(actor, credential, facility)
    enrolment = FacilityEnrolment.objects.select_for_update().filter(credential=credential, facility=facility).first()
    if enrolment is None or not enrolment.is_active:
        raise Conflict(_("Credential %(number)s is not active at %(facility)s.")
                       % {"number": credential.number, "facility": facility.name}, field="credential")
    enrolment.is_active = False
    enrolment.save(update_fields=["is_active"])
    emit(
        actor=actor, code="access.credential.deactivated", subject=enrolment, organisation_id=facility.operator_id,
        port_id=facility.port_id, facility_id=facility.pk,
        data={"number": credential.number, "facility": facility.isps_number},
    )
    return enrolment


# -- vehicles --------------------------------------------------------------------------

@transaction.atomic
def vehicle_register(
    *, actor: Principal, plate: str, country: str, owner: Organisation, drivers: list[Person] | None = None
) -> Vehicle:
    """Register a vehicle of the actor's organisation by its number plate, with its drivers
    (people employed by the owner)."""
    require(actor, "access.manage_people")
    if not _is_member_of(actor, owner.pk):
        raise PermissionRefused(_("You can register vehicles of your own organisation only, not of %(owner)s.")
                                % {"owner": owner.name}, field="owner")
    normalised = validation.plate(plate, country)
    if Vehicle.objects.filter(plate=normalised).exists():
        raise Conflict(_("A vehicle with number plate %(plate)s is registered already.") % {"plate": normalised},
                       field="plate")
    drivers = list(drivers or [])
    for driver in drivers:
        if driver.employer_id != owner.pk:
            raise ValidationFailed(_("%(person)s does not work for %(owner)s and cannot be one of its drivers.")
                                   % {"person": driver, "owner": owner.name}, field="drivers")
    vehicle = Vehicle.objects.create(plate=normalised, country=normalised[:2], owner=owner, created_at=clock.now())
    if drivers:
        vehicle.drivers.set(drivers)
    emit(actor=actor, code="access.vehicle.registered", subject=vehicle, organisation_id=owner.pk,
         data={"plate": normalised, "owner": owner.pk})
    return vehicle
