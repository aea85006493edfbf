"""The permission matrix: every API endpoint × every role × own / foreign organisation.

Each endpoint is one :class:`Entry` in a registry. An entry says how to call the
endpoint (method, path template, body), which roles succeed on a row of their own
organisation, and what everybody else gets. ``tests/core/test_permission_matrix.py``
walks every cell, through the session and through Bearer tokens, and fails if the
API has an operation that no entry covers.

Other apps extend the matrix from ``tests/<app>/matrix_entries.py`` (imported by
:func:`load_extensions`)::

    from tests.matrix import Entry, register, register_world, Role

    def _world(world):                      # add the rows your endpoints act on
        for key, org in world.orgs.items():
            world.own_objects[org.pk]["gate"] = GateFactory(organisation=org).pk
        world.foreign_objects["gate"] = GateFactory(organisation=world.foreign_operator).pk

    register_world(_world)
    register(Entry("GET", "/api/v1/access/gates/{gate}", allowed=frozenset({...}), denied=404))

Path placeholders (``{facility}``) are filled with the acting role's own row, or the
foreign row, by name. What the statuses mean:

- a role in ``allowed`` acting on its own row gets ``ok``;
- a role not in ``allowed`` gets ``denied`` (403 when the role may see the row but not
  act, 404 when it may not even see it; ``denied_by_role`` for exceptions);
- an allowed role reaching for another organisation's row gets ``foreign`` (404: the
  row is not visible, never 403 and never the data); ``foreign=None`` means the
  endpoint has no foreign variant (a list, or a create that names no other row);
- the platform administrator is not bound to an organisation: ``admin_foreign``;
- anonymous callers and dead tokens always get 401, except ``public`` endpoints.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.test import Client

from havenwatch.core import clock
from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.middleware import SESSION_MEMBERSHIP
from havenwatch.core.models import (
    ApiToken,
    Jurisdiction,
    Notification,
    SecurityLevelAcknowledgement,
    Webhook,
)
from havenwatch.core.permissions import all_permissions, permissions_for_role
from havenwatch.core.principal import principal_for_membership
from havenwatch.core.services import security_levels, tokens

R = Role
ALL_ROLES = frozenset(r.value for r in Role)
ADMIN = R.PLATFORM_ADMIN.value

# Where each role acts from in the matrix world: a key of MatrixWorld.orgs. Each is an
# organisation of a kind the role may be held in (checked by a test).
ROLE_HOME: dict[str, str] = {
    R.PLATFORM_ADMIN: "platform",
    R.PORT_SECURITY_OFFICER: "authority",
    R.FACILITY_SECURITY_OFFICER: "operator",
    R.CONTROL_ROOM_OPERATOR: "operator",
    R.GATE_GUARD: "operator",
    R.COMPANY_ACCESS_MANAGER: "operator",
    R.SHIPPING_AGENT: "shipping_line",
    R.FORWARDER: "forwarder",
    R.HAULIER_PLANNER: "company",
    R.DRIVER: "company",
    R.AUTHORITY_INVESTIGATOR: "police",
    R.COMMITTEE_MEMBER: "committee",
    R.AUDITOR: "authority",
}

SUCCESS = range(200, 300)


@dataclasses.dataclass(frozen=True)
class Entry:
    method: str
    path: str  # /api/v1/... with {name} placeholders, optionally ?query
    allowed: frozenset[str]
    ok: int = 200
    denied: int = 403
    denied_by_role: dict[str, int] = dataclasses.field(default_factory=dict)
    foreign: int | None = None
    foreign_by_role: dict[str, int] = dataclasses.field(default_factory=dict)
    denied_foreign: int | None = None  # None: the same as on the own row
    admin_foreign: int | None = None  # None: ``ok``
    body: Callable[[MatrixWorld, RoleContext, str], dict | str] | None = None
    content_type: str = "application/json"  # another type: ``body`` returns the raw text
    token: bool = True  # can a token holding the role's grantable permissions do it?
    public: bool = False
    leak: Callable[[Any, MatrixWorld], list] | None = None  # foreign rows a list response shows
    name: str = ""

    @property
    def label(self) -> str:
        return self.name or f"{self.method} {self.path}"

    @property
    def sides(self) -> tuple[str, ...]:
        return ("own", "foreign") if self.foreign is not None or self.foreign_by_role else ("own",)

    def expected(self, role: str, side: str) -> int:
        if side == "own":
            if role in self.allowed:
                return self.ok
            return self.denied_by_role.get(role, self.denied)
        if role == ADMIN:
            return self.admin_foreign if self.admin_foreign is not None else self.ok
        if role in self.allowed:
            return self.foreign_by_role.get(role, self.foreign if self.foreign is not None else 404)
        if self.denied_foreign is not None:
            return self.denied_foreign
        return self.denied_by_role.get(role, self.denied)

    def expected_for_token(self, role: str, side: str) -> set[int]:
        """A token holds the role's machine-grantable permissions only: never more than the session."""
        session = self.expected(role, side)
        if session in SUCCESS:
            return {session} if self.token else {403, 404}
        return {session, 403, 404}

    def template(self) -> str:
        """The path with placeholders and query removed, for matching API operations."""
        return normalise(self.path)


_ENTRIES: list[Entry] = []
_WORLD_BUILDERS: list[Callable[[MatrixWorld], None]] = []


def register(*entries: Entry) -> None:
    for entry in entries:
        if any(e.method == entry.method and e.path == entry.path for e in _ENTRIES):
            raise ValueError(f"matrix entry registered twice: {entry.label}")
        _ENTRIES.append(entry)


def register_world(builder: Callable[[MatrixWorld], None]) -> None:
    _WORLD_BUILDERS.append(builder)


def load_extensions() -> None:
    """Import every ``tests/<app>/matrix_entries*.py``: other apps' entries and world rows."""
    root = Path(__file__).parent
    for path in sorted(root.glob("*/matrix_entries*.py")):
        importlib.import_module(f"tests.{path.parent.name}.{path.stem}")


def entries() -> list[Entry]:
    load_extensions()
    return list(_ENTRIES)


def normalise(path: str) -> str:
    path = path.split("?", 1)[0]
    path = re.sub(r"\{[^}]*\}", "{}", path)
    return re.sub(r"/+", "/", path)


# --- the world ---------------------------------------------------------------------


@dataclasses.dataclass
class RoleContext:
    role: str
    org: Any
    user: Any
    membership: Any
    principal: Any
    own: dict[str, int]
    session: Client | None = None
    token: str | None = None


def role_for_kind(kind: str) -> str:
    """A role an actor may give in an organisation of this kind (for create bodies)."""
    return {
        OrganisationKind.PORT_AUTHORITY: R.AUDITOR,
        OrganisationKind.PLATFORM: R.AUDITOR,
        OrganisationKind.FACILITY_OPERATOR: R.GATE_GUARD,
    }.get(kind, R.COMPANY_ACCESS_MANAGER).value


class MatrixWorld:
    """The conftest's two-port world, plus an organisation for every role and the rows
    each endpoint acts on: for every organisation its own token, webhook and spare
    membership; for every role user a notification; on the foreign side one of each."""

    def __init__(self) -> None:
        from tests.conftest import PortWorld
        from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

        base = PortWorld()
        self.base = base
        for name in ("authority", "port", "operator", "facility", "company", "foreign_authority", "foreign_port",
                     "foreign_operator", "foreign_facility", "platform"):
            setattr(self, name, getattr(base, name))
        self.shipping_line = OrganisationFactory(name="Shipping Line A", kind=OrganisationKind.SHIPPING_LINE)
        self.forwarder = OrganisationFactory(name="Forwarder A", kind=OrganisationKind.FORWARDER)
        self.police = OrganisationFactory(name="Police A", kind=OrganisationKind.POLICE)
        self.committee = OrganisationFactory(name="Port Committee A", kind=OrganisationKind.COMMITTEE)
        Jurisdiction.objects.create(organisation=self.police, port=self.port)
        Jurisdiction.objects.create(organisation=self.committee, port=self.port)
        self.orgs = {
            "platform": self.platform, "authority": self.authority, "operator": self.operator,
            "company": self.company, "shipping_line": self.shipping_line, "forwarder": self.forwarder,
            "police": self.police, "committee": self.committee,
        }
        self.newcomer = UserFactory(username="newcomer")  # a person with no role yet
        # For every organisation, a person holding one role there who can be given another.
        joiner_role = {
            OrganisationKind.PLATFORM: R.PLATFORM_ADMIN, OrganisationKind.PORT_AUTHORITY: R.CONTROL_ROOM_OPERATOR,
            OrganisationKind.FACILITY_OPERATOR: R.FACILITY_SECURITY_OFFICER,
            OrganisationKind.TRANSPORT_COMPANY: R.DRIVER, OrganisationKind.SHIPPING_LINE: R.SHIPPING_AGENT,
            OrganisationKind.FORWARDER: R.FORWARDER, OrganisationKind.POLICE: R.AUTHORITY_INVESTIGATOR,
            OrganisationKind.COMMITTEE: R.COMMITTEE_MEMBER,
        }
        self.joiners = {}
        for org in [*self.orgs.values(), self.foreign_operator]:
            joiner = UserFactory(username=f"joiner-{org.pk}")
            MembershipFactory(user=joiner, organisation=org, role=joiner_role.get(org.kind, R.DRIVER))
            self.joiners[org.pk] = joiner
        self.own_objects: dict[int, dict[str, int]] = defaultdict(dict)
        self.role_objects: dict[str, dict[str, int]] = defaultdict(dict)
        self.foreign_objects: dict[str, int] = {}

        def spare(org, key):
            kind_role = R.AUDITOR if org.kind == OrganisationKind.PLATFORM else R.COMPANY_ACCESS_MANAGER
            return MembershipFactory(organisation=org, role=kind_role, user=UserFactory(username=f"spare-{key}"))

        def token_row(org, key):
            return ApiToken.objects.create(
                organisation=org, name=f"{key} gate controller", prefix=f"m{len(key)}{key[:6]}"[:16],
                token_hash=f"{key:0>64}"[-64:], permissions=["core.view_port"], created_at=clock.now(),
            )

        def webhook_row(org, key):
            from havenwatch.core import crypto

            return Webhook.objects.create(organisation=org, url=f"https://{key}.example.org/hook",
                                          secret_sealed=crypto.seal("whsec_matrix"), created_at=clock.now())

        for key, org in self.orgs.items():
            self.own_objects[org.pk].update(
                organisation=org.pk, membership=spare(org, key).pk, token=token_row(org, key).pk,
                webhook=webhook_row(org, key).pk,
            )
        foreign_spare = spare(self.foreign_operator, "foreign")
        self.foreign_objects.update(
            organisation=self.foreign_operator.pk, port=self.foreign_port.pk, facility=self.foreign_facility.pk,
            membership=foreign_spare.pk, token=token_row(self.foreign_operator, "foreign").pk,
            webhook=webhook_row(self.foreign_operator, "foreign").pk,
        )
        self.foreign_objects["notification"] = Notification.objects.create(
            user=foreign_spare.user, organisation=self.foreign_operator, kind="test", title="Foreign news",
            created_at=clock.now(),
        ).pk

        # One level change in each port: acknowledgements, audit records and events on both sides.
        self.pso = base.pso()
        self.foreign_pso = principal_for_membership(
            MembershipFactory(role=R.PORT_SECURITY_OFFICER, organisation=self.foreign_authority)
        )
        change = security_levels.security_level_set(actor=self.pso, port=self.port, level=2,
                                                    reason="matrix: port A raised")
        foreign_change = security_levels.security_level_set(actor=self.foreign_pso, port=self.foreign_port,
                                                            level=2, reason="matrix: port B raised")
        self.own_ack = SecurityLevelAcknowledgement.objects.get(change=change, facility=self.facility).pk
        self.foreign_objects["ack"] = SecurityLevelAcknowledgement.objects.get(
            change=foreign_change, facility=self.foreign_facility).pk
        self.foreign_objects["change"] = foreign_change.pk
        self.foreign_org_ids = {self.foreign_operator.pk, self.foreign_authority.pk}

        # Every role: a person, a session and a token.
        self.roles: dict[str, RoleContext] = {}
        for role in sorted(ALL_ROLES):
            org = self.orgs[ROLE_HOME[role]]
            membership = MembershipFactory(role=role, organisation=org, user=UserFactory(username=f"as-{role}"))
            principal = principal_for_membership(membership)
            notification = Notification.objects.create(user=membership.user, organisation=org, kind="test",
                                                       title="Your news", created_at=clock.now())
            self.role_objects[role]["notification"] = notification.pk
            ctx = RoleContext(role=role, org=org, user=membership.user, membership=membership,
                              principal=principal, own={})
            ctx.session = Client(enforce_csrf_checks=False)
            ctx.session.force_login(membership.user)
            session = ctx.session.session
            session[SESSION_MEMBERSHIP] = membership.pk
            session.save()
            if role != ADMIN:  # a token acts for an organisation, never as a platform administrator
                ctx.token = self.make_token(principal, f"matrix {role}")
            self.roles[role] = ctx

        # Dead tokens: revoked, and expired.
        dead = self.make_token(self.pso, "matrix revoked")
        tokens.token_revoke(actor=self.pso, token=ApiToken.objects.get(name="matrix revoked"))
        self.revoked_token = dead
        now = clock.now()
        with clock.frozen(now - timedelta(days=2)):
            self.expired_token = self.make_token(self.pso, "matrix expired", expires_at=now - timedelta(days=1))

        for builder in _WORLD_BUILDERS:
            builder(self)
        for role, ctx in self.roles.items():
            ctx.own = {
                "port": self.port.pk, "facility": self.facility.pk, "ack": self.own_ack,
                **self.own_objects[ctx.org.pk], **self.role_objects[role],
            }

    @staticmethod
    def make_token(principal, name: str, expires_at=None) -> str:
        """A token holding every machine-grantable permission of the principal's role."""
        grantable = {code for code, info in all_permissions().items() if info.token_grantable}
        wanted = sorted(permissions_for_role(principal.role) & grantable)
        creator = dataclasses.replace(principal, permissions=principal.permissions | {"core.manage_tokens"})
        _, raw = tokens.token_create(actor=creator, name=name, permissions=wanted, expires_at=expires_at)
        return raw

    def objects_for(self, ctx: RoleContext, side: str) -> dict[str, int]:
        return ctx.own if side == "own" else self.foreign_objects


def call(client: Client, entry: Entry, objects: dict[str, int], body: dict | None, **headers):
    path = entry.path.format(**objects)
    if body is None:
        return client.generic(entry.method, path, **headers)
    data = body if isinstance(body, str) else json.dumps(body)
    return client.generic(entry.method, path, data, content_type=entry.content_type, **headers)


# --- leak checks for lists -----------------------------------------------------------


def _items(data) -> list:
    return data["items"] if isinstance(data, dict) and "items" in data else data


def ids_of(name: str, field: str = "id") -> Callable[[Any, MatrixWorld], list]:
    def check(data, world: MatrixWorld) -> list:
        return [item for item in _items(data) if item.get(field) == world.foreign_objects[name]]

    return check


def foreign_org_or_port(data, world: MatrixWorld) -> list:
    return [item for item in _items(data)
            if item.get("organisation_id") in world.foreign_org_ids or item.get("port_id") == world.foreign_port.pk]


def foreign_facility_in_levels(data, world: MatrixWorld) -> list:
    return [f for port in data for f in port["facilities"] if f["id"] == world.foreign_facility.pk]


# --- the core's entries --------------------------------------------------------------

PSO, PFSO, OP = R.PORT_SECURITY_OFFICER.value, R.FACILITY_SECURITY_OFFICER.value, R.CONTROL_ROOM_OPERATOR.value
GG, AM, SA = R.GATE_GUARD.value, R.COMPANY_ACCESS_MANAGER.value, R.SHIPPING_AGENT.value
FW, HP, DR = R.FORWARDER.value, R.HAULIER_PLANNER.value, R.DRIVER.value
INV, CM, AUD = R.AUTHORITY_INVESTIGATOR.value, R.COMMITTEE_MEMBER.value, R.AUDITOR.value

ONLY_ADMIN = frozenset({ADMIN})
MANAGERS = frozenset({ADMIN, PSO, PFSO, AM})  # people who give roles
INTEGRATORS = frozenset({ADMIN, PSO, PFSO, AM, SA, FW, HP})  # tokens and webhooks
NO_FACILITY_VIEW = {SA: 404, FW: 404, HP: 404, DR: 404}


def _facility_body(world, ctx, side):
    if side == "own":
        return {"name": "Terminal A2", "isps_number": "BEAAA-0002", "port_id": world.port.pk,
                "operator_id": world.operator.pk}
    return {"name": "Terminal B2", "isps_number": "BEBBB-0002", "port_id": world.foreign_port.pk,
            "operator_id": world.foreign_operator.pk}


def _membership_body(world, ctx, side):
    """Give a further role to someone who already works for the organisation: a person is
    only reachable by the managers of an organisation they belong to (and by admins)."""
    org = ctx.org if side == "own" else world.foreign_operator
    return {"user_id": world.joiners[org.pk].pk, "organisation_id": org.pk, "role": role_for_kind(org.kind)}


def _user_body(world, ctx, side):
    org = ctx.org if side == "own" else world.foreign_operator
    return {"username": "new.person", "email": "new.person@example.org",
            "password": "a long and unguessable passphrase 42", "organisation_id": org.pk,
            "role": role_for_kind(org.kind)}


def _level_body(world, ctx, side):
    port, facility = (world.port, world.facility) if side == "own" else (world.foreign_port, world.foreign_facility)
    return {"port_id": port.pk, "facility_id": facility.pk, "level": 3, "reason": "matrix: facility raised"}


def _token_body(world, ctx, side):
    body = {"name": "matrix created", "permissions": ["core.view_port"]}
    if side == "foreign":
        body["facility_id"] = world.foreign_facility.pk
    return body


register(
    # platform
    Entry("GET", "/api/v1/health", allowed=ALL_ROLES, public=True),
    Entry("GET", "/api/v1/me", allowed=ALL_ROLES),
    Entry("GET", "/api/v1/permissions", allowed=ALL_ROLES),
    Entry("GET", "/api/v1/event-types", allowed=ALL_ROLES),
    # organisations
    Entry("GET", "/api/v1/organisations/?limit=500", allowed=ALL_ROLES, leak=ids_of("organisation")),
    Entry("POST", "/api/v1/organisations/", allowed=ONLY_ADMIN, ok=201, token=False,
          body=lambda w, c, s: {"name": "New Organisation", "kind": "company", "country": "BE",
                                "slug": "matrix-new"}),
    Entry("GET", "/api/v1/organisations/{organisation}", allowed=ALL_ROLES, foreign=404),
    Entry("PATCH", "/api/v1/organisations/{organisation}", allowed=ONLY_ADMIN, denied_foreign=404, token=False,
          body=lambda w, c, s: {"name": "Renamed"}),
    # ports: reference data, every member sees every port
    Entry("GET", "/api/v1/ports?limit=500", allowed=ALL_ROLES),
    Entry("POST", "/api/v1/ports", allowed=ONLY_ADMIN, ok=201, token=False,
          body=lambda w, c, s: {"name": "Port C", "unlocode": "BECCC", "authority_id": w.authority.pk}),
    Entry("GET", "/api/v1/ports/{port}", allowed=ALL_ROLES, foreign=200),
    Entry("PATCH", "/api/v1/ports/{port}", allowed=frozenset({ADMIN, PSO}), foreign=403, token=False,
          body=lambda w, c, s: {"name": "Renamed port"}),
    # facilities
    Entry("GET", "/api/v1/facilities?limit=500", allowed=ALL_ROLES, leak=ids_of("facility")),
    Entry("POST", "/api/v1/facilities", allowed=frozenset({ADMIN, PSO}), ok=201, foreign=403, token=False,
          body=_facility_body),
    Entry("GET", "/api/v1/facilities/{facility}", allowed=ALL_ROLES - set(NO_FACILITY_VIEW), denied=404,
          foreign=404),
    Entry("PATCH", "/api/v1/facilities/{facility}", allowed=frozenset({ADMIN, PSO}), denied_by_role=NO_FACILITY_VIEW,
          foreign=404, denied_foreign=404, token=False, body=lambda w, c, s: {"name": "Renamed terminal"}),
    # users and roles
    Entry("GET", "/api/v1/memberships?limit=500", allowed=ALL_ROLES, leak=ids_of("membership")),
    Entry("POST", "/api/v1/memberships", allowed=MANAGERS, ok=201, foreign=404, token=False, body=_membership_body),
    Entry("POST", "/api/v1/users", allowed=MANAGERS, ok=201, foreign=404, token=False, body=_user_body),
    Entry("DELETE", "/api/v1/memberships/{membership}", allowed=MANAGERS, denied=404, denied_by_role={AUD: 403},
          foreign=404, denied_foreign=404, token=False),
    # security levels
    Entry("GET", "/api/v1/security-levels", allowed=ALL_ROLES, leak=foreign_facility_in_levels),
    Entry("GET", "/api/v1/security-levels/changes?limit=500", allowed=ALL_ROLES, leak=ids_of("change")),
    Entry("POST", "/api/v1/security-levels/changes", allowed=frozenset({ADMIN, PSO, PFSO}), ok=201, foreign=404,
          token=False, body=_level_body),
    Entry("GET", "/api/v1/security-levels/acknowledgements?limit=500", allowed=ALL_ROLES, leak=ids_of("ack")),
    # A port security officer holds the permission but acknowledges nothing for a facility: it is not theirs.
    Entry("POST", "/api/v1/security-levels/acknowledgements/{ack}/acknowledge", allowed=frozenset({ADMIN, PFSO, OP}),
          denied_by_role={PSO: 404}, foreign=404),
    # audit
    Entry("GET", "/api/v1/audit?limit=500", allowed=ALL_ROLES, leak=foreign_org_or_port),
    Entry("POST", "/api/v1/audit/verify", allowed=frozenset({ADMIN, PSO, AUD})),
    # tokens and webhooks
    Entry("GET", "/api/v1/tokens?limit=500", allowed=ALL_ROLES, leak=ids_of("token")),
    Entry("POST", "/api/v1/tokens", allowed=INTEGRATORS, ok=201, foreign=404, token=False, body=_token_body),
    Entry("POST", "/api/v1/tokens/{token}/revoke", allowed=INTEGRATORS, denied=404, foreign=404, token=False),
    Entry("GET", "/api/v1/webhooks?limit=500", allowed=ALL_ROLES, leak=ids_of("webhook")),
    Entry("POST", "/api/v1/webhooks", allowed=INTEGRATORS, ok=201, token=False,
          body=lambda w, c, s: {"url": "http://127.0.0.1:9/hook", "event_types": ["core.security_level.changed"]}),
    Entry("PATCH", "/api/v1/webhooks/{webhook}", allowed=INTEGRATORS, denied=404, foreign=404, token=False,
          body=lambda w, c, s: {"is_active": False}),
    Entry("DELETE", "/api/v1/webhooks/{webhook}", allowed=INTEGRATORS, ok=204, denied=404, foreign=404, token=False),
    Entry("GET", "/api/v1/webhooks/{webhook}/deliveries", allowed=INTEGRATORS, denied=404, foreign=404, token=False),
    # events and notifications
    Entry("GET", "/api/v1/events?limit=500", allowed=ALL_ROLES, leak=foreign_org_or_port),
    Entry("GET", "/api/v1/notifications?limit=500", allowed=ALL_ROLES, leak=ids_of("notification")),
    # Notifications are a person's own, whatever their role: not even an administrator reads another's,
    # and a token, which is no person, has none.
    Entry("POST", "/api/v1/notifications/{notification}/read", allowed=ALL_ROLES, foreign=404, admin_foreign=404,
          token=False),
)


def describe(role: str, side: str, entry: Entry, expected: Iterable[int] | int, response) -> str:
    try:
        detail = response.json().get("detail", "")
    except Exception:  # not JSON
        detail = response.content[:120]
    return f"{role:>16} {side:<7} {entry.label}: expected {expected}, got {response.status_code} {detail!r}"


__all__ = [
    "ALL_ROLES", "Entry", "MatrixWorld", "ROLE_HOME", "Role", "call", "describe",
    "entries", "normalise", "register", "register_world",
]
