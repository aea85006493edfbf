"""Operators' pages: the screen, the wall screen, alarms; spliced into the ``controlroom``
namespace by :mod:`havenwatch.controlroom.urls` (mounted at ``/controlroom/``)."""

from django.urls import path

from havenwatch.controlroom.views import operator

urlpatterns: list = [
    path("", operator.screen_view, name="screen"),
    path("screen/queue/", operator.queue_view, name="queue"),
    path("screen/map.json", operator.map_data_view, name="map_data"),
    path("wall/", operator.wall_view, name="wall"),
    path("alarms/", operator.alarm_list_view, name="alarms"),
    path("alarms/<int:alarm_id>/", operator.alarm_view, name="alarm"),
    path("alarms/<int:alarm_id>/panel/", operator.alarm_panel_view, name="alarm_panel"),
    path("alarms/<int:alarm_id>/acknowledge/", operator.alarm_acknowledge_view, name="alarm_acknowledge"),
    path("alarms/<int:alarm_id>/start/", operator.alarm_start_view, name="alarm_start"),
    path("alarms/<int:alarm_id>/note/", operator.alarm_note_view, name="alarm_note"),
    path("alarms/<int:alarm_id>/step/", operator.alarm_step_view, name="alarm_step"),
    path("alarms/<int:alarm_id>/close/", operator.alarm_close_view, name="alarm_close"),
    path("events/<int:event_id>/snapshot/", operator.snapshot_view, name="snapshot"),
]
