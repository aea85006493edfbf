"""URLs of the customs pages (holds, the container lookup); spliced into the ``release``
namespace by :mod:`havenwatch.release.urls`."""

from django.urls import path

from havenwatch.release.views import customs

urlpatterns: list = [
    path("holds/", customs.hold_list, name="holds"),
    path("holds/place/", customs.hold_place, name="hold_place"),
    path("holds/<int:hold_id>/release/", customs.hold_release, name="hold_release"),
    path("containers/", customs.container_list, name="containers"),
]
