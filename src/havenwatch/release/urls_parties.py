"""Filled by the parties pages."""

urlpatterns: list = []
