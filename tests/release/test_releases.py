"""Commercial releases and the three lights: every rule, and each refusal changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from havenwatch.core import clock
from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.errors import Conflict, PermissionRefused, ValidationFailed
from havenwatch.core.models import AuditRecord, OutboxEvent
from havenwatch.release.choices import Light, ReleaseStatus
from havenwatch.release.models import CommercialRelease, Container, CustomsHold
from havenwatch.release.selectors import lights, release_list
from havenwatch.release.services.holds import discharge_confirm, hold_place, hold_release
from havenwatch.release.services.releases import (
    release_block,
    release_issue,
    release_reissue,
    release_revoke,
    release_unblock,
    release_update,
)
from tests.factories import FacilityFactory, OrganisationFactory, principal

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)
NUMBER = "CSQU3054383"


@pytest.fixture(autouse=True)
def frozen():
    with clock.frozen(T0) as state:
        yield state


@pytest.fixture
def line(world):
    return OrganisationFactory(name="Oceanic Lines", kind=OrganisationKind.SHIPPING_LINE)


@pytest.fixture
def agent(line):
    return principal(Role.SHIPPING_AGENT, line)


@pytest.fixture
def forwarder(world):
    return OrganisationFactory(name="Kempen Forwarding", kind=OrganisationKind.FORWARDER)


@pytest.fixture
def customs(world):
    return principal(Role.AUTHORITY_INVESTIGATOR,
                     OrganisationFactory(name="Customs Antwerp", kind=OrganisationKind.CUSTOMS))


@pytest.fixture
def issue(world, agent, forwarder):
    def _issue(**overrides):
        fields = {"actor": agent, "container_number": NUMBER, "terminal": world.facility,
                  "bill_of_lading": "OCLU12345678", "first_party": forwarder,
                  "valid_from": T0 - DAY, "valid_until": T0 + 10 * DAY}
        fields.update(overrides)
        return release_issue(**fields)

    return _issue


def counts():
    return (Container.objects.count(), CommercialRelease.objects.count(),
            list(CommercialRelease.objects.order_by("pk").values_list("status", "version")),
            CustomsHold.objects.count(), AuditRecord.objects.count(), OutboxEvent.objects.count())


class unchanged:
    def __enter__(self):
        self.before = counts()

    def __exit__(self, *exc):
        assert counts() == self.before
        return False


def audited(code: str) -> AuditRecord:
    return AuditRecord.objects.filter(code=code).order_by("-sequence").first()


# --- issuing ---------------------------------------------------------------------------


def test_shipping_line_issues_a_release_and_registers_the_container(world, issue, forwarder):
    release = issue(container_number="csqu 305438 3")
    assert release.container.number == NUMBER and release.container.terminal == world.facility
    assert release.status == ReleaseStatus.ACTIVE and release.version == 1 and release.first_party == forwarder
    assert audited("release.container.registered").data == {"number": NUMBER, "terminal": world.facility.isps_number}
    assert audited("release.issued").data["first_party"] == "Kempen Forwarding"
    assert OutboxEvent.objects.filter(type="release.issued").exists()


@pytest.mark.parametrize(("number", "message"), [
    ("CSQU3054384", "CSQU3054384 has a wrong check digit: the last digit should be 3."),
    ("CSQA3054383", "is not a container number"),
    ("CSQU305438", "is not a container number"),
    ("", "Give the container number"),
])
def test_a_wrong_container_number_is_refused_with_what_is_wrong(issue, number, message):
    with unchanged(), pytest.raises(ValidationFailed, match=message):
        issue(container_number=number)


def test_only_a_shipping_line_issues_releases(world, issue, forwarder):
    with unchanged(), pytest.raises(PermissionRefused, match="Your role does not allow this"):
        issue(actor=principal(Role.FORWARDER, forwarder))


def test_a_second_live_release_of_the_same_container_is_refused(issue):
    issue()
    with unchanged(), pytest.raises(Conflict, match="has a live release already"):
        issue(bill_of_lading="OTHER")


def test_a_container_at_another_terminal_is_refused(world, issue, agent):
    release_revoke(actor=agent, release=issue(), reason="cargo sold")
    other = FacilityFactory(port=world.port, name="Terminal C")
    with unchanged(), pytest.raises(Conflict, match="is at Terminal A, not at Terminal C"):
        issue(terminal=other)


def test_a_release_without_reference_or_with_a_backward_window_is_refused(issue):
    with unchanged(), pytest.raises(ValidationFailed, match="Give the bill of lading reference"):
        issue(bill_of_lading=" ")
    with unchanged(), pytest.raises(ValidationFailed):
        issue(valid_from=T0 + DAY, valid_until=T0)


# --- the line's acts -------------------------------------------------------------------------


def test_update_makes_a_new_version_and_records_what_changed(issue, agent):
    release = issue()
    release_update(actor=agent, release=release, valid_until=T0 + 20 * DAY)
    release.refresh_from_db()
    assert release.version == 2 and release.valid_until == T0 + 20 * DAY
    assert audited("release.updated").data["changes"] == {"valid_until": (T0 + 20 * DAY).isoformat()}
    with unchanged(), pytest.raises(ValidationFailed, match="Nothing to change"):
        release_update(actor=agent, release=release, valid_until=T0 + 20 * DAY)


def test_block_and_unblock_turn_the_commercial_light(world, issue, agent):
    release = issue()
    release.container = discharge_confirm(actor=world.pfso(), container=release.container)
    assert lights(release.container).all_green
    with unchanged(), pytest.raises(ValidationFailed, match="Say why the release is blocked"):
        release_block(actor=agent, release=release, reason="")
    release_block(actor=agent, release=release, reason="freight unpaid")
    assert lights(release.container).commercial == Light.RED
    assert OutboxEvent.objects.get(type="release.blocked").priority == 2
    with unchanged(), pytest.raises(Conflict, match="Only an active release can be blocked"):
        release_block(actor=agent, release=release, reason="again")
    release_unblock(actor=agent, release=release, reason="freight paid")
    assert lights(release.container).all_green


def test_another_line_cannot_touch_the_release(issue):
    release = issue()
    other = principal(Role.SHIPPING_AGENT, OrganisationFactory(name="Other Line",
                                                               kind=OrganisationKind.SHIPPING_LINE))
    with unchanged(), pytest.raises(PermissionRefused, match="Only Oceanic Lines, which issued this release"):
        release_block(actor=other, release=release, reason="not ours")


def test_revoke_is_final(issue, agent):
    release = issue()
    release_revoke(actor=agent, release=release, reason="cargo sold to another consignee")
    release.refresh_from_db()
    assert release.status == ReleaseStatus.REVOKED
    assert lights(release.container).commercial == Light.RED
    with unchanged(), pytest.raises(Conflict, match="Only a live release can be revoked"):
        release_revoke(actor=agent, release=release, reason="again")
    with unchanged(), pytest.raises(Conflict, match="Only a blocked release can be unblocked"):
        release_unblock(actor=agent, release=release, reason="undo")
    issue(bill_of_lading="OCLU999")  # a revoked release no longer stands in the way of a new one


def test_withdraw_and_reissue_makes_the_next_version(issue, agent, world):
    release = issue()
    successor = release_reissue(actor=agent, release=release, valid_from=T0, valid_until=T0 + 5 * DAY,
                                reason="new vessel rotation")
    release.refresh_from_db()
    assert release.status == ReleaseStatus.WITHDRAWN and successor.replaces == release
    assert successor.version == 2 and successor.status == ReleaseStatus.ACTIVE
    assert successor.first_party == release.first_party
    assert CommercialRelease.objects.filter(container=release.container, status=ReleaseStatus.ACTIVE).count() == 1


def test_the_commercial_light_follows_the_validity_window(world, issue, frozen):
    release = issue(valid_from=T0 + DAY)
    release.container = discharge_confirm(actor=world.pfso(), container=release.container)
    assert lights(release.container).commercial == Light.RED  # not yet
    assert lights(release.container, at=T0 + 2 * DAY).commercial == Light.GREEN
    assert lights(release.container, at=T0 + 11 * DAY).commercial == Light.RED  # expired


# --- customs and terminal lights -------------------------------------------------------------


def test_customs_holds_a_container_and_releases_the_hold(world, issue, customs):
    release = issue()
    release.container = discharge_confirm(actor=world.pfso(), container=release.container)
    hold = hold_place(actor=customs, container=release.container, reason="selected for a scan")
    assert lights(release.container).customs == Light.RED
    with unchanged(), pytest.raises(Conflict, match="is held by customs already"):
        hold_place(actor=customs, container=release.container, reason="again")
    hold_release(actor=customs, hold=hold, reason="scan clear")
    assert lights(release.container).all_green
    assert audited("release.hold.released").data == {"container": NUMBER, "reason": "scan clear"}


def test_only_customs_holds_containers(world, issue):
    release = issue()
    police = principal(Role.AUTHORITY_INVESTIGATOR, OrganisationFactory(name="Police", kind=OrganisationKind.POLICE))
    with unchanged(), pytest.raises(PermissionRefused, match="Only customs can hold a container"):
        hold_place(actor=police, container=release.container, reason="suspicion")


def test_only_the_terminal_operator_confirms_discharge(world, issue):
    release = issue()
    with unchanged(), pytest.raises(PermissionRefused, match="Only Terminal A's operator"):
        discharge_confirm(actor=world.foreign_pfso(), container=release.container)
    assert lights(release.container).terminal == Light.RED
    release.container = discharge_confirm(actor=world.pfso(), container=release.container)
    assert lights(release.container).terminal == Light.GREEN
    with unchanged(), pytest.raises(Conflict, match="is confirmed already"):
        discharge_confirm(actor=world.pfso(), container=release.container)


def test_a_line_sees_its_own_releases_only(issue, agent):
    release = issue()
    other = principal(Role.SHIPPING_AGENT, OrganisationFactory(name="Other Line",
                                                               kind=OrganisationKind.SHIPPING_LINE))
    assert list(release_list(principal=agent)) == [release]
    assert list(release_list(principal=other)) == []


# --- bulk: the same acts as one by one -------------------------------------------------------


def _written() -> tuple[list, list]:
    """What issuing wrote, without the ids: audit records and events with their parties."""
    def plain(data):
        return {k: v for k, v in data.items() if k not in {"release", "audit_sequence"}}

    records = [(r.code, r.subject_type, r.organisation_id, r.port_id, plain(r.data))
               for r in AuditRecord.objects.filter(code__startswith="release.").order_by("sequence")]
    published = [(e.type, e.subject_type, e.organisation_id, e.facility_id, plain(e.payload),
                  sorted(e.parties.values_list("organisation_id", flat=True)))
                 for e in OutboxEvent.objects.filter(type__startswith="release.").order_by("sequence")]
    return records, published


def test_a_bulk_issue_writes_exactly_what_issuing_one_by_one_writes(world, agent, forwarder, issue):
    from django.db import transaction

    from havenwatch.release.services.releases import release_issue_bulk

    numbers = [NUMBER, "MSKU9070323", "TGHU1234567"]
    rows = [{"container_number": n, "terminal": world.facility, "bill_of_lading": f"OCLU{i}", "first_party": forwarder,
             "valid_from": T0 - DAY, "valid_until": T0 + 10 * DAY} for i, n in enumerate(numbers)]
    with transaction.atomic():
        for row in rows:
            release_issue(actor=agent, **row)
        one_by_one = _written()
        transaction.set_rollback(True)
    issued = release_issue_bulk(actor=agent, rows=rows)
    assert _written() == one_by_one
    assert [r.container.number for r in issued] == numbers
    assert all(r.pk and r.container.pk for r in issued)
    from havenwatch.core import audit

    assert audit.verify_chain().ok


def test_a_bulk_issue_reuses_a_known_container_and_refuses_one_at_another_terminal(world, agent, forwarder, issue):
    from havenwatch.release.services.releases import release_issue_bulk

    old = issue()
    release_revoke(actor=agent, release=old, reason="Wrong party")
    elsewhere = FacilityFactory(port=world.port, operator=world.operator)
    row = {"container_number": NUMBER, "terminal": world.facility, "bill_of_lading": "OCLU9", "first_party": forwarder,
           "valid_from": T0 - DAY, "valid_until": T0 + 10 * DAY}
    with pytest.raises(ValidationFailed) as refused, unchanged():
        release_issue_bulk(actor=agent, rows=[{**row, "terminal": elsewhere}])
    assert refused.value.errors[0]["field"] == "terminal" and "not at" in refused.value.errors[0]["message"]
    (again,) = release_issue_bulk(actor=agent, rows=[row])
    assert again.container_id == old.container_id and Container.objects.count() == 1
    assert not AuditRecord.objects.filter(code="release.container.registered").exclude(
        subject_id=str(old.container_id)).exists()
