from django.db import models
from django.utils.translation import gettext_lazy as _


class ReleaseStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    BLOCKED = "blocked", _("Blocked by the shipping line")
    REVOKED = "revoked", _("Revoked")
    WITHDRAWN = "withdrawn", _("Withdrawn (reissued)")
    PICKED_UP = "picked_up", _("Picked up")


# A release that still stands: it can be passed on, assigned and picked up (when green).
LIVE_STATUSES = (ReleaseStatus.ACTIVE, ReleaseStatus.BLOCKED)


class Light(models.TextChoices):
    GREEN = "green", _("Green")
    RED = "red", _("Red")


class RightStatus(models.TextChoices):
    OFFERED = "offered", _("Offered, waiting for the receiver")
    HELD = "held", _("Held")
    PASSED = "passed", _("Passed on")
    DECLINED = "declined", _("Declined")
    REVOKED = "revoked", _("Revoked")


class AssignmentStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CANCELLED = "cancelled", _("Cancelled")
    USED = "used", _("Used (picked up)")


class PickupReason(models.TextChoices):
    """Machine-readable reasons of a pickup decision; the gate shows the label."""

    GRANTED = "granted", _("Pickup granted")
    OVERRIDE = "override", _("Let through by the terminal, with a reason")
    MALFORMED_REQUEST = "malformed_request", _("The request cannot be read")
    UNKNOWN_CONTAINER = "unknown_container", _("Unknown container at this terminal")
    NO_RELEASE = "no_release", _("No live release for this container")
    ALREADY_PICKED_UP = "already_picked_up", _("The container was picked up already")
    COMMERCIAL_RED = "commercial_red", _("Commercial release blocked, expired or not yet valid")
    CUSTOMS_HOLD = "customs_hold", _("Held by customs")
    NOT_DISCHARGED = "not_discharged", _("Discharge not confirmed by the terminal")
    NO_HOLDER = "no_holder", _("Nobody holds the release right")
    NO_ASSIGNMENT = "no_assignment", _("No driver assigned")
    WRONG_HAULIER = "wrong_haulier", _("The assigning haulier no longer holds the right")
    UNKNOWN_CREDENTIAL = "unknown_credential", _("Unknown credential")
    WRONG_DRIVER = "wrong_driver", _("Not the assigned driver")
    CREDENTIAL_INVALID = "credential_invalid", _("The driver's credential is not valid")
    PORT_BAN = "port_ban", _("The driver is banned from the port")
    VERIFICATION_LAPSED = "verification_lapsed", _("The driver's security verification was refused or has expired")
    PLATE_MISMATCH = "plate_mismatch", _("The truck's plate is not the assigned one")
    OUTSIDE_SLOT = "outside_slot", _("Outside the assigned time slot")
    BIOMETRIC_FAILED = "biometric_failed", _("Biometric match failed")


# Refusals that point at fraud: published at priority 1 for the control room.
FRAUD_REASONS = {PickupReason.WRONG_DRIVER, PickupReason.WRONG_HAULIER, PickupReason.ALREADY_PICKED_UP,
                 PickupReason.COMMERCIAL_RED, PickupReason.CUSTOMS_HOLD, PickupReason.PORT_BAN}

# What a terminal may override, with a reason: its own light, the line's block, a missed
# slot. Never customs, a ban, another driver or haulier, or a second pickup.
OVERRIDABLE_REASONS = {PickupReason.COMMERCIAL_RED, PickupReason.NOT_DISCHARGED, PickupReason.OUTSIDE_SLOT}
