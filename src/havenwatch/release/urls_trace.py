"""The investigator's pages: a container's chain of custody, as a timeline, JSON and PDF."""

from django.urls import path

from havenwatch.release.views import trace

urlpatterns: list = [
    path("trace/", trace.trace, name="trace"),
    path("trace/<str:number>/", trace.trace_detail, name="trace_detail"),
    path("trace/<str:number>.json", trace.trace_json, name="trace_json"),
    path("trace/<str:number>.pdf", trace.trace_pdf, name="trace_pdf"),
]
