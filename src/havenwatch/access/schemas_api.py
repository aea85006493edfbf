"""Request and response schemas of the access API's people, places, screening and visit endpoints.

Responses list their fields one by one: a person's national number and biometric
reference hash are never among them.
"""

from datetime import date, datetime
from typing import Annotated, Literal

from ninja import Field, Schema

from havenwatch.access.services.screening import verification_status

ID = Field(..., ge=1, le=2**31 - 1)
# An id in a list or a filter: bounded, so that a huge number is a 422, not a database overflow.
DbId = Annotated[int, Field(ge=1, le=2**31 - 1)]


# --- people, credentials, vehicles ----------------------------------------------------


class PersonIn(Schema):
    first_name: str = Field(..., max_length=200)
    last_name: str = Field(..., max_length=200)
    date_of_birth: date
    nationality: str = Field(..., max_length=2)
    employer_id: int | None = Field(None, ge=1, le=2**31 - 1, description="By default your organisation.")
    national_number: str = Field("", max_length=20, description="Belgian national register number (sealed).")
    id_document_ref: str = Field("", max_length=200)
    proofing_level: str = Field("none", max_length=16)
    biometric_reference: str = Field("", max_length=200, description="Only its hash is kept.")


class PersonOut(Schema):
    id: int
    first_name: str
    last_name: str
    date_of_birth: date
    nationality: str
    id_document_ref: str
    proofing_level: str
    employer_id: int | None = None
    employer: str | None = None
    created_at: datetime

    @staticmethod
    def resolve_employer(obj) -> str | None:
        return obj.employer.name if obj.employer_id else None


class EmployerIn(Schema):
    employer_id: int = ID


class CredentialIn(Schema):
    person_id: int = ID
    port_id: int = ID
    number: str = Field(..., max_length=40)
    kind: Literal["card", "mobile", "visitor_qr"] = "card"
    valid_from: datetime
    valid_until: datetime


class CredentialOut(Schema):
    id: int
    number: str
    kind: str
    person_id: int
    port_id: int
    issued_by_id: int
    state: str
    valid_from: datetime
    valid_until: datetime
    visit_id: int | None = None
    created_at: datetime


class CredentialStateIn(Schema):
    state: Literal["active", "inactive", "blocked", "expired"]
    reason: str = Field(..., max_length=400)


class ActivationIn(Schema):
    facility_id: int = ID


class EnrolmentOut(Schema):
    id: int
    credential_id: int
    facility_id: int
    is_active: bool
    activated_at: datetime


class VehicleIn(Schema):
    plate: str = Field(..., max_length=32)
    country: str = Field("BE", max_length=2)
    owner_id: int | None = Field(None, ge=1, le=2**31 - 1, description="By default your organisation.")
    driver_ids: list[DbId] = Field(default_factory=list, max_length=50)


class VehicleOut(Schema):
    id: int
    plate: str
    country: str
    owner_id: int
    driver_ids: list[DbId]
    created_at: datetime

    @staticmethod
    def resolve_driver_ids(obj) -> list[int]:
        return sorted(p.pk for p in obj.drivers.all())


# --- zones, access points, authorisations ---------------------------------------------


class LevelRuleIn(Schema):
    mode: Literal["open", "listed_only", "closed"] = "open"
    allowed_purposes: list[str] = Field(default_factory=list, max_length=20)


class LevelRuleOut(Schema):
    level: int
    mode: str
    allowed_purposes: list[str]


class ZoneIn(Schema):
    facility_id: int = ID
    code: str = Field(..., max_length=60)
    name: str = Field(..., max_length=200)
    geometry: dict | None = None
    escort_required: bool = False
    requires_verification: bool = False
    level_rules: dict[Literal["1", "2", "3"], LevelRuleIn] | None = Field(
        None, description='Per security level: `{"3": {"mode": "listed_only", "allowed_purposes": ["emergency"]}}`.')


class ZoneOut(Schema):
    id: int
    facility_id: int
    code: str
    name: str
    geometry: dict | None = None
    escort_required: bool
    requires_verification: bool
    level_rules: list[LevelRuleOut]

    @staticmethod
    def resolve_level_rules(obj) -> list[dict]:
        return [{"level": r.level, "mode": r.mode, "allowed_purposes": list(r.allowed_purposes or [])}
                for r in obj.level_rules.all()]


class AccessPointIn(Schema):
    zone_id: int = ID
    code: str = Field(..., max_length=60)
    name: str = Field(..., max_length=200)
    kind: Literal["turnstile", "vehicle_gate", "quay_gate"]
    direction: Literal["in", "out", "both"] = "both"
    requires_biometric: bool = False
    requires_plate: bool = False
    open_at_levels: list[Literal[1, 2, 3]] = Field(default_factory=lambda: [1, 2, 3], max_length=3)
    anti_passback: bool = True
    position: dict | None = None


class AccessPointOut(Schema):
    id: int
    zone_id: int
    facility_id: int
    code: str
    name: str
    kind: str
    direction: str
    requires_biometric: bool
    requires_plate: bool
    open_at_levels: list[int]
    anti_passback: bool
    position: dict | None = None

    @staticmethod
    def resolve_facility_id(obj) -> int:
        return obj.zone.facility_id


class AuthorisationIn(Schema):
    zone_id: int = ID
    person_id: int | None = Field(None, ge=1, le=2**31 - 1, description="The holder: a person ...")
    organisation_id: int | None = Field(None, ge=1, le=2**31 - 1, description="... or every employee of one.")
    valid_from: datetime
    valid_until: datetime
    purpose: str = Field(..., max_length=100)
    schedule: dict[str, list[list[str]]] | None = Field(
        None, description='Weekly, in the port\'s time: `{"mon": [["07:00", "19:00"]]}`; empty: any hour.')
    escort_required: bool = False
    vehicle_only: bool = False
    requires_verification: bool = False
    required_training: str = Field("", max_length=80, description="A course the holder must hold, still valid.")


class AuthorisationOut(Schema):
    id: int
    zone_id: int
    facility_id: int
    person_id: int | None = None
    organisation_id: int | None = None
    valid_from: datetime
    valid_until: datetime
    schedule: dict
    purpose: str
    escort_required: bool
    vehicle_only: bool
    requires_verification: bool
    required_training: str
    granted_by_id: int
    granted_at: datetime
    revoked_at: datetime | None = None

    @staticmethod
    def resolve_facility_id(obj) -> int:
        return obj.zone.facility_id


# --- screening ----------------------------------------------------------------------


class BanIn(Schema):
    person_id: int = ID
    valid_from: datetime
    valid_until: datetime
    legal_reference: str = Field(..., max_length=300)
    port_ids: list[DbId] | None = Field(None, max_length=100, description="Omit (null) to ban from all ports.")


class BanOut(Schema):
    id: int
    person_id: int
    person: str
    all_ports: bool
    port_ids: list[int]
    valid_from: datetime
    valid_until: datetime
    legal_reference: str
    issued_by_id: int
    issued_at: datetime
    lifted_at: datetime | None = None
    lifted_reason: str

    @staticmethod
    def resolve_person(obj) -> str:
        return str(obj.person)

    @staticmethod
    def resolve_port_ids(obj) -> list[int]:
        return sorted(p.pk for p in obj.ports.all())


class ReasonIn(Schema):
    reason: str = Field(..., max_length=400)


class BanStatusOut(Schema):
    result: Literal["hit", "clear", "unavailable"]


class VerificationIn(Schema):
    person_id: int = ID
    function: str = Field(..., max_length=200)


class VerificationDecisionIn(Schema):
    status: Literal["pending", "positive", "negative"]
    valid_until: datetime | None = None


class VerificationOut(Schema):
    id: int
    person_id: int
    person: str
    function: str
    status: str
    requested_by_id: int
    requested_at: datetime
    decided_at: datetime | None = None
    valid_until: datetime | None = None

    @staticmethod
    def resolve_person(obj) -> str:
        return str(obj.person)

    @staticmethod
    def resolve_status(obj) -> str:
        return str(verification_status(obj))


class RecordCheckIn(Schema):
    person_id: int = ID
    checked_on: date
    result: Literal["no_entries", "entries"]


class RecordCheckOut(Schema):
    id: int
    person_id: int
    checked_on: date
    result: str
    checked_by_id: int


class TrainingIn(Schema):
    person_id: int = ID
    course: str = Field(..., max_length=200)
    completed_on: date
    valid_until: date | None = None


class TrainingOut(Schema):
    id: int
    person_id: int
    course: str
    completed_on: date
    valid_until: date | None = None
    recorded_by_id: int
    recorded_at: datetime


# --- visits -------------------------------------------------------------------------


class VisitorIdentityIn(Schema):
    first_name: str = Field(..., max_length=200)
    last_name: str = Field(..., max_length=200)
    date_of_birth: date
    nationality: str = Field(..., max_length=2)
    id_document_ref: str = Field(..., max_length=200)


class VisitIn(Schema):
    facility_id: int = ID
    zone_ids: list[DbId] = Field(..., max_length=50)
    reason: str = Field(..., max_length=400)
    visitors: list[DbId | VisitorIdentityIn] = Field(
        ..., max_length=100, description="Existing people by id, or the identity of new visitors.")
    window_start: datetime | None = None
    window_end: datetime | None = None
    ship_call: str = Field("", max_length=200)
    eta: datetime | None = None
    etd: datetime | None = None
    plate: str = Field("", max_length=32)
    ship_agent_id: DbId | None = Field(
        None, description="For a ship call: the agent who approves first (default: the announcer, if an agent).")


class VisitPolicyIn(Schema):
    terminal_approves_ship_calls: bool


class VisitPolicyOut(Schema):
    facility_id: int
    terminal_approves_ship_calls: bool
    changed_at: datetime
    changed_by: str


class VisitorOut(Schema):
    person_id: int
    name: str
    screening: str
    screened_at: datetime

    @staticmethod
    def resolve_name(obj) -> str:
        return str(obj.person)


class VisitOut(Schema):
    id: int
    announcer_id: int
    announcer: str
    facility_id: int
    zone_ids: list[DbId]
    ship_call: str
    ship_agent_id: int | None = None
    agent_approved_at: datetime | None = None
    window_start: datetime
    window_end: datetime
    reason: str
    plate: str
    status: str
    decided_at: datetime | None = None
    decided_by: str
    rejection_reason: str
    created_at: datetime
    visitors: list[VisitorOut]

    @staticmethod
    def resolve_announcer(obj) -> str:
        return obj.announcer.name

    @staticmethod
    def resolve_zone_ids(obj) -> list[int]:
        return sorted(z.pk for z in obj.zones.all())

    @staticmethod
    def resolve_visitors(obj) -> list:
        return list(obj.visitors.all())


class ApproveIn(Schema):
    confirm_unavailable: bool = Field(False, description="Approve although a ban check was unavailable.")
