"""The control room's pages (see docs/controlroom.md, "The operator's screen")."""

from havenwatch.controlroom import urls_operator, urls_setup

app_name = "controlroom"

urlpatterns = [
    # operators: the screen (map and queue), the wall screen, alarms and their timelines
    *urls_operator.urlpatterns,
    # officers: devices, rules (with "would it have fired"), procedures, watch lists
    *urls_setup.urlpatterns,
]
