"""Officers' pages: devices, rules (with "would it have fired?"), procedures, watch lists;
spliced into the ``controlroom`` namespace by :mod:`havenwatch.controlroom.urls`.

``rule_edit`` and ``sop_edit`` have two addresses: without an id a new one, with an id the
next version of that one (``reverse("controlroom:rule_edit")`` or ``…, args=[rule.pk]``).
"""

from django.urls import path

from havenwatch.controlroom.views import setup_devices, setup_lists, setup_rules

urlpatterns: list = [
    path("devices/", setup_devices.device_list, name="devices"),
    path("devices/new/", setup_devices.device_register, name="device_register"),
    path("devices/token/", setup_devices.device_token, name="device_token"),
    path("devices/<int:device_id>/", setup_devices.device_detail, name="device"),
    path("devices/<int:device_id>/edit/", setup_devices.device_edit, name="device_edit"),
    path("devices/<int:device_id>/retire/", setup_devices.device_retire, name="device_retire"),
    path("rules/", setup_rules.rule_list, name="rules"),
    path("rules/new/", setup_rules.rule_edit, name="rule_edit"),
    path("rules/<int:rule_id>/", setup_rules.rule_detail, name="rule"),
    path("rules/<int:rule_id>/edit/", setup_rules.rule_edit, name="rule_edit"),
    path("rules/<int:rule_id>/versions/<int:version>/", setup_rules.rule_version, name="rule_version"),
    path("procedures/", setup_lists.sop_list, name="sops"),
    path("procedures/new/", setup_lists.sop_edit, name="sop_edit"),
    path("procedures/<int:sop_id>/edit/", setup_lists.sop_edit, name="sop_edit"),
    path("watchlists/", setup_lists.watchlist_list, name="watchlists"),
    path("watchlists/<int:watchlist_id>/", setup_lists.watchlist_detail, name="watchlist"),
]
