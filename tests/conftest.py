from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import override_settings
from django.utils import translation

from havenwatch.core import crypto
from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.principal import system_principal
from tests.dbtools import install_flush_hook
from tests.factories import FacilityFactory, OrganisationFactory, PortFactory, principal


@pytest.fixture(scope="session", autouse=True)
def _flushable_audit_table():
    """``transaction=True`` tests (and the browser tests' live server) end with a flush
    that the audit table's append-only triggers would refuse: lift them for the flush."""
    uninstall = install_flush_hook()
    yield
    uninstall()


@pytest.fixture(autouse=True)
def _fresh_keys(tmp_path, settings):
    """Each test gets its own instance signing key."""
    settings.HAVENWATCH = {**settings.HAVENWATCH, "SIGNING_KEY_FILE": str(tmp_path / "signing_key")}
    crypto.signing_key.cache_clear()
    crypto._secret_box.cache_clear()
    yield
    crypto.signing_key.cache_clear()


@pytest.fixture(autouse=True)
def _default_language():
    """A request in Dutch or French leaves its language active in the thread (Django's
    LocaleMiddleware does not switch back): every test starts and ends in the default."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@contextmanager
def shared_database(django_db_blocker, key_dir: Path) -> Iterator[None]:
    """A database state built once and shared by the tests of a module (or a session).

    Use it in a fixture of a wider scope than the test, and build the state inside it::

        @pytest.fixture(scope="module")
        def _seeded(django_db_setup, django_db_blocker, tmp_path_factory):
            with shared_database(django_db_blocker, tmp_path_factory.mktemp("keys")):
                yield seed(scale="small")

    Everything happens in one transaction, rolled back at the end. Each test that asks
    for ``db`` runs inside it in a savepoint of its own, rolled back after the test, so
    every test starts from the state as it was built, as if it had been built for it
    alone. The state's audit checkpoints are signed with one key, which its tests must
    keep: the module overrides ``_fresh_keys`` (each test its own key) with a fixture that
    asks for the shared state and does nothing else.
    """
    keys = override_settings(HAVENWATCH={**settings.HAVENWATCH, "SIGNING_KEY_FILE": str(key_dir / "signing_key")})
    keys.enable()
    crypto.signing_key.cache_clear()
    try:
        with django_db_blocker.unblock(), transaction.atomic():
            try:
                yield
            finally:
                transaction.set_rollback(True)
    finally:
        keys.disable()
        crypto.signing_key.cache_clear()


def analyze_tables() -> None:
    """Give PostgreSQL's planner statistics of the rows written so far in this transaction.

    A table's statistics are otherwise whatever autovacuum last saw, maybe a nearly empty
    table: after a bulk import the planner may then pick nested loops over thousands of
    rows (one such query of ``tests/access/test_seed_population.py`` took 90 s instead of
    10 ms in a full run). Statistics are transactional: the rollback takes these away.
    """
    if connection.vendor != "postgresql":
        return
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(table) for table in sorted(tables)))


@pytest.fixture
def system():
    return system_principal(label="test")


class PortWorld:
    """Two ports, each with an authority, a facility operator with a facility, and a company.

    ``own`` is the first port's side, ``foreign`` the second's: the permission tests act
    from one and reach for the other.
    """

    def __init__(self) -> None:
        self.authority = OrganisationFactory(name="Port Authority A", kind=OrganisationKind.PORT_AUTHORITY)
        self.port = PortFactory(name="Port A", unlocode="BEAAA", authority=self.authority)
        self.operator = OrganisationFactory(name="Terminal Operator A", kind=OrganisationKind.FACILITY_OPERATOR)
        self.facility = FacilityFactory(name="Terminal A", isps_number="BEAAA-0001", port=self.port,
                                        operator=self.operator)
        self.company = OrganisationFactory(name="Haulier A", kind=OrganisationKind.TRANSPORT_COMPANY)
        self.foreign_authority = OrganisationFactory(name="Port Authority B", kind=OrganisationKind.PORT_AUTHORITY)
        self.foreign_port = PortFactory(name="Port B", unlocode="BEBBB", authority=self.foreign_authority)
        self.foreign_operator = OrganisationFactory(name="Terminal Operator B",
                                                    kind=OrganisationKind.FACILITY_OPERATOR)
        self.foreign_facility = FacilityFactory(name="Terminal B", isps_number="BEBBB-0001", port=self.foreign_port,
                                                operator=self.foreign_operator)
        self.platform = OrganisationFactory(name="Platform", kind=OrganisationKind.PLATFORM)

    def pso(self):
        return principal(Role.PORT_SECURITY_OFFICER, self.authority)

    def pfso(self):
        return principal(Role.FACILITY_SECURITY_OFFICER, self.operator)

    def foreign_pfso(self):
        return principal(Role.FACILITY_SECURITY_OFFICER, self.foreign_operator)

    def admin(self):
        return principal(Role.PLATFORM_ADMIN, self.platform)


@pytest.fixture
def world(db):
    return PortWorld()


def pytest_collection_modifyitems(config, items):
    # Browser tests need the live server's database flushes: run them last.
    items.sort(key=lambda item: 1 if item.get_closest_marker("browser") else 0)


__all__ = ["settings"]
