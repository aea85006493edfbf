"""URLs of the releases pages (the list, the shipping line's acts, one release); spliced
into the ``release`` namespace by :mod:`havenwatch.release.urls`."""

from django.urls import path

from havenwatch.release.views import lines

urlpatterns: list = [
    path("releases/", lines.release_list, name="releases"),
    path("releases/new/", lines.release_issue, name="release_issue"),
    path("releases/<int:release_id>/", lines.release_detail, name="release_detail"),
    path("releases/<int:release_id>/edit/", lines.release_edit, name="release_edit"),
    path("releases/<int:release_id>/block/", lines.release_block, name="release_block"),
    path("releases/<int:release_id>/unblock/", lines.release_unblock, name="release_unblock"),
    path("releases/<int:release_id>/revoke/", lines.release_revoke, name="release_revoke"),
    path("releases/<int:release_id>/reissue/", lines.release_reissue, name="release_reissue"),
]
