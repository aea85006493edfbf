import pytest

from tests.dbtools import install_flush_hook


@pytest.fixture(scope="session", autouse=True)
def _flushable_audit_table():
    """``transaction=True`` tests end with a flush that the audit triggers would refuse."""
    uninstall = install_flush_hook()
    yield
    uninstall()
