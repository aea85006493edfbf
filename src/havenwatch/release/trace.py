"""Traceability: the full chain of a container, every party, act, time and actor, read from
the audit chain (so it is exactly what was recorded, and verifiable), for investigators.

:func:`container_trace` gives the steps; :func:`trace_export` the document an investigator
files (JSON, and the PDF of ``trace_pdf.py``): the steps in words, the parties and their
part in the chain, a summary of where the container stands, and whether each step's
record is intact. Reading a trace is audited by ``services/traces.py``, not here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from havenwatch.core import audit, clock, event_types
from havenwatch.core.authz import require
from havenwatch.core.errors import NotFound, ServiceError, ValidationFailed
from havenwatch.core.models import AuditHead, AuditRecord, Organisation
from havenwatch.core.principal import Principal
from havenwatch.core.templatetags.havenwatch import local_time
from havenwatch.release import selectors
from havenwatch.release.choices import Light
from havenwatch.release.models import (
    CommercialRelease,
    Container,
    CustomsHold,
    DriverAssignment,
    PickupAttempt,
    ReleaseRight,
)
from havenwatch.release.schemas import reasons_out
from havenwatch.release.validation import container_number

READ_CODE = "release.trace.read"  # the trace's own reads: audited, never steps of the chain


class InvalidContainerNumber(ServiceError):
    """A container number that is not one (asked for in a path or a search, not a body)."""

    status = 400
    code = "invalid_container_number"


@dataclass(frozen=True)
class Step:
    sequence: int
    occurred_at: datetime
    code: str
    act: str
    organisation: str
    actor: str
    data: dict
    description: str = ""  # the data in words, in the reader's language
    verified: bool = True  # the record is intact and linked to its neighbours in the chain


def traceable_container(*, principal: Principal, number: str) -> Container:
    """The container ``number`` if the principal may trace it (an authority over its port).

    A number that is not one is an :class:`InvalidContainerNumber` with the check-digit
    message; a container that does not exist and one in another port are the same
    :class:`NotFound`, which names only the number asked for.
    """
    try:
        number = container_number(number, field="number")
    except ValidationFailed as error:
        raise InvalidContainerNumber(error.message, field="number") from None
    container = (Container.objects.restrict(principal, "release.trace").select_related("terminal__port")
                 .filter(number=number).first())
    if container is None:
        raise NotFound(_("No container %(number)s in your ports.") % {"number": number}, field="number")
    return container


def trace_filename(number: str, extension: str) -> str:
    """The name a downloaded trace is saved under: ``chain-of-custody-CSQU3054383.pdf``."""
    return f"chain-of-custody-{number}.{extension}"


def _subjects(container: Container) -> Q:
    releases = list(CommercialRelease.objects.filter(container=container).values_list("pk", flat=True))
    groups = [
        (Container, [container.pk]),
        (CommercialRelease, releases),
        (ReleaseRight, ReleaseRight.objects.filter(release_id__in=releases).values_list("pk", flat=True)),
        (DriverAssignment, DriverAssignment.objects.filter(release_id__in=releases).values_list("pk", flat=True)),
        (CustomsHold, CustomsHold.objects.filter(container=container).values_list("pk", flat=True)),
        (PickupAttempt, PickupAttempt.objects.filter(container=container).values_list("pk", flat=True)),
    ]
    q = Q(pk__in=[])
    for model, pks in groups:
        ids = [str(pk) for pk in pks]
        if ids:
            q |= Q(subject_type=model._meta.label_lower, subject_id__in=ids)
    return q


# --- is each record intact? -----------------------------------------------------------


def _intact(records: list[AuditRecord]) -> dict[int, bool]:
    """For each record: its data digest and link hash recompute, it follows the record
    before it and the record after it follows it. A local check of the trace's records
    (two queries, however long the chain); the whole chain, its head and its signed
    checkpoints are verified by the audit verification (``core.audit.verify_chain``)."""
    if not records:
        return {}
    own = {r.sequence: r for r in records}
    wanted = ({r.sequence - 1 for r in records} | {r.sequence + 1 for r in records}) - set(own) - {0}
    links = {r.sequence: (r.hash, r.previous_hash) for r in records}
    for sequence, hash_, previous in AuditRecord.objects.filter(sequence__in=wanted).values_list(
            "sequence", "hash", "previous_hash"):
        links[sequence] = (hash_, previous)
    head = AuditHead.objects.get(pk=1)
    result = {}
    for r in records:
        ok = audit.digest(r.data) == r.data_digest and audit.link_hash(
            sequence=r.sequence, occurred_at=r.occurred_at, actor_id=r.actor_id, actor_label=r.actor_label,
            organisation_id=r.organisation_id, port_id=r.port_id, code=r.code, subject_type=r.subject_type,
            subject_id=r.subject_id, data_digest=r.data_digest, previous_hash=r.previous_hash,
        ) == r.hash
        before = audit.GENESIS if r.sequence == 1 else links.get(r.sequence - 1, (None, None))[0]
        ok = ok and r.previous_hash == before
        if r.sequence < head.sequence:
            ok = ok and links.get(r.sequence + 1, (None, None))[1] == r.hash
        else:
            ok = ok and r.sequence == head.sequence and head.hash == r.hash
        result[r.sequence] = ok
    return result


# --- the data of a step in words ------------------------------------------------------


def _when(value, zone: str) -> str:
    try:
        return local_time(datetime.fromisoformat(str(value)), zone)
    except (TypeError, ValueError):
        return str(value or "—")


def _reasons(codes) -> str:
    return ", ".join(reason["label"] for reason in reasons_out(codes)) or "—"


def describe(code: str, data: dict, *, zone: str, terminals: dict[str, str] | None = None) -> str:
    """What a step's recorded data says, as a sentence in the reader's language."""
    d = {key: ("—" if value in (None, "") else value) for key, value in data.items()}
    get = d.get

    def terminal(isps):
        name = (terminals or {}).get(isps)
        return f"{name} ({isps})" if name else str(isps or "—")

    reason = {"reason": get("reason", "—")}
    if code == "release.container.registered":
        return _("Registered at terminal %(terminal)s.") % {"terminal": terminal(get("terminal"))}
    if code == "release.issued":
        return _("Released to %(party)s under bill of lading %(bl)s, valid from %(start)s until %(end)s "
                 "(version %(version)s).") % {
            "party": get("first_party", "—"), "bl": get("bill_of_lading", "—"),
            "start": _when(get("valid_from"), zone), "end": _when(get("valid_until"), zone),
            "version": get("version", "—")}
    if code == "release.updated":
        changes = get("changes") if isinstance(get("changes"), dict) else {}
        parts = []
        if "bill_of_lading" in changes:
            parts.append(_("bill of lading %(value)s") % {"value": changes["bill_of_lading"]})
        if "valid_from" in changes:
            parts.append(_("valid from %(value)s") % {"value": _when(changes["valid_from"], zone)})
        if "valid_until" in changes:
            parts.append(_("valid until %(value)s") % {"value": _when(changes["valid_until"], zone)})
        return _("Changed: %(changes)s (version %(version)s).") % {
            "changes": "; ".join(parts) or "—", "version": get("version", "—")}
    if code in ("release.blocked", "release.unblocked", "release.revoked", "release.hold.placed",
                "release.hold.released"):
        return _("Reason: %(reason)s") % reason
    if code == "release.reissued":
        return _("Reissued as version %(version)s to %(party)s, valid from %(start)s until %(end)s; it replaces "
                 "release %(replaces)s.") % {
            "version": get("version", "—"), "party": get("first_party", "—"),
            "start": _when(get("valid_from"), zone), "end": _when(get("valid_until"), zone),
            "replaces": get("replaces", "—")}
    if code == "release.container.discharged":
        return _("On the yard of terminal %(terminal)s.") % {"terminal": terminal(get("terminal"))}
    parties = {"sender": get("offered_by", "—"), "receiver": get("holder", "—"), **reason}
    if code == "release.right.offered":
        return _("%(sender)s offered the release right to %(receiver)s.") % parties
    if code == "release.right.accepted":
        return _("%(receiver)s accepted the release right from %(sender)s.") % parties
    if code == "release.right.declined":
        return _("%(receiver)s declined the release right from %(sender)s. Reason: %(reason)s") % parties
    if code == "release.right.revoked":
        return _("The release right of %(receiver)s, from %(sender)s, was revoked. Reason: %(reason)s") % parties
    if code == "release.right.restored":
        return _("The release right of %(receiver)s, from %(sender)s, stands on the reissued release.") % parties
    driver = {"credential": get("credential", "—"), "plate": get("plate", "—"), **reason}
    if code == "release.assignment.created":
        return _("Driver with credential %(credential)s, truck %(plate)s, slot from %(start)s until %(end)s.") % {
            **driver, "start": _when(get("slot_start"), zone), "end": _when(get("slot_end"), zone)}
    if code == "release.assignment.cancelled":
        return _("The driver with credential %(credential)s is no longer assigned. Reason: %(reason)s") % driver
    if code == "release.pickup":
        if data.get("granted"):
            return _("Granted: credential %(credential)s, truck %(plate)s.") % driver
        return _("Refused (%(reasons)s): credential %(credential)s, truck %(plate)s.") % {
            **driver, "reasons": _reasons(data.get("reasons"))}
    if code == "release.pickup.override":
        return _("Refused attempt %(attempt)s (%(reasons)s) let through. Reason: %(reason)s") % {
            "attempt": get("override_of", "—"), "reasons": _reasons(data.get("overridden_reasons")), **reason}
    return "; ".join(f"{key}: {value}" for key, value in sorted(d.items()))


# --- the steps ------------------------------------------------------------------------


def container_trace(*, principal: Principal, container: Container) -> list[Step]:
    """Every recorded act on the container, its releases, rights, assignments, holds and
    pickup attempts, in the order the audit chain recorded them."""
    require(principal, "release.trace", container)  # authorities over the terminal's port
    records = list(AuditRecord.objects.filter(_subjects(container)).exclude(code=READ_CODE).order_by("sequence"))
    names = dict(Organisation.objects.filter(pk__in={r.organisation_id for r in records if r.organisation_id})
                 .values_list("pk", "name"))
    terminal = container.terminal
    zone = terminal.port.time_zone
    intact = _intact(records)
    steps = []
    for record in records:
        try:
            act = str(event_types.get(record.code).label)
        except KeyError:
            act = record.code
        data = dict(record.data)
        steps.append(Step(sequence=record.sequence, occurred_at=record.occurred_at, code=record.code, act=act,
                          organisation=names.get(record.organisation_id, ""), actor=record.actor_label, data=data,
                          description=describe(record.code, data, zone=zone,
                                               terminals={terminal.isps_number: terminal.name}),
                          verified=intact[record.sequence]))
    return steps


# --- the parties and the summary ------------------------------------------------------

PARTY_ROLES = {
    "shipping_line": gettext_lazy("Shipping line: issued the release"),
    "first_party": gettext_lazy("First release party"),
    "release_party": gettext_lazy("Was offered the release right"),
    "haulier": gettext_lazy("Haulier: assigned a driver"),
    "customs": gettext_lazy("Customs: held the container"),
    "terminal": gettext_lazy("Terminal operator: discharge and gate"),
}
LIGHT_NAMES = {
    "commercial": gettext_lazy("Commercial"),
    "customs": gettext_lazy("Customs"),
    "terminal": gettext_lazy("Terminal"),
}


def container_parties(container: Container) -> list[dict]:
    """Every organisation with a part in the container's chain, with each part it played,
    in the order of the chain: the line, the release parties, hauliers, customs, the terminal."""
    roles: dict[int, list[str]] = {}

    def add(org_id, role):
        if org_id is not None and role not in roles.setdefault(org_id, []):
            roles[org_id].append(role)

    releases = list(CommercialRelease.objects.filter(container=container).order_by("created_at", "pk"))
    for release in releases:
        add(release.shipping_line_id, "shipping_line")
        add(release.first_party_id, "first_party")
    for holder_id in (ReleaseRight.objects.filter(release__in=releases).order_by("offered_at", "pk")
                      .values_list("holder_id", flat=True)):
        if "first_party" not in roles.get(holder_id, []):
            add(holder_id, "release_party")
    for haulier_id in (DriverAssignment.objects.filter(release__in=releases).order_by("created_at", "pk")
                       .values_list("haulier_id", flat=True)):
        add(haulier_id, "haulier")
    for office_id in CustomsHold.objects.filter(container=container).order_by("placed_at", "pk").values_list(
            "placed_by_id", flat=True):
        add(office_id, "customs")
    add(container.terminal.operator_id, "terminal")
    names = Organisation.objects.in_bulk(list(roles))
    return [{"id": org_id, "name": names[org_id].name,
             "roles": [{"code": role, "label": str(PARTY_ROLES[role])} for role in org_roles]}
            for org_id, org_roles in roles.items() if org_id in names]


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def container_summary(container: Container) -> dict:
    """Where the container stands now: its latest release, who holds the right, its lights."""
    zone = container.terminal.port.time_zone
    release = (selectors.live_release(container)
               or CommercialRelease.objects.filter(container=container).order_by("-created_at", "-pk").first())
    lights = selectors.lights(container)
    right = selectors.holder(release) if release is not None else None
    return {
        "release": None if release is None else {
            "id": release.pk,
            "version": release.version,
            "status": release.status,
            "status_label": str(release.get_status_display()),
            "status_reason": release.status_reason,
            "shipping_line": release.shipping_line.name,
            "bill_of_lading": release.bill_of_lading,
            "valid_from": _iso(release.valid_from),
            "valid_from_local": local_time(release.valid_from, zone),
            "valid_until": _iso(release.valid_until),
            "valid_until_local": local_time(release.valid_until, zone),
        },
        "holder": right.holder.name if right is not None else None,
        "lights": [{"light": name, "label": str(label), "state": getattr(lights, name),
                    "state_label": str(Light(getattr(lights, name)).label)} for name, label in LIGHT_NAMES.items()],
        "all_green": lights.all_green,
        "discharged_at": _iso(container.discharged_at),
        "discharged_at_local": local_time(container.discharged_at, zone),
    }


# --- the document ---------------------------------------------------------------------


def trace_export(*, principal: Principal, container: Container) -> dict:
    """The trace as a JSON-ready document, in the reader's language: what an investigator files."""
    steps = container_trace(principal=principal, container=container)
    terminal = container.terminal
    zone = terminal.port.time_zone
    now = clock.now()
    broken = [step.sequence for step in steps if not step.verified]
    return {
        "container": container.number,
        "terminal": terminal.name,
        "terminal_isps": terminal.isps_number,
        "port": terminal.port.name,
        "time_zone": zone,
        "title": _("Chain of custody of container %(number)s") % {"number": container.number},
        "generated_at": _iso(now),
        "generated_at_local": local_time(now, zone),
        "generated_by": {"actor": principal.label,
                         "organisation": principal.organisation.name if principal.organisation else ""},
        "summary": container_summary(container),
        "parties": container_parties(container),
        "steps": [{**asdict(step), "occurred_at": _iso(step.occurred_at),
                   "occurred_at_local": local_time(step.occurred_at, zone)} for step in steps],
        "verification": {
            "intact": not broken,
            "checked": len(steps),
            "broken": broken,
            "explanation": (
                _("Each step's record was recomputed and is linked to the records before and after it in the "
                  "audit chain.") if not broken else
                _("The records of steps %(steps)s do not match the audit chain: verify the whole chain before "
                  "relying on this trace.") % {"steps": ", ".join(f"#{n}" for n in broken)}),
        },
        "note": _("Every step is a record of the audit chain; its sequence number lets anyone verify it."),
    }
