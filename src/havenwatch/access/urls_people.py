"""URLs of the people pages; included by :mod:`havenwatch.access.urls` in the ``access`` namespace."""

urlpatterns: list = []
