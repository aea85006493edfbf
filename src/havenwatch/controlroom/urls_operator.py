"""Operators' pages: the screen, the wall screen, alarms."""

urlpatterns: list = []
