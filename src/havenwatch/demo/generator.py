"""The synthetic port: deterministic for a seed, built only through the apps' services."""

from __future__ import annotations

import base64
import hashlib
import random
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.models import Facility, Organisation, Port, User
from havenwatch.core.permissions import TOTP_REQUIRED_ROLES
from havenwatch.core.principal import system_principal
from havenwatch.core.services import auth as auth_services
from havenwatch.core.services import organisations as org_services
from havenwatch.core.services import places as place_services
from havenwatch.core.services import users as user_services
from havenwatch.demo import data
from havenwatch.demo.registry import seeder, seeders
from havenwatch.demo.scales import SCALES, Scale


@dataclass
class DemoLogin:
    username: str
    password: str
    role: str
    organisation: str
    totp_secret: str | None = None


@dataclass
class SeedContext:
    scale: Scale
    seed: int
    rng: random.Random
    actor: Any
    ports: list[Port] = field(default_factory=list)
    facilities: list[Facility] = field(default_factory=list)
    organisations: dict[str, Organisation] = field(default_factory=dict)
    logins: list[DemoLogin] = field(default_factory=list)
    progress: Any = None  # callable(label, done, total)

    def report(self, label: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(label, done, total)


def demo_password(seed: int, username: str) -> str:
    digest = hashlib.sha256(f"havenwatch-demo:{seed}:{username}".encode()).hexdigest()
    return f"Harbour-{username}-{digest[:6]}"


def demo_totp_secret(seed: int, username: str) -> str:
    digest = hashlib.sha256(f"havenwatch-demo-totp:{seed}:{username}".encode()).digest()
    return base64.b32encode(digest[:20]).decode()


def is_seeded() -> bool:
    return Organisation.objects.filter(kind=OrganisationKind.PLATFORM).exists()


# Users of the demo, one per role, in the first port.
DEMO_USERS = [
    ("admin", Role.PLATFORM_ADMIN, "platform", "Alex", "Admin"),
    ("pso", Role.PORT_SECURITY_OFFICER, "authority", "Petra", "Peeters"),
    ("pfso", Role.FACILITY_SECURITY_OFFICER, "operator", "Frank", "De Smet"),
    ("operator", Role.CONTROL_ROOM_OPERATOR, "authority", "Olivia", "Janssens"),
    ("guard", Role.GATE_GUARD, "operator", "Gert", "Maes"),
    ("accessmgr", Role.COMPANY_ACCESS_MANAGER, "company", "Anke", "Willems"),
    ("agent", Role.SHIPPING_AGENT, "shipping_line", "Sam", "Claes"),
    ("forwarder", Role.FORWARDER, "forwarder", "Fien", "Goossens"),
    ("planner", Role.HAULIER_PLANNER, "transport_company", "Hugo", "Wouters"),
    ("driver", Role.DRIVER, "transport_company", "Dirk", "Mertens"),
    ("investigator", Role.AUTHORITY_INVESTIGATOR, "police", "Ines", "Dubois"),
    ("customs", Role.AUTHORITY_INVESTIGATOR, "customs", "Carla", "Vermeulen"),
    ("committee", Role.COMMITTEE_MEMBER, "committee", "Karel", "Lambert"),
    ("auditor", Role.AUDITOR, "maritime_authority", "Aline", "Lemaire"),
]


@seeder("core", order=0, label="organisations, ports, facilities and users")
def seed_core(ctx: SeedContext) -> None:
    actor = ctx.actor
    serial = 1
    platform = org_services.organisation_create(actor=actor, name="havenwatch platform operator",
                                                kind=OrganisationKind.PLATFORM, country="BE", slug="platform")
    ctx.organisations["platform"] = platform
    national = org_services.organisation_create(actor=actor, name="Maritime Security Unit",
                                                kind=OrganisationKind.MARITIME_AUTHORITY, country="BE",
                                                slug="maritime-security-unit")
    ctx.organisations["maritime_authority"] = national
    total_ports = ctx.scale.ports
    for index, (name, code, (lat, lon), authority_name) in enumerate(data.PORTS[:total_ports]):
        serial += 1
        authority = org_services.organisation_create(
            actor=actor, name=authority_name, kind=OrganisationKind.PORT_AUTHORITY, country="BE",
            vat_number=data.belgian_vat(serial), slug=f"authority-{code.lower()}",
        )
        port = place_services.port_create(actor=actor, name=name, unlocode=code, authority=authority,
                                          boundary=data.square(lat, lon, 0.09, 0.16))
        org_services.jurisdiction_grant(actor=actor, organisation=national, port=port)
        ctx.ports.append(port)
        if index == 0:
            ctx.organisations["authority"] = authority
        for kind, template in data.AUTHORITIES:
            if kind == "maritime_authority":
                continue
            short = name.split("(")[-1].rstrip(")")  # "Antwerp-Bruges (Zeebrugge)" -> "Zeebrugge"
            org = org_services.organisation_create(actor=actor, name=template.format(port=short), kind=kind,
                                                   country="BE", slug=f"{kind}-{code.lower()}")
            org_services.jurisdiction_grant(actor=actor, organisation=org, port=port)
            if index == 0:
                ctx.organisations[kind] = org
        # Facility operators and their facilities.
        count = ctx.scale.facilities_per_port
        for n in range(count):
            serial += 1
            base_name = data.FACILITY_NAMES[n % len(data.FACILITY_NAMES)]
            label = base_name if n < len(data.FACILITY_NAMES) else f"{base_name} {n // len(data.FACILITY_NAMES) + 1}"
            operator = org_services.organisation_create(
                actor=actor, name=f"{label} NV ({code})", kind=OrganisationKind.FACILITY_OPERATOR, country="BE",
                vat_number=data.belgian_vat(serial), slug=f"operator-{code.lower()}-{n + 1}",
            )
            flat = lat + ctx.rng.uniform(-0.07, 0.07)
            flon = lon + ctx.rng.uniform(-0.12, 0.12)
            facility = place_services.facility_create(
                actor=actor, port=port, operator=operator, name=label, isps_number=f"{code}-{n + 1:04d}",
                geometry=data.square(flat, flon, 0.006, 0.01),
            )
            ctx.facilities.append(facility)
            if index == 0 and n == 0:
                ctx.organisations["operator"] = operator
            ctx.report("facilities", len(ctx.facilities), total_ports * count)
        # Companies of the port.
        companies = ctx.scale.companies_per_port
        for n in range(companies):
            serial += 1
            kind, names = data.COMPANY_KINDS[n % len(data.COMPANY_KINDS)]
            base = names[(n // len(data.COMPANY_KINDS)) % len(names)]
            round_ = n // (len(data.COMPANY_KINDS) * len(names))
            org_name = base if round_ == 0 else f"{base} {round_ + 1}"
            org = org_services.organisation_create(
                actor=actor, name=f"{org_name} ({code})" if index else org_name, kind=kind, country="BE",
                vat_number=data.belgian_vat(serial), slug=f"{kind.replace('_', '-')}-{code.lower()}-{n + 1}",
            )
            if index == 0 and kind not in ctx.organisations:
                ctx.organisations[kind] = org
            for extra in range(ctx.scale.extra_users_per_company):
                role = {"transport_company": Role.DRIVER, "forwarder": Role.FORWARDER,
                        "shipping_line": Role.SHIPPING_AGENT}.get(kind, Role.COMPANY_ACCESS_MANAGER)
                username = f"{org.slug}-{extra + 1}"
                user_services.user_create(actor=actor, username=username, email=f"{username}@example.org",
                                          password=None, organisation=org, role=role)
            ctx.report("companies", n + 1, companies)
    ctx.organisations.setdefault("company", ctx.organisations.get("transport_company"))
    for username, role, org_key, first, last in DEMO_USERS:
        organisation = ctx.organisations[org_key]
        password = demo_password(ctx.seed, username)
        facility = ctx.facilities[0] if role == Role.GATE_GUARD else None
        user = user_services.user_create(
            actor=actor, username=username, email=f"{username}@demo.havenwatch.invalid", password=password,
            organisation=organisation, role=role, first_name=first, last_name=last, facility=facility,
        )
        secret = None
        if role in TOTP_REQUIRED_ROLES:
            secret = demo_totp_secret(ctx.seed, username)
            auth_services.totp_set_for_demo(user=user, secret=secret)
        ctx.logins.append(DemoLogin(username=username, password=password, role=str(Role(role).label),
                                    organisation=organisation.name, totp_secret=secret))


def demo_logins(seed: int) -> list[DemoLogin]:
    """The demo's logins, recomputed (a second ``make demo`` prints them again)."""
    logins = []
    for username, role, _org_key, _first, _last in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            continue
        membership = user.memberships.select_related("organisation").first()
        logins.append(DemoLogin(
            username=username, password=demo_password(seed, username), role=str(Role(role).label),
            organisation=membership.organisation.name if membership else "",
            totp_secret=demo_totp_secret(seed, username) if role in TOTP_REQUIRED_ROLES else None,
        ))
    return logins


def seed(*, scale: str = "small", seed: int = 1, progress=None) -> SeedContext:
    """Build the synthetic port. Refuses to run twice on the same database."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose from {', '.join(SCALES)}")
    if is_seeded():
        raise RuntimeError("this database is seeded already; use a fresh database for another scale or seed")
    ctx = SeedContext(scale=SCALES[scale], seed=seed, rng=random.Random(seed),
                      actor=system_principal(label="demo-seed"), progress=progress)
    for item in seeders():
        with transaction.atomic():
            item.func(ctx)
        ctx.report(item.label, 1, 1)
    return ctx
