from django.urls import include, path

from havenwatch.api import api
from havenwatch.core.stream import event_stream

urlpatterns = [
    path("api/v1/stream", event_stream, name="event-stream"),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("access/", include("havenwatch.access.urls")),
    path("release/", include("havenwatch.release.urls")),
    path("controlroom/", include("havenwatch.controlroom.urls")),
    path("report/", include("havenwatch.reporting.urls_public")),
    path("reporting/", include("havenwatch.reporting.urls")),
    path("", include("havenwatch.core.urls")),
]
