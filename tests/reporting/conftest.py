from tests.reporting.factories import rw  # noqa: F401
