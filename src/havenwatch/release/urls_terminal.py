"""URLs of the terminal's pages; spliced into the ``release`` namespace by
:mod:`havenwatch.release.urls` (mounted at ``/release/``)."""

from django.urls import path

from havenwatch.release.views import terminal

urlpatterns: list = [
    path("expected/", terminal.expected_view, name="expected"),
    path("containers/<int:container_id>/discharge/", terminal.discharge_view, name="discharge"),
    path("gate/", terminal.gate_view, name="gate"),
    path("attempts/", terminal.attempts_view, name="attempts"),
    path("attempts/<int:attempt_id>/override/", terminal.attempt_override_view, name="attempt_override"),
]
