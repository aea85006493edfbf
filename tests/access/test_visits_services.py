"""Visit pre-notification: announcers, announcing, screening, and the approver's decision."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from havenwatch.access.choices import (
    CredentialKind,
    CredentialState,
    ProofingLevel,
    ScreeningResult,
    VisitStatus,
)
from havenwatch.access.models import Credential, FacilityEnrolment, Person, Visit
from havenwatch.access.selectors_places import authorisation_list, visit_list, visits_to_approve
from havenwatch.access.services import screening
from havenwatch.access.services.visits import (
    announcer_approve,
    visit_announce,
    visit_approve,
    visit_cancel,
    visit_reject,
)
from havenwatch.core import clock
from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.errors import Conflict, PermissionRefused, ValidationFailed
from tests.access.factories import (
    AnnouncerFactory,
    AuthorisationFactory,
    PersonFactory,
    PortBanFactory,
    ZoneFactory,
)
from tests.access.test_places_services import T0, audited, unchanged
from tests.factories import OrganisationFactory, principal

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
START, END = T0 + DAY, T0 + DAY + 8 * HOUR  # 3 March 2026, 09:00–17:00 in Brussels
IDENTITY = {"first_name": "Ana", "last_name": "Silva", "date_of_birth": "1985-06-01", "nationality": "PT",
            "id_document_ref": "PT-P1234567"}


@pytest.fixture
def frozen():
    with clock.frozen(T0) as state:
        yield state


@pytest.fixture
def agent_org(world):
    return OrganisationFactory(name="Agency A", kind=OrganisationKind.SHIPPING_LINE)


@pytest.fixture
def agent(world, agent_org):
    AnnouncerFactory(organisation=agent_org, facility=world.facility, valid_from=T0 - DAY, valid_until=T0 + 90 * DAY)
    return principal(Role.SHIPPING_AGENT, agent_org)


@pytest.fixture
def zone(world):
    return ZoneFactory(facility=world.facility, code="QUAY", name="Quay")


@pytest.fixture
def announce(world, agent, zone):
    def _announce(**overrides):
        fields = {"actor": agent, "facility": world.facility, "zones": [zone], "window_start": START,
                  "window_end": END, "reason": "crew change", "visitors": [dict(IDENTITY)]}
        fields.update(overrides)
        return visit_announce(**fields)

    return _announce


# --- announcers ------------------------------------------------------------------------


def test_pfso_approves_an_announcer_and_it_is_audited(world, frozen, agent_org):
    announcer = announcer_approve(actor=world.pfso(), organisation=agent_org, facility=world.facility,
                                  valid_from=T0, valid_until=T0 + 365 * DAY)
    assert announcer.approved_at == T0
    assert audited("access.announcer.approved").data == {
        "organisation": "Agency A", "facility": "BEAAA-0001", "valid_until": (T0 + 365 * DAY).isoformat()}


def test_announcer_is_approved_by_the_facility_operator_only(world, frozen, agent_org):
    with unchanged(), pytest.raises(PermissionRefused, match=r"Only the approver of Terminal A \(its operator's "
                                                              r"facility security officer\) can approve announcers."):
        announcer_approve(actor=world.foreign_pfso(), organisation=agent_org, facility=world.facility,
                          valid_from=T0, valid_until=T0 + DAY)


def test_overlapping_announcer_periods_are_refused(world, frozen, agent_org):
    AnnouncerFactory(organisation=agent_org, facility=world.facility, valid_from=T0, valid_until=T0 + 10 * DAY)
    with unchanged(), pytest.raises(Conflict, match="overlapping windows are not allowed"):
        announcer_approve(actor=world.pfso(), organisation=agent_org, facility=world.facility,
                          valid_from=T0 + 5 * DAY, valid_until=T0 + 20 * DAY)


# --- announcing ----------------------------------------------------------------------------


def test_approved_announcer_announces_visitors_who_are_screened_and_registered(world, frozen, announce, zone,
                                                                              agent_org):
    known = PersonFactory(employer=agent_org)
    visit = announce(visitors=[known, dict(IDENTITY)], plate="1-abc-234")
    assert visit.status == VisitStatus.ANNOUNCED and visit.announcer == agent_org
    assert list(visit.zones.all()) == [zone] and visit.plate == "BE:1ABC234"
    assert (visit.window_start, visit.window_end) == (START, END)
    new = Person.objects.get(last_name="Silva")
    assert new.employer is None and new.proofing_level == ProofingLevel.DOCUMENT
    assert new.date_of_birth == date(1985, 6, 1) and new.id_document_ref == "PT-P1234567"
    assert {v.person: v.screening for v in visit.visitors.all()} == {known: "clear", new: "clear"}
    record = audited("access.visit.announced")
    assert record.data["visitors"] == 2 and record.data["screening"] == {str(known.pk): "clear",
                                                                         str(new.pk): "clear"}
    assert record.data["reason"].startswith("sha256:")  # personal context stays out of the chain
    assert audited("access.person.registered").data["name"].startswith("sha256:")


def test_banned_visitor_is_screened_as_a_hit_when_announced(world, frozen, announce, agent_org):
    banned = PersonFactory(employer=agent_org)
    PortBanFactory(person=banned)
    visit = announce(visitors=[banned])
    assert visit.visitors.get().screening == ScreeningResult.HIT


def test_organisation_that_is_not_an_approved_announcer_is_refused(world, frozen, zone):
    stranger = principal(Role.SHIPPING_AGENT, OrganisationFactory(name="Agency Z"))
    with unchanged(), pytest.raises(PermissionRefused, match="Agency Z is not an approved announcer at Terminal A "
                                                             "for 2026-03-03 09:00 – 2026-03-03 17:00."):
        visit_announce(actor=stranger, facility=world.facility, zones=[zone], window_start=START, window_end=END,
                       reason="crew change", visitors=[dict(IDENTITY)])


def test_announcer_approval_must_cover_the_whole_window(world, frozen, announce):
    with unchanged(), pytest.raises(PermissionRefused, match="Agency A is not an approved announcer"):
        announce(window_start=T0 + 89 * DAY, window_end=T0 + 91 * DAY)


def test_operator_announces_at_its_own_facility_without_being_an_announcer(world, frozen, zone):
    manager = principal(Role.COMPANY_ACCESS_MANAGER, world.operator)
    visit = visit_announce(actor=manager, facility=world.facility, zones=[zone], window_start=START,
                           window_end=END, reason="audit", visitors=[dict(IDENTITY)])
    assert visit.announcer == world.operator


def test_ship_call_window_defaults_to_eta_etd(world, frozen, announce):
    eta, etd = T0 + 2 * DAY, T0 + 3 * DAY
    visit = announce(window_start=None, window_end=None, ship_call="MSC ANNA / 26A01", eta=eta, etd=etd)
    assert (visit.window_start, visit.window_end) == (eta, etd)
    assert audited("access.visit.announced").data["ship_call"] == "MSC ANNA / 26A01"


def test_visit_without_window_or_ship_call_is_refused(world, frozen, announce):
    with unchanged(), pytest.raises(ValidationFailed,
                                    match="Give the visit's window, or the ship call with its ETA and ETD."):
        announce(window_start=None, window_end=None, eta=T0 + DAY, etd=T0 + 2 * DAY)


def test_visit_needs_a_reason(world, frozen, announce):
    with unchanged(), pytest.raises(ValidationFailed,
                                    match=r"Say why the visitors come \(the reason of the visit\)."):
        announce(reason="  ")


def test_zone_of_another_facility_is_refused(world, frozen, announce):
    elsewhere = ZoneFactory(facility=world.foreign_facility, name="Foreign quay")
    with unchanged(), pytest.raises(ValidationFailed, match="Foreign quay is not a zone of Terminal A."):
        announce(zones=[elsewhere])


def test_visit_needs_zones_and_visitors(world, frozen, announce):
    with unchanged(), pytest.raises(ValidationFailed, match="Choose the zones the visitors need to enter."):
        announce(zones=[])
    with unchanged(), pytest.raises(ValidationFailed, match="Announce at least one visitor."):
        announce(visitors=[])


@pytest.mark.parametrize(("change", "message"), [
    ({"date_of_birth": "01/06/1985"}, r"Visitor 1: give the date of birth \(YYYY-MM-DD\)."),
    ({"last_name": ""}, "Visitor 1: give the first and last name."),
    ({"nationality": "Portugal"}, "Country must be a two-letter ISO 3166 code such as BE."),
    ({"id_document_ref": ""}, "Visitor 1: give the reference of the identity document checked."),
])
def test_visitor_identity_data_is_checked(world, frozen, announce, change, message):
    with unchanged(), pytest.raises(ValidationFailed, match=message):
        announce(visitors=[{**IDENTITY, **change}])


def test_another_companys_employee_cannot_be_announced(world, frozen, announce):
    other = PersonFactory(employer=world.company, first_name="Piet", last_name="Janssens")
    with unchanged(), pytest.raises(PermissionRefused,
                                    match="You cannot announce Piet Janssens: not one of your organisation's people."):
        announce(visitors=[other])


def test_overlapping_visits_of_the_same_person_are_refused(world, frozen, announce, agent, agent_org):
    person = PersonFactory(employer=agent_org)
    first = announce(visitors=[person])
    with unchanged(), pytest.raises(Conflict, match="is announced at Terminal A from 2026-03-03 09:00 to "
                                                    "2026-03-03 17:00 already: overlapping windows"):
        announce(visitors=[person], window_start=END - HOUR, window_end=END + HOUR)
    announce(visitors=[person], window_start=END, window_end=END + HOUR)  # back to back: fine
    visit_cancel(actor=agent, visit=first)
    announce(visitors=[person], window_start=START, window_end=END - HOUR)  # a cancelled visit holds nothing


# --- deciding ------------------------------------------------------------------------------


def test_approved_visit_gets_a_visitor_qr_valid_only_in_its_window(world, frozen, announce, zone):
    visit = announce()
    visit_approve(actor=world.pfso(), visit=visit)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.APPROVED and visit.decided_at == T0
    credential = Credential.objects.get(visit=visit)
    assert re.fullmatch(r"V-[A-Z2-7]{10}", credential.number)
    assert credential.kind == CredentialKind.VISITOR_QR and credential.state == CredentialState.ACTIVE
    assert (credential.valid_from, credential.valid_until) == (START, END)
    assert credential.port == world.port and credential.issued_by == world.operator
    assert credential.person.last_name == "Silva"
    enrolment = FacilityEnrolment.objects.get(credential=credential)
    assert enrolment.facility == world.facility and enrolment.is_active
    assert list(visit.zones.all()) == [zone]  # what the gate reads: the credential is good for these only
    assert audited("access.visit.approved").data == {"facility": "BEAAA-0001", "visitors": 1,
                                                     "credentials": [credential.number], "unavailable_confirmed": []}
    assert audited("access.credential.issued").data == {
        "number": credential.number, "kind": "visitor_qr", "port": "BEAAA", "valid_from": START.isoformat(),
        "valid_until": END.isoformat(), "visit": visit.pk}


def test_visit_approval_by_someone_who_is_not_the_approver_is_refused(world, frozen, announce, agent):
    visit = announce()
    refusals = [
        (world.foreign_pfso(), r"Only the approver of Terminal A \(its operator's facility security officer\) "
                               r"can approve this visit."),
        (principal(Role.COMPANY_ACCESS_MANAGER, world.operator), "Your role does not allow this: Approve or reject"),
        # An agent approves ship calls it is the agent of, not visits to the facility.
        (agent, r"Only the approver of Terminal A \(its operator's facility security officer\) "
                r"can approve this visit."),
    ]
    for actor, message in refusals:
        with unchanged(), pytest.raises(PermissionRefused, match=message):
            visit_approve(actor=actor, visit=visit)
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.ANNOUNCED


def test_banned_visitor_blocks_approval(world, frozen, announce, agent_org):
    person = PersonFactory(employer=agent_org, first_name="Karel", last_name="Vos")
    visit = announce(visitors=[person])
    assert visit.visitors.get().screening == ScreeningResult.CLEAR
    PortBanFactory(person=person)  # banned after the announcement: approval screens again
    with unchanged(), pytest.raises(Conflict, match="Karel Vos is banned from the port: the visit cannot be "
                                                    "approved."):
        visit_approve(actor=world.pfso(), visit=visit)
    assert not Credential.objects.filter(visit=visit).exists()


def test_unavailable_screening_needs_a_human_decision(world, frozen, announce, monkeypatch):
    visit = announce()
    monkeypatch.setattr(screening, "ban_check", lambda **kwargs: ScreeningResult.UNAVAILABLE)
    with unchanged(), pytest.raises(Conflict, match="The ban check is unavailable for Ana Silva: check by other "
                                                    "means and confirm to approve."):
        visit_approve(actor=world.pfso(), visit=visit)
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.ANNOUNCED
    visit_approve(actor=world.pfso(), visit=visit, confirm_unavailable=True)
    visitor = visit.visitors.get()
    assert visitor.screening == ScreeningResult.UNAVAILABLE
    assert audited("access.visit.approved").data["unavailable_confirmed"] == [visitor.person_id]


def test_a_decided_visit_cannot_be_approved_again(world, frozen, announce):
    visit = announce()
    visit_approve(actor=world.pfso(), visit=visit)
    with unchanged(), pytest.raises(Conflict, match="Only a visit waiting for a decision can be approved. "
                                                    "This visit's status is: Approved."):
        visit_approve(actor=world.pfso(), visit=visit)


def test_visit_whose_window_has_ended_cannot_be_approved(world, frozen, announce):
    visit = announce()
    frozen.set(END)
    with unchanged(), pytest.raises(Conflict, match="The visit's window has ended: it can no longer be approved."):
        visit_approve(actor=world.pfso(), visit=visit)


def test_rejection_needs_a_reason(world, frozen, announce):
    visit = announce()
    with unchanged(), pytest.raises(ValidationFailed, match="Say why the visit is rejected: the announcer reads "
                                                            "the reason."):
        visit_reject(actor=world.pfso(), visit=visit, reason=" ")
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.ANNOUNCED


def test_rejected_visit_keeps_its_reason_and_is_audited(world, frozen, announce):
    visit = announce()
    visit_reject(actor=world.pfso(), visit=visit, reason="no ship call at that time")
    visit.refresh_from_db()
    assert visit.status == VisitStatus.REJECTED and visit.rejection_reason == "no ship call at that time"
    assert not Credential.objects.filter(visit=visit).exists()
    assert audited("access.visit.rejected").data == {"facility": "BEAAA-0001",
                                                     "reason": "no ship call at that time"}


def test_rejection_by_someone_who_is_not_the_approver_is_refused(world, frozen, announce):
    visit = announce()
    with unchanged(), pytest.raises(PermissionRefused, match="Only the approver of Terminal A"):
        visit_reject(actor=world.foreign_pfso(), visit=visit, reason="no")


def test_announcer_cancels_an_approved_visit_and_its_credentials_expire(world, frozen, announce, agent):
    visit = announce()
    visit_approve(actor=world.pfso(), visit=visit)
    visit_cancel(actor=agent, visit=visit)
    visit.refresh_from_db()
    credential = Credential.objects.get(visit=visit)
    assert visit.status == VisitStatus.CANCELLED and credential.state == CredentialState.EXPIRED
    assert not FacilityEnrolment.objects.get(credential=credential).is_active
    assert audited("access.visit.cancelled").data == {"facility": "BEAAA-0001"}
    assert audited("access.credential.state_changed").data == {
        "number": credential.number, "previous_state": "active", "state": "expired", "reason": "visit cancelled"}
    with unchanged(), pytest.raises(Conflict, match="Only an announced or approved visit can be cancelled. "
                                                    "This visit's status is: Cancelled."):
        visit_cancel(actor=agent, visit=visit)


def test_only_the_announcer_cancels_a_visit(world, frozen, announce):
    visit = announce()
    other = principal(Role.SHIPPING_AGENT, OrganisationFactory())
    with unchanged(), pytest.raises(PermissionRefused, match="Your organisation may not do this to"):
        visit_cancel(actor=other, visit=visit)


# --- selectors -----------------------------------------------------------------------------


def test_approver_sees_the_visits_to_approve_at_its_own_facilities_only(world, frozen, announce, agent_org):
    visit = announce()
    decided = announce(window_start=END + DAY, window_end=END + 2 * DAY)
    visit_reject(actor=world.pfso(), visit=decided, reason="no")
    assert list(visits_to_approve(principal=world.pfso())) == [visit]
    assert list(visits_to_approve(principal=world.foreign_pfso())) == []
    assert list(visits_to_approve(principal=principal(Role.SHIPPING_AGENT, agent_org))) == []


def test_visits_are_seen_by_their_announcer_and_the_facility_operator_only(world, frozen, announce, agent):
    visit = announce()
    assert list(visit_list(principal=agent)) == [visit]
    assert list(visit_list(principal=world.pfso())) == [visit]
    assert list(visit_list(principal=principal(Role.SHIPPING_AGENT, world.company))) == []
    assert list(visit_list(principal=world.foreign_pfso())) == []


def test_holders_see_the_authorisations_granted_to_them(world, frozen, zone):
    mine = AuthorisationFactory(zone=zone, person=None, organisation=world.company)
    staff = AuthorisationFactory(zone=zone, person=PersonFactory(employer=world.company))
    other = AuthorisationFactory(zone=zone)
    manager = principal(Role.COMPANY_ACCESS_MANAGER, world.company)
    assert set(authorisation_list(principal=manager)) == {mine, staff}
    assert set(authorisation_list(principal=world.pfso())) == {mine, staff, other}
    assert list(authorisation_list(principal=world.foreign_pfso())) == []
