"""Incidents: opened from alarms, followed up, closed with a report (docs/controlroom.md, "Incident").

- **Opening** takes one or more alarms the actor may work, all of one port. The incident
  belongs to the alarms' organisation when they share one (a terminal's incident, which the
  port's control room sees through its jurisdiction), else to the port's authority. An
  alarm is in at most one open incident at a time. A later alarm joins only an incident of
  its own organisation, or one of the port's authority: whoever reads an incident reads
  its alarms.
- **Working** it: notes, further alarms of the same port, the people, vehicles,
  containers and vessels involved (checked and normalised: a container number's check
  digit, a plate as watch lists keep it, a vessel's IMO number), and attachments.
- **Attachments** are JPEG, PNG or PDF, told by their first bytes, never by what the
  sender says; a file that claims to be something else is refused. Nothing is kept of what
  a file says about its maker (:mod:`havenwatch.core.files`): photos are decoded and written
  again without their metadata (EXIF, GPS); a PDF is written again with its pages only,
  without its author, XMP, attached files and scripts. At most 20 per incident, 10 MB each.
- **Closing** takes a report. A closed incident changes no more.

Every act is on the incident's timeline and in the audit chain (``controlroom.incident.*``),
and published on the outbox for the live stream and webhooks. Permissions are the alarms':
``controlroom.view_alarm`` to read, ``controlroom.work_alarm`` to act.

The reading functions at the end (:func:`incident_list` and its kin) are the incidents'
selectors.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from stdnum import imo, iso6346
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError

from havenwatch.controlroom.choices import AlarmEntryKind
from havenwatch.controlroom.models import Alarm, AlarmEntry
from havenwatch.controlroom.models.incidents import (
    Incident,
    IncidentAlarm,
    IncidentAttachment,
    IncidentEntry,
    IncidentEntryKind,
    IncidentParty,
    IncidentState,
    PartyKind,
)
from havenwatch.controlroom.services.rules import normalise_value
from havenwatch.core import clock, files, validation
from havenwatch.core.authz import require
from havenwatch.core.errors import Conflict, NotFound, ValidationFailed
from havenwatch.core.models import Port
from havenwatch.core.principal import Principal
from havenwatch.core.services._emit import emit

MAX_ALARMS = 50  # opened from at once
MAX_ATTACHMENTS = 20
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_TITLE, MAX_SUMMARY, MAX_NOTE, MAX_REPORT = 160, 4000, 4000, 20000
PDF = "application/pdf"
EXTENSIONS = {"image/jpeg": (".jpg", ".jpeg"), "image/png": (".png",), PDF: (".pdf",)}
TYPE_NAMES = {"image/jpeg": "JPEG", "image/png": "PNG", PDF: "PDF"}
VAGUE_TYPES = {"", "application/octet-stream", "binary/octet-stream"}  # what a browser says when it does not know
IMO_RE = re.compile(r"^(?:IMO)?\s*(\d{7})$", re.IGNORECASE)
UNSAFE_NAME_RE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')


# --- helpers -------------------------------------------------------------------------------


def _locked(incident: Incident) -> Incident:
    return Incident.objects.select_for_update(of=("self",)).get(pk=incident.pk)


def _workable(actor: Principal, incident: Incident) -> Incident:
    """The incident, locked, if the actor may work it and it is still open."""
    require(actor, "controlroom.work_alarm")
    if not Incident.objects.restrict(actor, "controlroom.work_alarm").filter(pk=incident.pk).exists():
        raise NotFound(_("Incident #%(n)s is not one you may work.") % {"n": incident.pk})
    incident = _locked(incident)
    if incident.state == IncidentState.CLOSED:
        raise Conflict(_("Incident #%(n)s is closed: it changes no more.") % {"n": incident.pk},
                       code="incident_closed")
    return incident


def _act(actor: Principal, incident: Incident, code: str, kind: str, *, text: str = "", data: dict | None = None,
         at: datetime | None = None) -> IncidentEntry:
    entry = IncidentEntry.objects.create(incident=incident, at=at or clock.now(), kind=kind, actor=actor.label,
                                         user=actor.user, text=text)
    emit(actor=actor, code=code, subject=incident, organisation_id=incident.owner_id, port_id=incident.port_id,
         facility_id=incident.facility_id, data={"incident": incident.pk, "state": incident.state, **(data or {})})
    return entry


def _alarm_line(alarm: Alarm) -> str:
    return f"#{alarm.pk} · P{alarm.priority} · {alarm.title}"


def _workable_alarms(actor: Principal, alarms: Iterable[Alarm]) -> list[Alarm]:
    """The alarms, locked, each one the actor may work; one that is not is "not found", as
    whether it exists elsewhere is not the actor's to learn."""
    ids = list(dict.fromkeys(a.pk for a in alarms))
    found = {a.pk: a for a in Alarm.objects.restrict(actor, "controlroom.work_alarm").select_for_update(
        of=("self",)).filter(pk__in=ids)}
    for pk in ids:
        if pk not in found:
            raise NotFound(_("Alarm #%(n)s is not one you may work.") % {"n": pk}, field="alarms")
    return [found[pk] for pk in ids]


def _not_in_another_open_incident(alarms: list[Alarm], incident: Incident | None = None) -> None:
    taken = (IncidentAlarm.objects.filter(alarm__in=alarms, incident__state=IncidentState.OPEN)
             .exclude(incident=incident).values_list("alarm_id", "incident_id").first())
    if taken:
        raise Conflict(_("Alarm #%(alarm)s is part of incident #%(incident)s already.")
                       % {"alarm": taken[0], "incident": taken[1]}, code="alarm_in_incident", field="alarms")


def _tell_alarms(actor: Principal, alarms: list[Alarm], incident: Incident, at: datetime) -> None:
    """Each alarm's own timeline says which incident it became part of (its title only where
    the alarm's readers read the incident too: the same organisation's)."""
    AlarmEntry.objects.bulk_create([
        AlarmEntry(alarm=alarm, at=at, kind=AlarmEntryKind.NOTE, actor=actor.label, user=actor.user,
                   text=(f"→ #{incident.pk} · {incident.title}" if alarm.owner_id == incident.owner_id
                         else f"→ #{incident.pk}")[:1000]) for alarm in alarms])


# --- acts ----------------------------------------------------------------------------------


@transaction.atomic
def incident_open(*, actor: Principal, alarms: Iterable[Alarm], title: str, summary: str = "") -> Incident:
    """Open an incident from alarms the actor may work, all of one port."""
    require(actor, "controlroom.work_alarm")
    alarms = list(alarms)
    if not alarms:
        raise ValidationFailed(_("Choose the alarms the incident is opened from."), field="alarms")
    if len(alarms) > MAX_ALARMS:
        raise ValidationFailed(_("An incident is opened from at most %(n)s alarms.") % {"n": MAX_ALARMS},
                               field="alarms")
    title = validation.text(title, field="title", max_length=MAX_TITLE, required=_("Give the incident a title."))
    summary = validation.text(summary, field="summary", max_length=MAX_SUMMARY, multiline=True)
    alarms = _workable_alarms(actor, alarms)
    ports = {a.port_id for a in alarms}
    if len(ports) > 1:
        raise ValidationFailed(_("The alarms of an incident are all of one port."), field="alarms")
    _not_in_another_open_incident(alarms)
    port = Port.objects.get(pk=ports.pop())
    owners = {a.owner_id for a in alarms}
    owner_id = owners.pop() if len(owners) == 1 else (port.authority_id or actor.organisation_id)
    facilities = {a.facility_id for a in alarms}
    now = clock.now()
    incident = Incident.objects.create(
        port=port, facility_id=facilities.pop() if len(facilities) == 1 else None, owner_id=owner_id, title=title,
        summary=summary, state=IncidentState.OPEN, opened_at=now, opened_by=actor.label)
    IncidentAlarm.objects.bulk_create([IncidentAlarm(incident=incident, alarm=a, linked_at=now) for a in alarms])
    _tell_alarms(actor, alarms, incident, now)
    _act(actor, incident, "controlroom.incident.opened", IncidentEntryKind.OPENED, at=now,
         text="\n".join(_alarm_line(a) for a in alarms)[:MAX_NOTE],
         data={"title": title, "alarms": [a.pk for a in alarms], "facility": incident.facility_id})
    return incident


@transaction.atomic
def incident_link_alarm(*, actor: Principal, incident: Incident, alarm: Alarm) -> Incident:
    """Add an alarm of the same port (a camera saw the intruder leave) to an open incident."""
    incident = _workable(actor, incident)
    (alarm,) = _workable_alarms(actor, [alarm])
    if alarm.port_id != incident.port_id:
        raise ValidationFailed(_("Alarm #%(n)s is of another port than the incident.") % {"n": alarm.pk},
                               field="alarm")
    port_authority = Port.objects.filter(pk=incident.port_id).values_list("authority_id", flat=True).first()
    if alarm.owner_id != incident.owner_id and incident.owner_id != port_authority:
        # Everyone who reads the incident must read its alarms: a terminal's incident takes only its own.
        raise ValidationFailed(_("Alarm #%(n)s is another organisation's: open a new incident from all the alarms "
                                 "instead, which the port's authority will hold.") % {"n": alarm.pk}, field="alarm")
    if IncidentAlarm.objects.filter(incident=incident, alarm=alarm).exists():
        raise Conflict(_("Alarm #%(n)s is linked to this incident already.") % {"n": alarm.pk},
                       code="already_linked", field="alarm")
    _not_in_another_open_incident([alarm], incident)
    now = clock.now()
    IncidentAlarm.objects.create(incident=incident, alarm=alarm, linked_at=now)
    _tell_alarms(actor, [alarm], incident, now)
    _act(actor, incident, "controlroom.incident.alarm_linked", IncidentEntryKind.ALARM_LINKED, at=now,
         text=_alarm_line(alarm), data={"alarm": alarm.pk})
    return incident


@transaction.atomic
def incident_note(*, actor: Principal, incident: Incident, text: str) -> Incident:
    incident = _workable(actor, incident)
    text = validation.text(text, field="text", max_length=MAX_NOTE, required=_("Write the note."), multiline=True)
    _act(actor, incident, "controlroom.incident.noted", IncidentEntryKind.NOTE, text=text)
    return incident


def party_value(kind: str, value) -> str:
    """A party's value as stored, or a refusal on ``value`` that says what is wrong."""
    raw = value.strip() if isinstance(value, str) else ""
    if kind == PartyKind.CONTAINER:
        if not raw:
            raise ValidationFailed(_("Give the container number (ISO 6346, e.g. CSQU3054383)."), field="value")
        compact = iso6346.compact(raw)
        try:
            return iso6346.validate(compact)
        except InvalidChecksum:
            raise ValidationFailed(
                _("%(number)s has a wrong check digit: the last digit should be %(digit)s.")
                % {"number": compact, "digit": iso6346.calc_check_digit(compact[:10])}, field="value") from None
        except (InvalidLength, InvalidFormat, InvalidComponent):
            raise ValidationFailed(
                _("%(number)s is not a container number: four letters (the last one U, J or Z), six digits and "
                  "a check digit, e.g. CSQU3054383.") % {"number": compact[:20]}, field="value") from None
    if kind == PartyKind.VEHICLE:
        try:
            return normalise_value(raw)
        except ValidationFailed:
            raise ValidationFailed(_("%(plate)s is not a number plate: 2 to 64 letters and digits (spaces, "
                                     "dots and dashes are dropped).") % {"plate": raw[:40] or "''"},
                                   field="value") from None
    if kind == PartyKind.VESSEL:
        number = IMO_RE.match(raw)
        if number:
            try:
                return imo.format(imo.validate(number.group(1)))
            except ValidationError:
                raise ValidationFailed(_("IMO %(number)s is not an IMO number: its check digit does not match.")
                                       % {"number": number.group(1)}, field="value") from None
        return validation.text(raw, field="value", max_length=160,
                     required=_("Give the vessel's IMO number (e.g. IMO 9074729) or its name."))
    if kind == PartyKind.PERSON:
        return validation.text(raw, field="value", max_length=160, required=_("Give the person's name."))
    raise ValidationFailed(_("Choose a person, a vehicle, a container or a vessel."), field="kind")


@transaction.atomic
def incident_add_party(*, actor: Principal, incident: Incident, kind: str, value: str,
                       note: str = "") -> IncidentParty:
    """Record who or what was involved: a person, a vehicle (its plate), a container or a vessel."""
    incident = _workable(actor, incident)
    value = party_value(kind, value)
    note = validation.text(note, field="note", max_length=300)
    if IncidentParty.objects.filter(incident=incident, kind=kind, value=value).exists():
        raise Conflict(_("%(value)s is recorded on this incident already.") % {"value": value},
                       code="party_recorded", field="value")
    now = clock.now()
    party = IncidentParty.objects.create(incident=incident, kind=kind, value=value, note=note, added_at=now,
                                         added_by=actor.label)
    _act(actor, incident, "controlroom.incident.party_added", IncidentEntryKind.PARTY_ADDED, at=now,
         text=f"{value} · {note}" if note else value, data={"kind": kind, "value": value})
    return party


def _file_name(name, content_type: str) -> str:
    """A safe name (no path, no control characters) with the extension of what the file is.
    A name whose extension says another type is refused: the file is not what it claims."""
    name = name if isinstance(name, str) else ""
    name = UNSAFE_NAME_RE.sub("_", name.replace("\\", "/").rsplit("/", 1)[-1]).strip(" ._") or "attachment"
    stem, dot, extension = name.rpartition(".")
    extension = f".{extension.lower()}" if dot else ""
    known = {ext for exts in EXTENSIONS.values() for ext in exts}
    if extension in known and extension not in EXTENSIONS[content_type]:
        raise ValidationFailed(_("%(name)s is a %(actual)s file, not what its name says.")
                               % {"name": name[:80], "actual": TYPE_NAMES[content_type]}, field="file",
                               code="type_mismatch")
    if extension not in EXTENSIONS[content_type]:
        stem, extension = name, EXTENSIONS[content_type][0]
    return f"{stem[:200 - len(extension)]}{extension}"


@transaction.atomic
def incident_attach(*, actor: Principal, incident: Incident, name: str, data: bytes,
                    content_type: str = "") -> IncidentAttachment:
    """Attach a photo (JPEG or PNG) or a PDF, stored without its metadata. ``content_type``
    is what the sender claims; the bytes decide."""
    incident = _workable(actor, incident)
    if IncidentAttachment.objects.filter(incident=incident).count() >= MAX_ATTACHMENTS:
        raise Conflict(_("An incident holds at most %(n)s attachments.") % {"n": MAX_ATTACHMENTS},
                       code="too_many_attachments", field="file")
    if not data:
        raise ValidationFailed(_("The file is empty."), field="file")
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise ValidationFailed(_("A file is at most %(n)s MB.") % {"n": MAX_ATTACHMENT_BYTES // (1024 * 1024)},
                               field="file", code="too_large")
    actual = files.sniff(data)
    if actual is None:
        raise ValidationFailed(_("Only photos (JPEG, PNG) and PDF documents can be attached."), field="file",
                               code="unsupported_type")
    claimed = (content_type or "").split(";")[0].strip().lower()
    if claimed == "image/jpg":
        claimed = "image/jpeg"
    if claimed not in VAGUE_TYPES and claimed != actual:
        raise ValidationFailed(_("The file says it is %(claimed)s but it is a %(actual)s file.")
                               % {"claimed": claimed[:60], "actual": TYPE_NAMES[actual]}, field="file",
                               code="type_mismatch")
    name = _file_name(name, actual)
    try:
        data = files.strip(data, actual)
    except ValueError:
        if actual == PDF:
            raise ValidationFailed(_("%(name)s does not open as a PDF document: it is damaged, empty or "
                                     "protected by a password.") % {"name": name[:80]}, field="file") from None
        raise ValidationFailed(_("%(name)s does not open as a %(actual)s image.")
                               % {"name": name[:80], "actual": TYPE_NAMES[actual]}, field="file") from None
    now = clock.now()
    digest = hashlib.sha256(data).hexdigest()
    attachment = IncidentAttachment.objects.create(
        incident=incident, name=name, content_type=actual, data=data, size=len(data), sha256=digest, added_at=now,
        added_by=actor.label)
    _act(actor, incident, "controlroom.incident.attached", IncidentEntryKind.ATTACHMENT, at=now, text=name,
         data={"name": name, "content_type": actual, "size": len(data), "sha256": digest})
    return attachment


@transaction.atomic
def incident_close(*, actor: Principal, incident: Incident, report: str) -> Incident:
    """Close the incident with its report: what happened, what was done, what follows."""
    incident = _workable(actor, incident)
    report = validation.text(report, field="report", max_length=MAX_REPORT, multiline=True,
                   required=_("Write the closing report: what happened, what was done, what follows."))
    now = clock.now()
    incident.state = IncidentState.CLOSED
    incident.closed_at = now
    incident.closed_by = actor.label
    incident.report = report
    incident.save(update_fields=["state", "closed_at", "closed_by", "report"])
    _act(actor, incident, "controlroom.incident.closed", IncidentEntryKind.CLOSED, at=now, data={"report": report})
    return incident


# --- reading (the incidents' selectors) ----------------------------------------------------


def incident_list(*, principal: Principal) -> QuerySet[Incident]:
    """Incidents the principal may see: its organisation's, and every incident of the ports
    it holds a jurisdiction over (as for alarms)."""
    return Incident.objects.restrict(principal, "controlroom.view_alarm").select_related("port", "facility", "owner")


def workable_incidents(*, principal: Principal) -> QuerySet[Incident]:
    return Incident.objects.restrict(principal, "controlroom.work_alarm").select_related("port", "facility")


def incident_alarms(*, principal: Principal, incident: Incident) -> tuple[list[Alarm], int]:
    """The incident's alarms the principal may see, in the order they were linked, and how
    many others it holds (alarms of organisations the principal does not see)."""
    links = IncidentAlarm.objects.filter(incident=incident).order_by("linked_at", "id")
    visible = {a.pk: a for a in Alarm.objects.restrict(principal, "controlroom.view_alarm").filter(
        pk__in=links.values("alarm_id")).select_related("device", "facility", "port")}
    ids = list(links.values_list("alarm_id", flat=True))
    return [visible[pk] for pk in ids if pk in visible], sum(1 for pk in ids if pk not in visible)


def incident_timeline(*, incident: Incident) -> QuerySet[IncidentEntry]:
    return IncidentEntry.objects.filter(incident=incident).select_related("user").order_by("at", "id")


def incident_parties(*, incident: Incident) -> QuerySet[IncidentParty]:
    return IncidentParty.objects.filter(incident=incident).order_by("kind", "value")


def incident_attachments(*, incident: Incident, with_data: bool = False) -> QuerySet[IncidentAttachment]:
    qs = IncidentAttachment.objects.filter(incident=incident).order_by("added_at", "id")
    return qs if with_data else qs.defer("data")
