"""Models of the access app, one module per concept."""

from havenwatch.access.models.events import AccessEvent, Presence
from havenwatch.access.models.people import (
    Credential,
    CredentialStateChange,
    Employment,
    FacilityEnrolment,
    Person,
)
from havenwatch.access.models.places import AccessPoint, Zone, ZoneLevelRule
from havenwatch.access.models.rights import Authorisation
from havenwatch.access.models.screening import PortBan, RecordCheck, SecurityVerification, TrainingRecord
from havenwatch.access.models.vehicles import Vehicle
from havenwatch.access.models.visits import Announcer, Visit, Visitor, VisitPolicy

__all__ = [
    "AccessEvent",
    "AccessPoint",
    "Announcer",
    "Authorisation",
    "Credential",
    "CredentialStateChange",
    "Employment",
    "FacilityEnrolment",
    "Person",
    "PortBan",
    "Presence",
    "RecordCheck",
    "SecurityVerification",
    "Vehicle",
    "Visit",
    "TrainingRecord",
    "Visitor",
    "VisitPolicy",
    "Zone",
    "ZoneLevelRule",
]
