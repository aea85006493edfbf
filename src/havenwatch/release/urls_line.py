"""Filled by the line pages."""

urlpatterns: list = []
