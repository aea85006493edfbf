from __future__ import annotations

import pytest
from django.conf import settings
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
