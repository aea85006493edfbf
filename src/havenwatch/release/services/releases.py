"""Commercial releases: the shipping line issues, updates, blocks, unblocks, revokes, and
withdraws-and-reissues the release of a container to its first release party.

Issuing offers the release right to the first party (``services/rights.py``); revoking
brings the whole chain down; a reissue restores it. Driver assignments and the pickup at
the gate build on these (the rest of issue 4). Every act is audited and published.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from havenwatch.access.services.rights import check_window
from havenwatch.core import clock
from havenwatch.core.authz import require
from havenwatch.core.bulk import insert_keyed
from havenwatch.core.choices import OrganisationKind
from havenwatch.core.errors import Conflict, PermissionRefused, ServiceError, ValidationFailed
from havenwatch.core.models import Facility, Organisation
from havenwatch.core.principal import Principal
from havenwatch.core.services._emit import emit, emit_many
from havenwatch.release import validation
from havenwatch.release.choices import LIVE_STATUSES, ReleaseStatus
from havenwatch.release.models import CommercialRelease, Container, ReleaseRight
from havenwatch.release.selectors import concerned_parties
from havenwatch.release.services import assignments, rights

MAX_REFERENCE = 35  # an EDIFACT bill of lading reference (an..35)


def _emit(actor: Principal, code: str, release: CommercialRelease, data: dict, priority: int = 3) -> None:
    """Audit and publish an act on a release; everyone in its chain hears of it (a reissue:
    everyone in the chain it replaces)."""
    terminal = release.container.terminal
    parties = concerned_parties(release) | concerned_parties(release.replaces)
    emit(actor=actor, code=code, subject=release, organisation_id=release.shipping_line_id,
         port_id=terminal.port_id, facility_id=terminal.pk, priority=priority, parties=parties,
         data={"container": release.container.number, **data})


def _require_line(actor: Principal, what: str) -> Organisation:
    require(actor, "release.issue")
    organisation = actor.organisation
    if organisation is None or (organisation.kind != OrganisationKind.SHIPPING_LINE and not actor.unrestricted):
        raise PermissionRefused(_("Only a shipping line or its agent can %(what)s.") % {"what": what})
    return organisation


def _require_issuer(actor: Principal, release: CommercialRelease, what: str) -> None:
    _require_line(actor, what)
    if release.shipping_line_id != actor.organisation_id and not actor.unrestricted:
        raise PermissionRefused(_("Only %(line)s, which issued this release, can %(what)s.")
                                % {"line": release.shipping_line.name, "what": what})


def _reference(value: str) -> str:
    value = " ".join((value or "").split())
    if not value:
        raise ValidationFailed(_("Give the bill of lading reference."), field="bill_of_lading")
    if len(value) > MAX_REFERENCE:
        raise ValidationFailed(_("A bill of lading reference has at most %(n)s characters.") % {"n": MAX_REFERENCE},
                               field="bill_of_lading")
    return value


def _first_party(organisation) -> Organisation:
    if not isinstance(organisation, Organisation) or not organisation.is_active:
        raise ValidationFailed(_("Name an active organisation as the first release party."), field="first_party")
    return organisation


def _locked(release: CommercialRelease) -> CommercialRelease:
    return (CommercialRelease.objects.select_for_update(of=("self",))
            .select_related("container__terminal", "shipping_line").get(pk=release.pk))


@transaction.atomic
def release_issue(
    *, actor: Principal, container_number: str, terminal: Facility, bill_of_lading: str,
    first_party: Organisation, valid_from: datetime, valid_until: datetime,
) -> CommercialRelease:
    """Release a container at a terminal to its first release party, for a period.

    The container is registered at the terminal on its first release. A container has at
    most one live release: a second one is refused (update, or withdraw and reissue).
    """
    line = _require_line(actor, _("issue a release"))
    number = validation.container_number(container_number)
    if not isinstance(terminal, Facility) or not terminal.is_active:
        raise ValidationFailed(_("Name the terminal where the container is."), field="terminal")
    bill_of_lading = _reference(bill_of_lading)
    first_party = _first_party(first_party)
    check_window(valid_from, valid_until)
    now = clock.now()
    container = Container.objects.select_for_update().filter(number=number).first()
    if container is None:
        container = Container.objects.create(number=number, terminal=terminal, created_at=now)
        # Audited, not published: the release.issued event that follows names the container.
        emit(actor=actor, code="release.container.registered", subject=container, organisation_id=line.pk,
             port_id=terminal.port_id, facility_id=terminal.pk, publish=False,
             data={"number": number, "terminal": terminal.isps_number})
    elif container.terminal_id != terminal.pk:
        raise Conflict(_("Container %(number)s is at %(terminal)s, not at %(other)s.")
                       % {"number": number, "terminal": container.terminal.name, "other": terminal.name},
                       field="terminal")
    if CommercialRelease.objects.filter(container=container, status__in=LIVE_STATUSES).exists():
        raise Conflict(_("Container %(number)s has a live release already: update it, or withdraw and reissue it.")
                       % {"number": number}, field="container")
    release = CommercialRelease.objects.create(
        container=container, shipping_line=line, bill_of_lading=bill_of_lading, first_party=first_party,
        valid_from=valid_from, valid_until=valid_until, created_at=now, updated_at=now,
    )
    _emit(actor, "release.issued", release, {
        "terminal": terminal.isps_number, "bill_of_lading": bill_of_lading, "first_party": first_party.name,
        "valid_from": valid_from.isoformat(), "valid_until": valid_until.isoformat(), "version": 1})
    rights.offer_first(actor=actor, release=release)
    return release


@transaction.atomic
def release_update(
    *, actor: Principal, release: CommercialRelease, bill_of_lading: str | None = None,
    valid_from: datetime | None = None, valid_until: datetime | None = None,
) -> CommercialRelease:
    """Correct the reference or the validity of a live release; each change is a new version."""
    _require_issuer(actor, release, _("update it"))
    release = _locked(release)
    if release.status not in LIVE_STATUSES:
        raise Conflict(_("Only a live release can be updated; this one is: %(status)s.")
                       % {"status": release.get_status_display()})
    changes = {}
    if bill_of_lading is not None and _reference(bill_of_lading) != release.bill_of_lading:
        changes["bill_of_lading"] = release.bill_of_lading = _reference(bill_of_lading)
    start = valid_from or release.valid_from
    end = valid_until or release.valid_until
    check_window(start, end)
    if start != release.valid_from:
        release.valid_from = start
        changes["valid_from"] = start.isoformat()
    if end != release.valid_until:
        release.valid_until = end
        changes["valid_until"] = end.isoformat()
    if not changes:
        raise ValidationFailed(_("Nothing to change: give a new reference or validity."))
    release.version += 1
    release.updated_at = clock.now()
    release.save()
    _emit(actor, "release.updated", release, {"changes": changes, "version": release.version})
    return release


def _set_status(actor, release, status, reason, code, priority=3) -> CommercialRelease:
    release.status = status
    release.status_reason = reason
    release.updated_at = clock.now()
    release.save(update_fields=["status", "status_reason", "updated_at"])
    _emit(actor, code, release, {"reason": reason}, priority=priority)
    return release


@transaction.atomic
def release_block(*, actor: Principal, release: CommercialRelease, reason: str) -> CommercialRelease:
    """Stop a release for now (e.g. unpaid freight); nobody can pick the container up."""
    _require_issuer(actor, release, _("block it"))
    release = _locked(release)
    reason = validation.reason(reason, _("Say why the release is blocked."))
    if release.status != ReleaseStatus.ACTIVE:
        raise Conflict(_("Only an active release can be blocked; this one is: %(status)s.")
                       % {"status": release.get_status_display()})
    return _set_status(actor, release, ReleaseStatus.BLOCKED, reason, "release.blocked", priority=2)


@transaction.atomic
def release_unblock(*, actor: Principal, release: CommercialRelease, reason: str) -> CommercialRelease:
    _require_issuer(actor, release, _("unblock it"))
    release = _locked(release)
    reason = validation.reason(reason, _("Say why the release is unblocked."))
    if release.status != ReleaseStatus.BLOCKED:
        raise Conflict(_("Only a blocked release can be unblocked; this one is: %(status)s.")
                       % {"status": release.get_status_display()})
    return _set_status(actor, release, ReleaseStatus.ACTIVE, reason, "release.unblocked")


@transaction.atomic
def release_revoke(*, actor: Principal, release: CommercialRelease, reason: str) -> CommercialRelease:
    """End a release for good: the whole chain behind it falls, and everyone in it is told."""
    _require_issuer(actor, release, _("revoke it"))
    release = _locked(release)
    reason = validation.reason(reason, _("Say why the release is revoked."))
    if release.status not in LIVE_STATUSES:
        raise Conflict(_("Only a live release can be revoked; this one is: %(status)s.")
                       % {"status": release.get_status_display()})
    _set_status(actor, release, ReleaseStatus.REVOKED, reason, "release.revoked", priority=2)
    rights.revoke_chain(actor=actor, release=release, reason=reason)
    return release


@transaction.atomic
def release_reissue(
    *, actor: Principal, release: CommercialRelease, valid_from: datetime, valid_until: datetime,
    first_party: Organisation | None = None, reason: str = "",
) -> CommercialRelease:
    """Withdraw a live release and issue its successor (a new version, the chain restored)."""
    _require_issuer(actor, release, _("withdraw and reissue it"))
    release = _locked(release)
    reason = validation.reason(reason, _("Say why the release is withdrawn and reissued."))
    if release.status not in LIVE_STATUSES:
        raise Conflict(_("Only a live release can be withdrawn and reissued; this one is: %(status)s.")
                       % {"status": release.get_status_display()})
    check_window(valid_from, valid_until)
    first_party = _first_party(first_party or release.first_party)
    now = clock.now()
    release.status = ReleaseStatus.WITHDRAWN
    release.status_reason = reason
    release.updated_at = now
    release.save(update_fields=["status", "status_reason", "updated_at"])
    successor = CommercialRelease.objects.create(
        container=release.container, shipping_line=release.shipping_line, bill_of_lading=release.bill_of_lading,
        first_party=first_party, valid_from=valid_from, valid_until=valid_until, replaces=release,
        version=release.version + 1, created_at=now, updated_at=now,
    )
    _emit(actor, "release.reissued", successor, {
        "replaces": release.pk, "first_party": first_party.name, "valid_from": valid_from.isoformat(),
        "valid_until": valid_until.isoformat(), "version": successor.version})
    if successor.first_party_id == release.first_party_id:
        rights.copy_chain(actor=actor, old=release, new=successor)  # the chain is restored
    else:
        rights.offer_first(actor=actor, release=successor)  # another first party: a new chain
    assignments.carry_over(actor=actor, old=release, new=successor)  # the driver too, if the haulier still holds
    return successor


BULK_MAX = 10_000  # rows in one bulk issue


def _checked_row(row: dict) -> tuple:
    """One bulk row checked as :func:`release_issue` checks it, without touching the database."""
    number = validation.container_number(row.get("container_number"))
    terminal = row.get("terminal")
    if not isinstance(terminal, Facility) or not terminal.is_active:
        raise ValidationFailed(_("Name the terminal where the container is."), field="terminal")
    bill_of_lading = _reference(row.get("bill_of_lading"))
    first_party = _first_party(row.get("first_party"))
    check_window(row.get("valid_from"), row.get("valid_until"))
    return number, terminal, bill_of_lading, first_party, row["valid_from"], row["valid_until"]


def _in_chunks(values: list, size: int = 2000):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _live_already(number: str) -> Conflict:
    return Conflict(_("Container %(number)s has a live release already: update it, or withdraw and reissue it.")
                    % {"number": number}, field="container")


@transaction.atomic
def release_issue_bulk(*, actor: Principal, rows: list[dict]) -> list[CommercialRelease]:
    """Issue many releases at once, all or nothing.

    Each row holds the keyword arguments of :func:`release_issue` (``container_number``,
    ``terminal``, ``bill_of_lading``, ``first_party``, ``valid_from``, ``valid_until``) and
    is checked by the same rules, so every failing row is found, not just the first. If any
    row fails, nothing is written: the raised :class:`ValidationFailed` carries ``errors``,
    one ``{"index", "field", "code", "message"}`` per failing row (``index`` counts from 0).
    Rows are checked in order: a container named twice fails on its second row.

    The rows are then written as one act, with exactly the records, rights, audit records
    and events that issuing them one by one would write, in the same order, but in a few
    statements (``bulk_create``, one append to the audit chain and to the outbox): a
    10,000-row batch takes seconds, not minutes. The database's unique constraints (one
    container per number, one live release per container) stop a concurrent issue of the
    same container, and then nothing of the batch is written.
    """
    line = _require_line(actor, _("issue a release"))
    if not rows:
        raise ValidationFailed(_("Give at least one release."), field="releases")
    if len(rows) > BULK_MAX:
        raise ValidationFailed(_("At most %(n)s releases at a time.") % {"n": BULK_MAX}, field="releases")
    errors: list[dict] = []
    checked: list[tuple] = []
    for index, row in enumerate(rows):
        try:
            checked.append((index, *_checked_row(row)))
        except ServiceError as exc:
            errors.append({"index": index, "field": exc.field or "", "code": exc.code, "message": str(exc.message)})
    numbers = sorted({item[1] for item in checked})
    containers: dict[str, Container] = {}
    for chunk in _in_chunks(numbers):
        containers.update((c.number, c) for c in Container.objects.filter(number__in=chunk).select_related("terminal"))
    live: set[int] = set()
    for chunk in _in_chunks([c.pk for c in containers.values()]):
        live.update(CommercialRelease.objects.filter(container_id__in=chunk, status__in=LIVE_STATUSES)
                    .values_list("container_id", flat=True))
    seen: set[str] = set()
    good = []
    for item in checked:
        index, number, terminal = item[0], item[1], item[2]
        container = containers.get(number)
        if container is not None and container.terminal_id != terminal.pk:
            exc = Conflict(_("Container %(number)s is at %(terminal)s, not at %(other)s.")
                           % {"number": number, "terminal": container.terminal.name, "other": terminal.name},
                           field="terminal")
        elif number in seen or (container is not None and container.pk in live):
            exc = _live_already(number)
        else:
            seen.add(number)
            good.append(item)
            continue
        errors.append({"index": index, "field": exc.field or "", "code": exc.code, "message": str(exc.message)})
    if errors:
        errors.sort(key=lambda error: error["index"])
        raise ValidationFailed(
            _("%(failed)s of %(total)s releases are refused; none was issued.")
            % {"failed": len(errors), "total": len(rows)},
            code="bulk_rejected", field="releases", errors=errors,
        )
    return _write_bulk(actor, line, good, containers)


def _write_bulk(actor: Principal, line: Organisation, good: list[tuple], containers: dict) -> list[CommercialRelease]:
    now = clock.now()
    new_containers = [Container(number=number, terminal=terminal, created_at=now)
                      for _index, number, terminal, *_rest in good if number not in containers]
    registered = {container.number for container in new_containers}
    try:
        with transaction.atomic():
            insert_keyed(Container, new_containers, key="number")
            containers = {**containers, **{container.number: container for container in new_containers}}
            releases = [
                CommercialRelease(container=containers[number], shipping_line=line, bill_of_lading=reference,
                                  first_party=party, valid_from=start, valid_until=end, created_at=now, updated_at=now)
                for _index, number, _terminal, reference, party, start, end in good
            ]
            insert_keyed(CommercialRelease, releases, key="container", scope=Q(status__in=LIVE_STATUSES))
            offers = [ReleaseRight(release=release, holder_id=release.first_party_id, offered_by=line, offered_at=now)
                      for release in releases]
            insert_keyed(ReleaseRight, offers, key="release")  # the new releases' only rights
    except IntegrityError:  # the same container issued at the same moment by another request
        raise Conflict(_("One of these containers got a live release at the same moment: none was issued; "
                         "try again."), field="releases") from None
    acts = []
    for (_index, number, terminal, reference, party, start, end), release, offer in zip(
            good, releases, offers, strict=True):
        where = {"port_id": terminal.port_id, "facility_id": terminal.pk}
        if number in registered:
            acts.append({"code": "release.container.registered", "subject": release.container, "publish": False,
                         "organisation_id": line.pk, **where, "data": {"number": number, "terminal": terminal.isps_number}})
        acts.append({"code": "release.issued", "subject": release, "organisation_id": line.pk, **where,
                     "parties": {terminal.operator_id},
                     "data": {"container": number, "terminal": terminal.isps_number, "bill_of_lading": reference,
                              "first_party": party.name, "valid_from": start.isoformat(),
                              "valid_until": end.isoformat(), "version": 1}})
        acts.append({"code": "release.right.offered", "subject": offer, "organisation_id": party.pk, **where,
                     "parties": {line.pk},
                     "data": {"container": number, "release": release.pk, "holder": party.name,
                              "offered_by": line.name}})
    emit_many(actor=actor, acts=acts)
    return releases
