"""Acts on the audit chain itself."""

from __future__ import annotations

from django.db import transaction

from havenwatch.core import audit
from havenwatch.core.authz import require
from havenwatch.core.principal import Principal
from havenwatch.core.services._emit import emit


def audit_chain_verify(*, actor: Principal) -> audit.VerifyResult:
    """Walk the whole chain and its signed checkpoints, and record that it was verified.

    The walk runs outside a transaction (it reads every record, and must not hold the
    chain's write lock meanwhile); the record of the verification is one atomic append.
    """
    require(actor, "core.verify_audit")
    result = audit.verify_chain()
    with transaction.atomic():
        emit(actor=actor, code="core.audit.verified", publish=False,
             data={"ok": result.ok, "checked": result.checked, "first_broken": result.first_broken,
                   "reason": result.reason})
    return result
