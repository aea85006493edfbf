"""Constants of the access app."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ProofingLevel(models.TextChoices):
    NONE = "none", _("Not proofed")
    DOCUMENT = "document", _("Identity document checked")
    EID = "eid", _("Electronic identity card (eID)")
    ITSME = "itsme", _("itsme")


class CredentialKind(models.TextChoices):
    CARD = "card", _("Badge (card)")
    MOBILE = "mobile", _("Mobile credential")
    VISITOR_QR = "visitor_qr", _("Visitor QR code")


class CredentialState(models.TextChoices):
    # Contexts: in French a badge is masculine, a verification or an activation feminine.
    ACTIVE = "active", pgettext_lazy("credential state", "Active")
    INACTIVE = "inactive", _("Inactive (temporarily missing)")
    BLOCKED = "blocked", _("Blocked (for good)")
    EXPIRED = "expired", pgettext_lazy("credential state", "Expired")


# Reasons the platform itself gives for a state change (stored as these codes, shown translated),
# and who is named for a change an authority caused: never the investigator (companies read it).
SYSTEM_STATE_REASONS = {
    "port ban": _("Port ban"),
    "employer changed": _("The employer changed"),
    "visit cancelled": _("The visit was cancelled"),
}
AUTHORITY_ACTOR = "authority"


class AccessPointKind(models.TextChoices):
    TURNSTILE = "turnstile", _("Pedestrian turnstile")
    VEHICLE_GATE = "vehicle_gate", _("Vehicle gate")
    QUAY_GATE = "quay_gate", _("Quay gate")


class Direction(models.TextChoices):
    IN = "in", _("Entry")
    OUT = "out", _("Exit")
    BOTH = "both", _("Entry and exit")


class LevelMode(models.TextChoices):
    """What a zone allows at a security level."""

    OPEN = "open", _("Open to authorised people")
    LISTED_ONLY = "listed_only", _("Only listed purposes")
    CLOSED = "closed", _("Closed")


class VerificationStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    PENDING = "pending", _("Pending")
    POSITIVE = "positive", _("Positive")
    NEGATIVE = "negative", _("Negative")
    EXPIRED = "expired", pgettext_lazy("verification status", "Expired")


class ScreeningResult(models.TextChoices):
    HIT = "hit", _("Hit")
    CLEAR = "clear", _("No hit")
    UNAVAILABLE = "unavailable", _("Unavailable (decide by hand)")


class RecordCheckResult(models.TextChoices):
    NO_ENTRIES = "no_entries", _("No relevant entries")
    ENTRIES = "entries", _("Relevant entries")


class VisitStatus(models.TextChoices):
    ANNOUNCED = "announced", _("Announced")
    AGENT_APPROVED = "agent_approved", _("Approved by the agent, awaiting the terminal")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")
    STOPPED = "stopped", _("Stopped (ban)")


# Visits waiting for a decision, and those a ban stops or the announcer may still call off.
VISIT_PENDING_STATUSES = (VisitStatus.ANNOUNCED, VisitStatus.AGENT_APPROVED)
VISIT_OPEN_STATUSES = (*VISIT_PENDING_STATUSES, VisitStatus.APPROVED)


class Reason(models.TextChoices):
    """Machine-readable reasons of a gate decision; the guard sees the label."""

    GRANTED = "granted", _("Access granted")
    UNKNOWN_CREDENTIAL = "unknown_credential", _("Unknown credential")
    CREDENTIAL_OTHER_PORT = "credential_other_port", _("Credential of another port")
    CREDENTIAL_INACTIVE = "credential_inactive", _("Credential inactive (reported missing)")
    CREDENTIAL_BLOCKED = "credential_blocked", _("Credential blocked")
    CREDENTIAL_EXPIRED = "credential_expired", _("Credential expired")
    NOT_ACTIVATED = "not_activated", _("Credential not activated at this facility")
    PORT_BAN = "port_ban", _("Person is banned from the port")
    BAN_CHECK_UNAVAILABLE = "ban_check_unavailable", _("Ban check unavailable: decide by hand")
    NO_AUTHORISATION = "no_authorisation", _("No authorisation for this zone")
    OUTSIDE_SCHEDULE = "outside_schedule", _("Outside the authorised hours")
    LEVEL_CLOSED = "level_closed", _("Zone closed at the current security level")
    LEVEL_NOT_LISTED = "level_not_listed", _("Purpose not allowed at the current security level")
    POINT_CLOSED = "point_closed", _("Access point closed at the current security level")
    OUTSIDE_VISIT_WINDOW = "outside_visit_window", _("Outside the visit's time window")
    ESCORT_REQUIRED = "escort_required", _("Escort required")
    VERIFICATION_REQUIRED = "verification_required", _("Positive security verification required")
    TRAINING_REQUIRED = "training_required", _("Required training missing or expired")
    BIOMETRIC_REQUIRED = "biometric_required", _("Biometric match required")
    BIOMETRIC_FAILED = "biometric_failed", _("Biometric match failed")
    PLATE_REQUIRED = "plate_required", _("Number plate required at this gate")
    PLATE_MISMATCH = "plate_mismatch", _("Number plate does not match")
    UNKNOWN_PLATE = "unknown_plate", _("Unknown number plate")
    ANTI_PASSBACK = "anti_passback", _("Already inside (anti-passback)")
    MALFORMED_REQUEST = "malformed_request", _("Malformed request")
