"""URLs of the screening pages; included by :mod:`havenwatch.access.urls` in the ``access`` namespace."""

urlpatterns: list = []
