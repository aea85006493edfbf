"""Property-based API testing with schemathesis: no 5xx, and every answer as the schema documents it.

The schema is loaded from the running app's ``/api/v1/openapi.json`` over WSGI (no
network). Requests carry the Bearer token of a port security officer in the ``world``.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from havenwatch.wsgi import application  # noqa: E402  (Django is set up by pytest-django by now)
from tests.matrix import MatrixWorld

# Loading the schema runs no database query: only the API's own description of itself.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
# The COREOR import takes a raw EDIFACT interchange: send the generated text as it is.
schemathesis.serializer.alias("application/edifact", "text/plain")


@pytest.fixture
def pso_token(world):
    return MatrixWorld.make_token(world.pso(), "schemathesis")


@pytest.fixture
def keep_test_connection():
    """Called over WSGI, Django closes the database connection after each request; inside the
    test's transaction that would end it (PostgreSQL). Django's own test client does the same."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=20, derandomize=True, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
@pytest.mark.django_db
def test_api_never_fails_with_a_server_error_and_answers_as_documented(case, pso_token, keep_test_connection):
    case.call_and_validate(headers={"Authorization": f"Bearer {pso_token}"},
                           checks=[not_a_server_error, response_schema_conformance])
