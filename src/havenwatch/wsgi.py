"""WSGI entry point, for deployments that prefer a WSGI server."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "havenwatch.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
