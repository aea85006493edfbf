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
