"""Filled by the edi pages."""

urlpatterns: list = []
