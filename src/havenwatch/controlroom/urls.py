"""The control room's pages (see docs/controlroom.md, "The operator's screen")."""

from django.urls import path

from havenwatch.controlroom import urls_incidents, urls_operator, urls_setup
from havenwatch.controlroom.views import links

app_name = "controlroom"

urlpatterns = [
    # operators: the screen (map and queue), the wall screen, alarms and their timelines
    *urls_operator.urlpatterns,
    # officers: devices, rules (with "would it have fired"), procedures, watch lists
    *urls_setup.urlpatterns,
    # incidents: opened from alarms, followed up to the closing report (PDF)
    *urls_incidents.urlpatterns,
    # a snapshot link sent by e-mail or to a phone: signed for one person, expires, needs a sign-in
    path("s/<str:token>/", links.snapshot_link, name="snapshot_link"),
]
