"""URLs of the places pages; included by :mod:`havenwatch.access.urls` in the ``access`` namespace."""

from django.urls import path

from havenwatch.access.views import places, rights

urlpatterns: list = [
    # zones and access points
    path("zones/", places.zone_overview, name="zones"),
    path("zones/new/", places.zone_create_view, name="zone_create"),
    path("zones/<int:zone_id>/", places.zone_detail, name="zone_detail"),
    path("zones/<int:zone_id>/access-points/new/", places.access_point_create_view, name="access_point_create"),
    # authorisations
    path("authorisations/", rights.authorisation_overview, name="authorisations"),
    path("authorisations/new/", rights.authorisation_grant_view, name="authorisation_grant"),
    path("authorisations/<int:authorisation_id>/revoke/", rights.authorisation_revoke_view,
         name="authorisation_revoke"),
    # facility activations of port-wide credentials
    path("activations/", rights.enrolment_overview, name="enrolments"),
    path("activations/activate/", rights.enrolment_activate_view, name="enrolment_activate"),
    path("activations/<int:enrolment_id>/deactivate/", rights.enrolment_deactivate_view,
         name="enrolment_deactivate"),
    # organisations approved to announce visitors
    path("announcers/", rights.announcer_overview, name="announcers"),
    path("announcers/approve/", rights.announcer_approve_view, name="announcer_approve"),
]
