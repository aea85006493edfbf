from django.urls import path

from havenwatch.access import urls_people, urls_places, urls_screening
from havenwatch.access.views import gate, visits

app_name = "access"

urlpatterns = [
    # the guard's gate screen, decision history, mustering
    path("gate/", gate.gate_screen, name="gate"),
    path("gate/decide/", gate.gate_decide_view, name="gate_decide"),
    path("gate/events/<int:event_id>/override/", gate.gate_override_view, name="gate_override"),
    path("events/", gate.event_history, name="events"),
    path("inside/", gate.who_is_inside_view, name="inside"),
    # visit pre-notification
    path("visits/", visits.visit_list, name="visits"),
    path("visits/new/", visits.visit_announce_view, name="visit_announce"),
    path("visits/policy/", visits.visit_policy_view, name="visit_policy"),
    path("visits/<int:visit_id>/", visits.visit_detail, name="visit_detail"),
    path("visits/<int:visit_id>/approve/", visits.visit_approve_view, name="visit_approve"),
    path("visits/<int:visit_id>/reject/", visits.visit_reject_view, name="visit_reject"),
    path("visits/<int:visit_id>/cancel/", visits.visit_cancel_view, name="visit_cancel"),
    # people, credentials and vehicles (company access managers)
    *urls_people.urlpatterns,
    # zones, access points, facility activations, authorisations, announcers (PFSOs)
    *urls_places.urlpatterns,
    # port bans and security verifications (authorities)
    *urls_screening.urlpatterns,
]
