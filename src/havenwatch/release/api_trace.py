"""A container's chain of custody over the API: the document an investigator files, as JSON
or PDF, for the authorities over the terminal's port, the port security officer and
auditors (``release.trace``; no token may hold it). Every read is audited."""

from datetime import datetime

from django.http import HttpResponse
from ninja import Field, Router, Schema

from havenwatch.core.api.common import need, principal_of
from havenwatch.release.services.traces import trace_read
from havenwatch.release.trace import trace_filename, traceable_container
from havenwatch.release.trace_pdf import render_trace_pdf

router = Router(tags=["release: traceability"])


# --- the document ---------------------------------------------------------------------


class TraceLightOut(Schema):
    light: str = Field(..., description="commercial, customs or terminal")
    label: str
    state: str = Field(..., description="green or red")
    state_label: str


class TraceReleaseOut(Schema):
    id: int
    version: int
    status: str = Field(..., description="active, blocked, revoked, withdrawn, picked_up")
    status_label: str
    status_reason: str
    shipping_line: str
    bill_of_lading: str
    valid_from: datetime
    valid_from_local: str
    valid_until: datetime
    valid_until_local: str


class TraceSummaryOut(Schema):
    release: TraceReleaseOut | None = Field(..., description="The live release, else the latest one.")
    holder: str | None = Field(..., description="The organisation holding the release right now.")
    lights: list[TraceLightOut]
    all_green: bool
    discharged_at: datetime | None
    discharged_at_local: str


class TraceRoleOut(Schema):
    code: str = Field(..., description="shipping_line, first_party, release_party, haulier, customs, terminal")
    label: str


class TracePartyOut(Schema):
    id: int
    name: str
    roles: list[TraceRoleOut]


class TraceStepOut(Schema):
    sequence: int = Field(..., description="The audit record's sequence number: verify it with the audit chain.")
    occurred_at: datetime
    occurred_at_local: str = Field(..., description="The time in the port's time zone, as people read it.")
    code: str = Field(..., description="The event type (see GET /event-types).")
    act: str
    organisation: str
    actor: str
    data: dict = Field(..., description="The data recorded with the act, as the audit chain holds it.")
    description: str = Field(..., description="The data in words, in the request's language.")
    verified: bool = Field(..., description="The record recomputes and is linked to its neighbours in the chain.")


class TraceGeneratedByOut(Schema):
    actor: str
    organisation: str


class TraceVerificationOut(Schema):
    intact: bool
    checked: int
    broken: list[int] = Field(..., description="Sequence numbers of records that do not match the chain.")
    explanation: str


class TraceOut(Schema):
    container: str
    terminal: str
    terminal_isps: str
    port: str
    time_zone: str
    title: str
    generated_at: datetime
    generated_at_local: str
    generated_by: TraceGeneratedByOut
    read_sequence: int = Field(..., description="The audit record of this reading.")
    summary: TraceSummaryOut
    parties: list[TracePartyOut]
    steps: list[TraceStepOut]
    verification: TraceVerificationOut
    note: str


NUMBER_ERRORS = """
A number that is not a container number (ISO 6346, check digit included) is a `400`
problem that says what is wrong, e.g. the check digit it should have. A container that
does not exist and one outside your ports are the same `404`. Every read is recorded in the
audit chain (`release.trace.read`), not published to the parties.
"""


def _read(request, number: str, fmt: str) -> dict:
    actor = principal_of(request)
    need(actor, "release.trace")
    container = traceable_container(principal=actor, number=number)
    return trace_read(principal=actor, container=container, fmt=fmt)


@router.get("/containers/{number}/trace", response=TraceOut,
            summary="A container's chain of custody: every act, party, time and actor, from the audit chain",
            description=NUMBER_ERRORS)
def container_trace(request, number: str):
    return _read(request, number, "json")


_PDF = {"responses": {200: {"description": "The chain of custody as an A4 PDF, in the request's language.",
                            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}}


@router.get("/containers/{number}/trace.pdf", summary="A container's chain of custody as a PDF",
            description=NUMBER_ERRORS, openapi_extra=_PDF)
def container_trace_pdf(request, number: str):
    document = _read(request, number, "pdf")
    response = HttpResponse(render_trace_pdf(document), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{trace_filename(document["container"], "pdf")}"'
    response["Cache-Control"] = "no-store"
    return response
