"""The EDIFACT pages: shipping lines that still send COREOR import them here."""

from django.urls import path

from havenwatch.release.views import edi

urlpatterns: list = [
    path("import/", edi.coreor_import_view, name="coreor_import"),
]
