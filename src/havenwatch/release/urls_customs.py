"""Filled by the customs pages."""

urlpatterns: list = []
