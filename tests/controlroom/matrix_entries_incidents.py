"""Incidents in the permission matrix (see tests/matrix.py and matrix_entries.py).

World rows: an open incident at Terminal A (the ``operator`` organisation's, in port A),
opened from an alarm of its own, with a PDF attached; one at Terminal B likewise. The
world's free ``alarm`` rows (matrix_entries.py) are what new incidents are opened from and
what is linked. Reading is for those who see alarms, acting for those who work them.
"""

from __future__ import annotations

from django.test.client import encode_multipart

from tests.controlroom.matrix_entries import _alarm
from tests.matrix import ADMIN, ALL_ROLES, AUD, INV, OP, PFSO, PSO, Entry, ids_of, register, register_world

VIEWERS = frozenset({ADMIN, PSO, PFSO, OP, AUD, INV})
WORKERS = frozenset({ADMIN, PSO, PFSO, OP})
API = "/api/v1/controlroom"
BOUNDARY = "MaTrIxBoUnDaRy"
PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
       b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
       b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj\n"
       b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n0000000115 00000 n \n"
       b"trailer << /Size 4 /Root 1 0 R >>\nstartxref\n186\n%%EOF\n")  # one page, ASCII: sent in a text body


def _incident(world, facility, device_id) -> tuple[int, int]:
    from havenwatch.controlroom.models import Alarm
    from havenwatch.controlroom.services.incidents import incident_attach, incident_open
    from havenwatch.core.principal import system_principal

    alarm = Alarm.objects.get(pk=_alarm(facility, device_id))
    incident = incident_open(actor=system_principal(), alarms=[alarm], title="Matrix incident")
    attachment = incident_attach(actor=system_principal(), incident=incident, name="matrix.pdf", data=PDF,
                                 content_type="application/pdf")
    return incident.pk, attachment.pk


def _world(world) -> None:
    own_device = world.own_objects[world.orgs["operator"].pk]["device"]
    incident, attachment = _incident(world, world.facility, own_device)
    for org in world.orgs.values():
        world.own_objects[org.pk]["incident"] = incident
        world.own_objects[org.pk]["attachment"] = attachment
    world.foreign_objects["incident"], world.foreign_objects["attachment"] = _incident(
        world, world.foreign_facility, world.foreign_objects["device"])


register_world(_world)


def _open_body(world, ctx, side):
    return {"alarm_ids": [world.objects_for(ctx, side)["alarm"]], "title": "Matrix: opened"}


def _file_body(world, ctx, side):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return encode_multipart(BOUNDARY, {"file": SimpleUploadedFile("statement.pdf", PDF, "application/pdf")}).decode(
        "ascii")


register(
    Entry("GET", f"{API}/incidents?limit=500", allowed=ALL_ROLES, leak=ids_of("incident")),
    Entry("GET", f"{API}/incidents/{{incident}}", allowed=VIEWERS, denied=404, foreign=404),
    Entry("GET", f"{API}/incidents/{{incident}}/pdf", allowed=VIEWERS, denied=404, foreign=404),
    Entry("GET", f"{API}/incidents/{{incident}}/attachments/{{attachment}}", allowed=VIEWERS, denied=404,
          foreign=404),
    Entry("POST", f"{API}/incidents", allowed=WORKERS, ok=201, foreign=404, body=_open_body),
    Entry("POST", f"{API}/incidents/{{incident}}/alarms", allowed=WORKERS, foreign=404,
          body=lambda w, c, s: {"alarm_id": w.objects_for(c, s)["alarm"]}),
    Entry("POST", f"{API}/incidents/{{incident}}/notes", allowed=WORKERS, foreign=404,
          body=lambda w, c, s: {"text": "matrix note"}),
    Entry("POST", f"{API}/incidents/{{incident}}/parties", allowed=WORKERS, ok=201, foreign=404,
          body=lambda w, c, s: {"kind": "container", "value": "CSQU3054383"}),
    Entry("POST", f"{API}/incidents/{{incident}}/attachments", allowed=WORKERS, ok=201, foreign=404,
          body=_file_body, content_type=f"multipart/form-data; boundary={BOUNDARY}"),
    Entry("POST", f"{API}/incidents/{{incident}}/close", allowed=WORKERS, foreign=404,
          body=lambda w, c, s: {"report": "matrix: nothing found"}),
)
