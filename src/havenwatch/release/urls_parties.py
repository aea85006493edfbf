"""URLs of the forwarders' and hauliers' pages; spliced into the ``release`` namespace by
:mod:`havenwatch.release.urls` (mounted at ``/release/``)."""

from django.urls import path

from havenwatch.release.views import parties

urlpatterns: list = [
    path("inbox/", parties.inbox_view, name="inbox"),
    path("rights/<int:right_id>/accept/", parties.right_accept_view, name="right_accept"),
    path("rights/<int:right_id>/decline/", parties.right_decline_view, name="right_decline"),
    path("rights/<int:right_id>/transfer/", parties.right_transfer_view, name="right_transfer"),
    path("rights/<int:right_id>/revoke/", parties.right_revoke_view, name="right_revoke"),
    path("releases/<int:release_id>/assign/", parties.assign_view, name="assign"),
    path("assignments/<int:assignment_id>/cancel/", parties.assignment_cancel_view, name="assignment_cancel"),
]
