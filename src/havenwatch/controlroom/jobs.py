"""The control room's periodic jobs: what must happen because time passed."""

from __future__ import annotations

from havenwatch.controlroom.services import alarms
from havenwatch.core.periodic import periodic


@periodic("controlroom.escalation", every=10)
def escalation() -> int:
    """Alarms not acknowledged in time go to the backups (see ``alarms.escalate_due``)."""
    return alarms.escalate_due()
