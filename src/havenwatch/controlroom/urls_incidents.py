"""Incidents' pages; spliced into the ``controlroom`` namespace by
:mod:`havenwatch.controlroom.urls` (mounted at ``/controlroom/``)."""

from django.urls import path

from havenwatch.controlroom.views import incidents

urlpatterns: list = [
    path("incidents/", incidents.incident_list, name="incidents"),
    path("incidents/new/", incidents.incident_open, name="incident_open"),
    path("incidents/<int:incident_id>/", incidents.incident_detail, name="incident"),
    path("incidents/<int:incident_id>/report.pdf", incidents.incident_pdf, name="incident_pdf"),
    path("incidents/<int:incident_id>/note/", incidents.incident_note, name="incident_note"),
    path("incidents/<int:incident_id>/link/", incidents.incident_link, name="incident_link"),
    path("incidents/<int:incident_id>/party/", incidents.incident_party, name="incident_party"),
    path("incidents/<int:incident_id>/attach/", incidents.incident_attach, name="incident_attach"),
    path("incidents/<int:incident_id>/close/", incidents.incident_close, name="incident_close"),
    path("incidents/<int:incident_id>/attachments/<int:attachment_id>/", incidents.incident_attachment,
         name="incident_attachment"),
]
