"""URLs of the screening pages; included by :mod:`havenwatch.access.urls` in the ``access`` namespace."""

from django.urls import path

from havenwatch.access.views import screening

urlpatterns: list = [
    # port bans (authorities)
    path("bans/", screening.ban_list_view, name="bans"),
    path("bans/new/", screening.ban_issue_view, name="ban_issue"),
    path("bans/new/<int:person_id>/", screening.ban_issue_person_view, name="ban_issue_person"),
    path("bans/<int:ban_id>/", screening.ban_detail, name="ban_detail"),
    path("bans/<int:ban_id>/lift/", screening.ban_lift_view, name="ban_lift"),
    # the companies' ban check: hit / no hit / unavailable
    path("ban-check/", screening.ban_check_view, name="ban_check"),
    # security verifications
    path("verifications/", screening.verification_list_view, name="verifications"),
    path("verifications/new/", screening.verification_request_view, name="verification_request"),
    path("verifications/<int:verification_id>/", screening.verification_detail, name="verification_detail"),
    path("verifications/<int:verification_id>/decide/", screening.verification_decide_view,
         name="verification_decide"),
]
