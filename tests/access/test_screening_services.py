"""Port bans, security verifications and record checks through the services."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import OperationalError, connection

from havenwatch.access.choices import CredentialKind, CredentialState, VisitStatus
from havenwatch.access.models import Credential, PortBan, RecordCheck, SecurityVerification, Visit, Visitor
from havenwatch.access.selectors_people import ban_list, ban_status_for
from havenwatch.access.services import screening
from havenwatch.core import clock
from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.errors import PermissionRefused, ValidationFailed
from havenwatch.core.models import AuditRecord, OutboxEvent
from tests.access.factories import CredentialFactory, PersonFactory, PortBanFactory
from tests.factories import OrganisationFactory, principal

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW) as frozen:
        yield frozen


@pytest.fixture
def police(world):
    return principal(Role.AUTHORITY_INVESTIGATOR, OrganisationFactory(name="Police", kind=OrganisationKind.POLICE))


def counts():
    return (PortBan.objects.count(), SecurityVerification.objects.count(), RecordCheck.objects.count(),
            list(Credential.objects.order_by("pk").values_list("state", flat=True)),
            list(Visit.objects.order_by("pk").values_list("status", flat=True)),
            AuditRecord.objects.count(), OutboxEvent.objects.count())


def ban(actor, person, **extra):
    fields = {"valid_from": NOW, "valid_until": NOW + timedelta(days=5 * 365),
              "legal_reference": "Corr. Antwerpen 2026/123", **extra}
    return screening.ban_issue(actor=actor, person=person, **fields)


def last_audit(code):
    return AuditRecord.objects.filter(code=code).order_by("-sequence").first()


# -- bans ---------------------------------------------------------------------------------

def test_ban_blocks_every_credential_of_the_person_at_once(world, police):
    person = PersonFactory(employer=world.company)
    cards = [CredentialFactory(person=person, port=world.port),
             CredentialFactory(person=person, port=world.foreign_port, state=CredentialState.INACTIVE)]
    other = CredentialFactory(port=world.port)
    ban(police, person)
    for card in cards:
        card.refresh_from_db()
        assert card.state == CredentialState.BLOCKED
        assert card.state_changes.get().reason == "port ban"
    other.refresh_from_db()
    assert other.state == CredentialState.ACTIVE
    record = last_audit("access.ban.issued")
    assert record.data["scope"] == "all"
    assert record.data["credentials_blocked"] == 2
    assert record.data["legal_reference"].startswith("sha256:")
    assert AuditRecord.objects.filter(code="access.credential.state_changed").count() == 2


def test_companies_never_learn_which_investigator_banned_their_employee(world, police):
    person = PersonFactory(employer=world.company)
    card = CredentialFactory(person=person, port=world.port, issued_by=world.company)
    visit = Visit.objects.create(announcer=world.company, facility=world.facility,
                                 window_start=NOW + timedelta(hours=1), window_end=NOW + timedelta(hours=9),
                                 reason="delivery", status=VisitStatus.APPROVED, created_at=NOW)
    Visitor.objects.create(visit=visit, person=person, screening="clear", screened_at=NOW)
    ban(police, person)
    change = card.state_changes.get()
    assert change.changed_by_label == "The port's authorities" and change.reason_label == "Port ban"
    visit.refresh_from_db()
    assert visit.decided_by_label == "The port's authorities"
    # What the company's event stream and webhooks carry: no investigator's name either.
    for event in OutboxEvent.objects.filter(organisation_id=world.company.pk):
        assert event.payload.get("actor") in (None, "authority"), event.payload
        assert police.label not in str(event.payload)
    # The audit chain, read by auditors, keeps who acted.
    assert last_audit("access.credential.state_changed").actor_label == police.label


def test_ban_issued_after_visit_approval_stops_the_visit(world, police):
    person = PersonFactory(employer=world.company)
    visit = Visit.objects.create(announcer=world.company, facility=world.facility,
                                 window_start=NOW + timedelta(hours=1), window_end=NOW + timedelta(hours=9),
                                 reason="delivery", status=VisitStatus.APPROVED, created_at=NOW)
    Visitor.objects.create(visit=visit, person=person, screening="clear", screened_at=NOW)
    qr = Credential.objects.create(number="QR-00000001", kind=CredentialKind.VISITOR_QR, person=person,
                                   port=world.port, issued_by=world.operator, valid_from=visit.window_start,
                                   valid_until=visit.window_end, visit=visit, created_at=NOW)
    ended = Visit.objects.create(announcer=world.company, facility=world.facility,
                                 window_start=NOW - timedelta(days=2), window_end=NOW - timedelta(days=1),
                                 reason="past", status=VisitStatus.APPROVED, created_at=NOW)
    Visitor.objects.create(visit=ended, person=person, screening="clear", screened_at=NOW)
    ban(police, person)
    visit.refresh_from_db()
    ended.refresh_from_db()
    qr.refresh_from_db()
    assert visit.status == VisitStatus.STOPPED
    assert ended.status == VisitStatus.APPROVED
    assert qr.state == CredentialState.BLOCKED
    assert last_audit("access.visit.stopped").data == {"facility": "BEAAA-0001"}
    assert last_audit("access.ban.issued").data["visits_stopped"] == 1


def test_ban_is_published_to_each_port_at_priority_1_for_the_release_app(world, police):
    from havenwatch.core.choices import Role
    from havenwatch.core.selectors import visible_events
    from tests.factories import principal

    person = PersonFactory(employer=world.company)
    ban(police, person)
    published = OutboxEvent.objects.filter(type="access.ban.issued")
    assert {event.port_id for event in published} >= {world.port.pk, world.foreign_port.pk}
    for event in published:
        assert event.priority == 1
        assert event.audience == "organisation"
        assert event.payload["person_id"] == person.pk
        assert event.payload["ports"] == "all"
        assert "Corr." not in str(event.payload)
    # Who is banned stays with the authorities: the port authority sees it, a terminal does not.
    assert visible_events(principal=world.pso()).filter(type="access.ban.issued").exists()
    terminal = principal(Role.FACILITY_SECURITY_OFFICER, world.operator)
    assert not visible_events(principal=terminal).filter(type="access.ban.issued").exists()


def test_ban_from_listed_ports_leaves_other_ports_clear(world, police):
    person = PersonFactory(employer=world.company)
    foreign_card = CredentialFactory(person=person, port=world.foreign_port)
    ban(police, person, ports=[world.port])
    foreign_card.refresh_from_db()
    assert foreign_card.state == CredentialState.ACTIVE
    assert screening.ban_check(person=person, port=world.port) == "hit"
    assert screening.ban_check(person=person, port=world.foreign_port) == "clear"
    assert [e.payload["ports"] for e in OutboxEvent.objects.filter(type="access.ban.issued")] == [["BEAAA"]]


def test_ban_without_legal_reference_is_refused_and_changes_nothing(world, police):
    person = PersonFactory(employer=world.company)
    CredentialFactory(person=person, port=world.port)
    before = counts()
    with pytest.raises(ValidationFailed, match="A ban needs its legal reference") as exc:
        ban(police, person, legal_reference="  ")
    assert exc.value.field == "legal_reference"
    assert counts() == before


def test_only_an_authority_can_issue_a_ban(world, police):
    person = PersonFactory(employer=world.company)
    CredentialFactory(person=person, port=world.port)
    before = counts()
    with pytest.raises(PermissionRefused, match="Your role does not allow this"):
        ban(principal(Role.COMPANY_ACCESS_MANAGER, world.company), person)
    with pytest.raises(PermissionRefused, match="Only an authority can issue a port ban"):
        ban(world.admin(), person)
    # The investigator role held in a company (if it ever were) still is no authority.
    with pytest.raises(PermissionRefused):
        ban(principal(Role.AUTHORITY_INVESTIGATOR, world.company), person)
    assert counts() == before


def test_ban_longer_than_twenty_years_is_refused(world, police):
    person = PersonFactory(employer=world.company)
    before = counts()
    with pytest.raises(ValidationFailed, match="20 years at most"):
        ban(police, person, valid_until=NOW + timedelta(days=20 * 366))
    assert counts() == before
    ban(police, person, valid_until=NOW.replace(year=2046))


def test_lifted_ban_reads_clear_and_is_audited(world, police):
    person = PersonFactory(employer=world.company)
    issued = ban(police, person)
    screening.ban_lift(actor=police, ban=issued, reason="judgment overturned on appeal")
    assert screening.ban_check(person=person, port=world.port) == "clear"
    assert last_audit("access.ban.lifted").data == {"reason": "judgment overturned on appeal"}


def test_ban_check_follows_the_window(world):
    person = PersonFactory(employer=world.company)
    PortBanFactory(person=person, valid_from=NOW + timedelta(days=1), valid_until=NOW + timedelta(days=10))
    assert screening.ban_check(person=person, port=world.port) == "clear"
    assert screening.ban_check(person=person, port=world.port, at=NOW + timedelta(days=2)) == "hit"
    assert screening.ban_check(person=person, port=world.port, at=NOW + timedelta(days=10)) == "clear"


def test_unavailable_is_never_clear(world):
    person = PersonFactory(employer=world.company)

    def broken(execute, sql, params, many, context):
        if "access_portban" in sql:
            raise OperationalError("ban register unreachable")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(broken):
        assert screening.ban_check(person=person, port=world.port) == "unavailable"
        answer = ban_status_for(principal=principal(Role.COMPANY_ACCESS_MANAGER, world.company), person=person,
                                port=world.port)
    assert answer == "unavailable"
    assert answer != "clear"
    # The caller's transaction survives the failed check.
    assert screening.ban_check(person=person, port=world.port) == "clear"


def test_company_sees_only_hit_or_no_hit(world, police):
    banned = PersonFactory(employer=world.company)
    free = PersonFactory(employer=world.company)
    ban(police, banned)
    company = principal(Role.COMPANY_ACCESS_MANAGER, world.company)
    assert ban_status_for(principal=company, person=banned, port=world.port) == "hit"
    assert ban_status_for(principal=company, person=free, port=world.port) == "clear"
    assert not ban_list(principal=company).exists()
    assert not ban_list(principal=world.admin()).exists()
    assert list(ban_list(principal=police)) == list(PortBan.objects.all())
    with pytest.raises(PermissionRefused):
        ban_status_for(principal=principal(Role.AUDITOR, world.company), person=banned, port=world.port)


# -- security verifications ---------------------------------------------------------------

def test_positive_verification_is_valid_until_it_expires(world, police, _frozen):
    person = PersonFactory(employer=world.company)
    verification = screening.verification_request(
        actor=principal(Role.COMPANY_ACCESS_MANAGER, world.company), person=person, function="IT systems")
    assert last_audit("access.verification.requested").data == {"function": "IT systems"}
    assert not screening.verification_valid(person=person, at=NOW)
    screening.verification_decide(actor=police, verification=verification, status="positive",
                                  valid_until=NOW + timedelta(days=30))
    assert last_audit("access.verification.decided").data["status"] == "positive"
    assert screening.verification_valid(person=person, at=NOW + timedelta(days=29))
    assert not screening.verification_valid(person=person, at=NOW + timedelta(days=30))
    verification.refresh_from_db()
    assert screening.verification_status(verification, NOW + timedelta(days=31)) == "expired"


def test_positive_verification_without_future_expiry_is_refused(world, police):
    person = PersonFactory(employer=world.company)
    verification = screening.verification_request(
        actor=principal(Role.COMPANY_ACCESS_MANAGER, world.company), person=person, function="IT systems")
    before = counts()
    with pytest.raises(ValidationFailed, match="must expire in the future"):
        screening.verification_decide(actor=police, verification=verification, status="positive",
                                      valid_until=NOW - timedelta(days=1))
    with pytest.raises(ValidationFailed, match="needs the date it expires"):
        screening.verification_decide(actor=police, verification=verification, status="positive")
    assert counts() == before


def test_only_an_authority_decides_a_verification(world):
    person = PersonFactory(employer=world.company)
    verification = screening.verification_request(
        actor=principal(Role.COMPANY_ACCESS_MANAGER, world.company), person=person, function="IT systems")
    before = counts()
    with pytest.raises(PermissionRefused, match="Your role does not allow this"):
        screening.verification_decide(actor=principal(Role.COMPANY_ACCESS_MANAGER, world.company),
                                      verification=verification, status="positive",
                                      valid_until=NOW + timedelta(days=30))
    with pytest.raises(PermissionRefused, match="Only an authority"):
        screening.verification_decide(actor=world.admin(), verification=verification, status="negative")
    assert counts() == before


# -- record checks ------------------------------------------------------------------------

def test_record_check_keeps_date_and_result_only(world):
    person = PersonFactory(employer=world.company)
    check = screening.record_check_record(actor=principal(Role.COMPANY_ACCESS_MANAGER, world.company),
                                          person=person, checked_on=date(2026, 3, 1), result="no_entries")
    assert {f.name for f in RecordCheck._meta.get_fields()} == {"id", "person", "checked_on", "result",
                                                                "checked_by"}
    assert check.checked_by == world.company
    assert last_audit("access.record_check.recorded").data == {"checked_on": "2026-03-01", "result": "no_entries"}


def test_record_check_of_someone_elses_employee_is_refused(world):
    person = PersonFactory(employer=world.operator)
    before = counts()
    with pytest.raises(PermissionRefused, match="your own employees only"):
        screening.record_check_record(actor=principal(Role.COMPANY_ACCESS_MANAGER, world.company),
                                      person=person, checked_on=date(2026, 3, 1), result="entries")
    assert counts() == before
