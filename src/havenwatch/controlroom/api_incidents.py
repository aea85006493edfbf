"""Incidents over the API: the list, one incident with its alarms, timeline, parties and
attachments, and the acts of working it (open from alarms, link an alarm, note, add a party,
attach a file (multipart), close with a report), and the report as a PDF.

Mounted under ``/api/v1/controlroom/``. Reading needs ``controlroom.view_alarm``, acting
``controlroom.work_alarm``, on incidents the caller's organisation may see (as for alarms).
"""

from datetime import datetime

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from havenwatch.controlroom import selectors
from havenwatch.controlroom.incident_pdf import incident_filename, render_incident_pdf
from havenwatch.controlroom.models.incidents import IncidentState, PartyKind
from havenwatch.controlroom.schemas import DbId
from havenwatch.controlroom.services import incidents as incident_services
from havenwatch.core.api.common import Page, get_visible, need, principal_of

router = Router(tags=["control room: incidents"])


class IncidentOut(Schema):
    id: int
    port_id: int
    facility_id: int | None
    owner_id: int
    title: str
    summary: str
    state: str
    opened_at: datetime
    opened_by: str
    closed_at: datetime | None
    closed_by: str
    report: str


class IncidentAlarmOut(Schema):
    id: int
    title: str
    priority: int
    state: str
    rule_code: str
    rule_version: int
    first_event_at: datetime
    last_event_at: datetime


class IncidentEntryOut(Schema):
    at: datetime
    kind: str
    actor: str
    text: str


class IncidentPartyOut(Schema):
    id: int
    kind: str
    value: str
    note: str
    added_at: datetime
    added_by: str


class IncidentAttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str
    added_at: datetime
    added_by: str


class IncidentDetailOut(IncidentOut):
    alarms: list[IncidentAlarmOut]
    other_alarms: int = Field(..., description="Alarms of the incident that are of organisations you do not see.")
    timeline: list[IncidentEntryOut]
    parties: list[IncidentPartyOut]
    attachments: list[IncidentAttachmentOut]


class IncidentFilter(Schema):
    open: bool | None = Field(None, description="Only open (true) or closed (false) incidents.")
    port_id: DbId | None = None
    facility_id: DbId | None = None


class IncidentIn(Schema):
    alarm_ids: list[DbId] = Field(..., min_length=1, max_length=incident_services.MAX_ALARMS,
                                  description="The alarms the incident is opened from, all of one port.")
    title: str = Field(..., max_length=incident_services.MAX_TITLE)
    summary: str = Field("", max_length=incident_services.MAX_SUMMARY)


class IncidentLinkIn(Schema):
    alarm_id: DbId


class IncidentNoteIn(Schema):
    text: str = Field(..., max_length=incident_services.MAX_NOTE)


class IncidentPartyIn(Schema):
    kind: PartyKind
    value: str = Field(..., max_length=200, description=(
        "A person's name, a number plate, a container number (ISO 6346, check digit included) or a vessel's "
        "IMO number or name."))
    note: str = Field("", max_length=300)


class IncidentCloseIn(Schema):
    report: str = Field(..., max_length=incident_services.MAX_REPORT)


def _detail(actor, incident) -> dict:
    alarms, hidden = incident_services.incident_alarms(principal=actor, incident=incident)
    return {
        **{field: getattr(incident, field) for field in IncidentOut.model_fields},
        "alarms": alarms, "other_alarms": hidden,
        "timeline": list(incident_services.incident_timeline(incident=incident)),
        "parties": list(incident_services.incident_parties(incident=incident)),
        "attachments": list(incident_services.incident_attachments(incident=incident)),
    }


def _visible(request, incident_id: int):
    actor = principal_of(request)
    return actor, get_visible(incident_services.incident_list(principal=actor), incident_id, "incident")


def _workable(request, incident_id: int):
    actor = principal_of(request)
    need(actor, "controlroom.work_alarm")
    return actor, get_visible(incident_services.workable_incidents(principal=actor), incident_id, "incident")


@router.get("/incidents", response=list[IncidentOut], summary="Incidents you may see, the newest first")
@paginate(Page)
def incident_list(request, filters: Query[IncidentFilter]):
    qs = incident_services.incident_list(principal=principal_of(request))
    if filters.open is True:
        qs = qs.filter(state=IncidentState.OPEN)
    elif filters.open is False:
        qs = qs.filter(state=IncidentState.CLOSED)
    if filters.port_id is not None:
        qs = qs.filter(port_id=filters.port_id)
    if filters.facility_id is not None:
        qs = qs.filter(facility_id=filters.facility_id)
    return qs


@router.get("/incidents/{int:incident_id}", response=IncidentDetailOut,
            summary="One incident: its alarms, timeline, people and things involved, and attachments")
def incident_detail(request, incident_id: int):
    actor, incident = _visible(request, incident_id)
    return _detail(actor, incident)


@router.post("/incidents", response={201: IncidentDetailOut}, summary="Open an incident from alarms you work")
def incident_open(request, payload: IncidentIn):
    actor = principal_of(request)
    need(actor, "controlroom.work_alarm")
    workable = selectors.workable_alarms(principal=actor)
    alarms = [get_visible(workable, pk, "alarm") for pk in dict.fromkeys(payload.alarm_ids)]
    incident = incident_services.incident_open(actor=actor, alarms=alarms, title=payload.title,
                                               summary=payload.summary)
    return Status(201, _detail(actor, incident))


@router.post("/incidents/{int:incident_id}/alarms", response=IncidentDetailOut,
             summary="Link a further alarm of the same port")
def incident_link_alarm(request, incident_id: int, payload: IncidentLinkIn):
    actor, incident = _workable(request, incident_id)
    alarm = get_visible(selectors.workable_alarms(principal=actor), payload.alarm_id, "alarm")
    return _detail(actor, incident_services.incident_link_alarm(actor=actor, incident=incident, alarm=alarm))


@router.post("/incidents/{int:incident_id}/notes", response=IncidentDetailOut, summary="Add a note to the timeline")
def incident_note(request, incident_id: int, payload: IncidentNoteIn):
    actor, incident = _workable(request, incident_id)
    return _detail(actor, incident_services.incident_note(actor=actor, incident=incident, text=payload.text))


@router.post("/incidents/{int:incident_id}/parties", response={201: IncidentPartyOut},
             summary="Record a person, vehicle, container or vessel involved")
def incident_add_party(request, incident_id: int, payload: IncidentPartyIn):
    actor, incident = _workable(request, incident_id)
    return Status(201, incident_services.incident_add_party(actor=actor, incident=incident, kind=payload.kind,
                                                            value=payload.value, note=payload.note))


@router.post("/incidents/{int:incident_id}/attachments", response={201: IncidentAttachmentOut},
             summary="Attach a photo (JPEG, PNG) or a PDF, at most 10 MB (multipart/form-data, field 'file')")
def incident_attach(request, incident_id: int, file: File[UploadedFile]):
    actor, incident = _workable(request, incident_id)
    data = file.read(incident_services.MAX_ATTACHMENT_BYTES + 1)  # the service refuses what is past the bound
    return Status(201, incident_services.incident_attach(actor=actor, incident=incident, name=file.name or "",
                                                         content_type=file.content_type or "", data=data))


@router.post("/incidents/{int:incident_id}/close", response=IncidentDetailOut,
             summary="Close the incident with its report")
def incident_close(request, incident_id: int, payload: IncidentCloseIn):
    actor, incident = _workable(request, incident_id)
    return _detail(actor, incident_services.incident_close(actor=actor, incident=incident, report=payload.report))


_FILE = {"responses": {200: {"description": "The file as it is stored (photos without their metadata).",
                             "content": {"application/octet-stream": {"schema": {"type": "string",
                                                                                 "format": "binary"}}}}}}
_PDF = {"responses": {200: {"description": "The incident's report as an A4 PDF, in the request's language.",
                            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}}


@router.get("/incidents/{int:incident_id}/attachments/{int:attachment_id}", summary="One attachment's file",
            openapi_extra=_FILE)
def incident_attachment(request, incident_id: int, attachment_id: int):
    actor, incident = _visible(request, incident_id)
    attachment = get_visible(incident_services.incident_attachments(incident=incident, with_data=True),
                             attachment_id, "attachment")
    response = HttpResponse(bytes(attachment.data), content_type=attachment.content_type)
    response["Content-Disposition"] = content_disposition_header(True, attachment.name)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.get("/incidents/{int:incident_id}/pdf", summary="The incident's report as a PDF", openapi_extra=_PDF)
def incident_pdf(request, incident_id: int):
    actor, incident = _visible(request, incident_id)
    response = HttpResponse(render_incident_pdf(principal=actor, incident=incident), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{incident_filename(incident)}"'
    response["Cache-Control"] = "no-store"
    return response
