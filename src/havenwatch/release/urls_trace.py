"""Filled by the trace pages."""

urlpatterns: list = []
