"""Importing EDIFACT COREOR interchanges: a shipping line's release orders, as releases.

``release/edifact.py`` reads the interchange (and documents the segments we read); this
module finds what the messages name and acts, as the line itself would through
``services/releases.py``:

- the terminal by its ISPS facility number (``Facility.isps_number``, in the port of the
  message's UN/LOCODE), the first release party by its EORI number
  (``Organisation.eori_number``); a carrier NAD with an EORI number must be the line's own;
- function 9 (original): the releases are issued with :func:`release_issue_bulk` (one call
  for each run of consecutive originals: normally the whole interchange);
- 5 (replacement): the live release of each container, issued by this line, gets the
  message's bill of lading and validity (:func:`release_update`); a replacement cannot move
  a container to another terminal or name another release party (cancel, then send an
  original); one that changes nothing is counted as unchanged;
- 1 (cancellation): the live release is revoked (:func:`release_revoke`), and with it the
  chain of rights behind it, with the reason "Cancelled by COREOR <document number>".

All or nothing per interchange: every problem is collected (a problem found by a service is
placed at the EQD segment of its container), nothing is written, and
:class:`CoreorImportRefused` lists them. The refusal itself is audited
(``release.coreor.refused``) in its own transaction, after the import was rolled back; each
imported message is audited as ``release.coreor.imported``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Replace, Upper
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from havenwatch.core import clock
from havenwatch.core.authz import require
from havenwatch.core.choices import OrganisationKind
from havenwatch.core.errors import PermissionRefused, ServiceError
from havenwatch.core.models import Facility, Organisation
from havenwatch.core.principal import Principal
from havenwatch.core.services._emit import emit
from havenwatch.release import edifact, selectors
from havenwatch.release.choices import LIVE_STATUSES
from havenwatch.release.edifact import (
    CANCELLATION,
    ORIGINAL,
    CoreorError,
    CoreorRefused,
    EdiTime,
    ReleaseOrder,
)
from havenwatch.release.models import CommercialRelease
from havenwatch.release.services.releases import release_issue_bulk, release_revoke, release_update

ISSUED, UPDATED, UNCHANGED, REVOKED = "issued", "updated", "unchanged", "revoked"
SUBJECT = "release.coreor"


class CoreorImportRefused(ServiceError):
    """The interchange was refused and nothing of it was written; ``errors`` lists each
    problem: ``message_reference``, ``segment`` (its position), ``tag``, ``code``,
    ``reason`` and ``message`` (the reason with its place)."""

    status = 400
    code = "coreor_refused"

    def __init__(self, message, *, errors: list[dict], code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.errors = errors


@dataclass
class CoreorOutcome:
    """What one interchange did: each release with its act, in the order of the messages."""

    interchange: str
    messages: int
    releases: list[tuple[str, CommercialRelease]] = field(default_factory=list)

    def count(self, act: str) -> int:
        return sum(1 for done, _release in self.releases if done == act)


def _require_line(actor: Principal) -> Organisation:
    require(actor, "release.issue")
    organisation = actor.organisation
    if organisation is None or (organisation.kind != OrganisationKind.SHIPPING_LINE and not actor.unrestricted):
        raise PermissionRefused(_("Only a shipping line or its agent can import release orders."))
    return organisation


def _eori(value: str) -> str:
    return "".join((value or "").split()).upper()


def coreor_import(*, actor: Principal, data: bytes | str) -> CoreorOutcome:
    """Import a COREOR interchange (its bytes, or its text) for the actor's shipping line."""
    line = _require_line(actor)
    try:
        orders = edifact.parse(data)
        with transaction.atomic():  # any problem below raises CoreorRefused: everything is undone
            return _Importer(actor, line, orders).run()
    except CoreorRefused as refused:
        errors, interchange = refused.errors, refused.interchange
    first = errors[0]
    summary = ngettext("The interchange %(ref)s is refused (%(n)s problem); nothing was imported.",
                       "The interchange %(ref)s is refused (%(n)s problems); nothing was imported.",
                       len(errors)) % {"ref": interchange or "?", "n": len(errors)}
    reason = first.text
    if len(errors) > 1:
        reason += " " + ngettext("(and %(n)s more problem)", "(and %(n)s more problems)", len(errors) - 1) % {
            "n": len(errors) - 1}
    with transaction.atomic():  # the fact of the refusal, and nothing of the message
        emit(actor=actor, code="release.coreor.refused", subject=(SUBJECT, (interchange or "-")[:80]),
             organisation_id=line.pk, data={"interchange": interchange, "segment": first.segment_position,
                                            "reason": reason[:500]})
    raise CoreorImportRefused(summary, code="too_large" if first.code == "too_large" else None,
                              errors=[error.as_dict() for error in errors])


class _Importer:
    def __init__(self, actor: Principal, line: Organisation, orders: list[ReleaseOrder]) -> None:
        self.actor = actor
        self.line = line
        self.orders = orders
        self.interchange = orders[0].interchange if orders else ""
        self.errors: list[CoreorError] = []
        self.terminals: dict[str, Facility] = {}
        self.parties: dict[str, Organisation] = {}
        self.done: dict[int, list[tuple[str, CommercialRelease]]] = defaultdict(list)  # by message index
        self.pending: list[tuple[int, ReleaseOrder, edifact.ContainerRelease, dict]] = []

    def error(self, order: ReleaseOrder, position, tag: str, reason: str, code: str) -> None:
        self.errors.append(CoreorError(position, tag, reason, message_reference=order.reference, code=code))

    def run(self) -> CoreorOutcome:
        self.resolve()
        for index, order in enumerate(self.orders):
            if not self.resolved(order):
                continue
            if order.function == ORIGINAL:
                self.queue(index, order)
            else:
                self.flush()  # what came before is in place: a cancellation may follow an original
                self.act_on_live(index, order)
        self.flush()
        if self.errors:
            raise CoreorRefused(self.errors, interchange=self.interchange)
        outcome = CoreorOutcome(interchange=self.interchange, messages=len(self.orders))
        for index, order in enumerate(self.orders):
            done = self.done[index]
            outcome.releases += done
            self.audit(order, done)
        return outcome

    # --- what the messages name ---

    def resolve(self) -> None:
        acting = [order for order in self.orders if order.function != CANCELLATION]
        numbers = {order.terminal.isps_number for order in acting if order.terminal}
        self.terminals = {f.isps_number: f for f in Facility.objects.filter(isps_number__in=numbers, is_active=True)
                          .select_related("port")}
        eoris = {order.release_party.eori for order in acting if order.release_party}
        found: dict[str, list[Organisation]] = defaultdict(list)
        for organisation in (Organisation.objects.filter(is_active=True)
                             .annotate(eori=Upper(Replace("eori_number", Value(" "), Value(""))))
                             .filter(eori__in=eoris)):
            found[organisation.eori].append(organisation)
        line_eori = _eori(self.line.eori_number)
        for order in self.orders:
            carrier = order.carrier
            if carrier is not None and carrier.eori != line_eori and not self.actor.unrestricted:
                if line_eori:
                    reason = _("The carrier (NAD+CA) is EORI %(eori)s, not your organisation %(line)s (EORI "
                               "%(own)s): a line imports only its own release orders.")
                else:
                    reason = _("The carrier (NAD+CA) is EORI %(eori)s, but your organisation %(line)s has no EORI "
                               "number on the platform: a line imports only its own release orders.")
                self.error(order, carrier.position, "NAD", reason % {"eori": carrier.eori, "line": self.line.name,
                                                                     "own": line_eori}, "carrier_mismatch")
            if order.function == CANCELLATION:
                continue
            terminal = order.terminal
            facility = self.terminals.get(terminal.isps_number)
            if facility is None:
                self.error(order, terminal.position, "LOC", _("No terminal has the ISPS facility number %(isps)s.")
                           % {"isps": terminal.isps_number}, "unknown_terminal")
            elif facility.port.unlocode != terminal.unlocode:
                self.error(order, terminal.position, "LOC", _("Terminal %(isps)s is in %(port)s, not in %(locode)s.")
                           % {"isps": terminal.isps_number, "port": facility.port, "locode": terminal.unlocode},
                           "unknown_terminal")
            party = order.release_party
            named = found.get(party.eori, [])
            if not named:
                self.error(order, party.position, "NAD", _("No active organisation on the platform has the EORI "
                                                           "number %(eori)s.") % {"eori": party.eori},
                           "unknown_party")
            elif len(named) > 1:
                self.error(order, party.position, "NAD", _("The EORI number %(eori)s names %(n)s organisations on "
                                                           "the platform: ask its administrators to correct it.")
                           % {"eori": party.eori, "n": len(named)}, "ambiguous_party")
            else:
                self.parties[party.eori] = named[0]

    def resolved(self, order: ReleaseOrder) -> bool:
        return not any(error.message_reference == order.reference for error in self.errors)

    def facility(self, order: ReleaseOrder) -> Facility:
        return self.terminals[order.terminal.isps_number]

    def party(self, order: ReleaseOrder) -> Organisation:
        return self.parties[order.release_party.eori]

    # --- originals ---

    def queue(self, index: int, order: ReleaseOrder) -> None:
        facility = self.facility(order)
        zone = ZoneInfo(facility.port.time_zone)
        for container in order.containers:
            self.pending.append((index, order, container, {
                "container_number": container.number, "terminal": facility,
                "bill_of_lading": container.bill_of_lading, "first_party": self.party(order),
                "valid_from": _aware(container.valid_from, zone) or clock.now(),
                "valid_until": _aware(container.valid_until, zone),
            }))

    def flush(self) -> None:
        pending, self.pending = self.pending, []
        if not pending:
            return
        try:
            issued = release_issue_bulk(actor=self.actor, rows=[row for *_rest, row in pending])
        except ServiceError as exc:
            rows = getattr(exc, "errors", None) or []
            if not rows:
                self.error(pending[0][1], None, "", str(exc.message), exc.code)
            for item in rows:
                _index, order, container, _row = pending[item["index"]]
                self.error(order, container.position, "EQD", item["message"], item.get("code") or "invalid")
            return
        for (index, _order, _container, _row), release in zip(pending, issued, strict=True):
            self.done[index].append((ISSUED, release))

    # --- replacements and cancellations ---

    def act_on_live(self, index: int, order: ReleaseOrder) -> None:
        numbers = [container.number for container in order.containers]
        live = {release.container.number: release for release in (
            selectors.release_list(principal=self.actor)
            .filter(container__number__in=numbers, status__in=LIVE_STATUSES, shipping_line=self.line)
            .select_related("container__terminal__port"))}
        for container in order.containers:
            release = live.get(container.number)
            if release is None:
                self.error(order, container.position, "EQD",
                           _("Container %(number)s has no live release issued by your line: there is nothing to "
                             "%(act)s.") % {"number": container.number,
                                            "act": _("cancel") if order.function == CANCELLATION else _("replace")},
                           "no_live_release")
                continue
            try:
                with transaction.atomic():  # this container's savepoint: the others are still checked
                    if order.function == CANCELLATION:
                        act = self.cancel(order, release)
                    else:
                        act = self.replace(order, container, release)
            except ServiceError as exc:
                self.error(order, container.position, "EQD", str(exc.message), exc.code)
                continue
            if act is not None:
                self.done[index].append(act)

    def cancel(self, order: ReleaseOrder, release: CommercialRelease):
        reason = _("Cancelled by COREOR %(ref)s") % {"ref": order.name}
        return REVOKED, release_revoke(actor=self.actor, release=release, reason=reason)

    def replace(self, order: ReleaseOrder, container: edifact.ContainerRelease, release: CommercialRelease):
        facility, party = self.facility(order), self.party(order)
        if release.container.terminal_id != facility.pk:
            self.error(order, order.terminal.position, "LOC",
                       _("Container %(number)s is at %(terminal)s: a replacement cannot move it to %(other)s.")
                       % {"number": container.number, "terminal": release.container.terminal.name,
                          "other": facility.name}, "terminal_changed")
            return None
        if release.first_party_id != party.pk:
            self.error(order, order.release_party.position, "NAD",
                       _("A replacement cannot change the release party of container %(number)s (now %(party)s): "
                         "cancel the release and send an original.")
                       % {"number": container.number, "party": release.first_party.name}, "party_changed")
            return None
        zone = ZoneInfo(release.container.terminal.port.time_zone)
        valid_from, valid_until = _aware(container.valid_from, zone), _aware(container.valid_until, zone)
        if (container.bill_of_lading == release.bill_of_lading and valid_until == release.valid_until
                and valid_from in (None, release.valid_from)):
            return UNCHANGED, release
        return UPDATED, release_update(actor=self.actor, release=release, bill_of_lading=container.bill_of_lading,
                                       valid_from=valid_from, valid_until=valid_until)

    # --- the record ---

    def audit(self, order: ReleaseOrder, done: list[tuple[str, CommercialRelease]]) -> None:
        terminal = done[0][1].container.terminal if done else None
        emit(actor=self.actor, code="release.coreor.imported", subject=(SUBJECT, f"{self.interchange}/{order.reference}"[:80]),
             organisation_id=self.line.pk, port_id=terminal.port_id if terminal else None,
             facility_id=terminal.pk if terminal else None,
             data={"interchange": self.interchange, "message": order.reference, "function": order.function,
                   "releases": [release.pk for _act, release in done],
                   "containers": [release.container.number for _act, release in done]})


def _aware(moment: EdiTime | None, zone: ZoneInfo) -> datetime | None:
    """A message's date in the terminal's time zone."""
    return moment.value.replace(tzinfo=zone) if moment is not None else None
