"""Filled by the terminal pages."""

urlpatterns: list = []
