"""Visits to a ship call: the ship's agent approves, and the terminal approves on top when it asks to."""

from __future__ import annotations

import pytest
from django.urls import reverse

from havenwatch.access.choices import CredentialKind, VisitStatus
from havenwatch.access.models import Credential, Visit, VisitPolicy
from havenwatch.access.selectors_places import visit_list, visits_to_approve
from havenwatch.access.services import screening
from havenwatch.access.services.visits import (
    visit_announce,
    visit_approve,
    visit_policy_set,
    visit_reject,
)
from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.errors import PermissionRefused, ValidationFailed
from havenwatch.core.models import AuditRecord
from tests.access.factories import AnnouncerFactory, ZoneFactory
from tests.access.test_places_services import T0, unchanged
from tests.access.test_visits_services import DAY, END, IDENTITY, START
from tests.factories import OrganisationFactory, principal


@pytest.fixture
def frozen():
    from havenwatch.core import clock

    with clock.frozen(T0) as state:
        yield state


@pytest.fixture
def agent_org(world):
    return OrganisationFactory(name="Seaways Agency", kind=OrganisationKind.SHIPPING_LINE)


@pytest.fixture
def agent(agent_org):
    return principal(Role.SHIPPING_AGENT, agent_org)


@pytest.fixture
def supplier(world):
    """A ship supplier, approved to announce at the terminal, who is not the ship's agent."""
    org = OrganisationFactory(name="Chandlers NV", kind=OrganisationKind.COMPANY)
    AnnouncerFactory(organisation=org, facility=world.facility, valid_from=T0 - DAY, valid_until=T0 + 90 * DAY)
    return principal(Role.COMPANY_ACCESS_MANAGER, org)


@pytest.fixture
def zone(world):
    return ZoneFactory(facility=world.facility, code="QUAY", name="Quay")


@pytest.fixture
def ship_visit(world, supplier, agent_org, zone):
    def _announce(**overrides):
        fields = {"actor": supplier, "facility": world.facility, "zones": [zone], "eta": START, "etd": END,
                  "ship_call": "MSC ANNA 2611E", "ship_agent": agent_org, "reason": "provisions",
                  "visitors": [dict(IDENTITY)]}
        fields.update(overrides)
        return visit_announce(**fields)

    return _announce


def codes() -> list[str]:
    return list(AuditRecord.objects.order_by("pk").values_list("code", flat=True))


def test_ship_agent_alone_approves_a_ship_call_visit_by_default(world, frozen, ship_visit, agent):
    visit = ship_visit()
    assert visit.ship_agent.name == "Seaways Agency" and visit.status == VisitStatus.ANNOUNCED
    visit_approve(actor=agent, visit=visit)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.APPROVED
    assert visit.agent_approved_at == T0 and visit.agent_approved_by == visit.decided_by
    assert Credential.objects.filter(visit=visit, kind=CredentialKind.VISITOR_QR).count() == 1


def test_terminal_approves_ship_call_visits_on_top_of_the_agent_when_it_asks_to(world, frozen, ship_visit, agent):
    visit_policy_set(actor=world.pfso(), facility=world.facility, terminal_approves_ship_calls=True)
    visit = ship_visit()
    visit_approve(actor=agent, visit=visit)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.AGENT_APPROVED and visit.agent_approved_at == T0
    assert not Credential.objects.filter(visit=visit).exists()  # nothing is granted before the terminal decides
    assert "access.visit.agent_approved" in codes()

    visit_approve(actor=world.pfso(), visit=visit)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.APPROVED
    assert Credential.objects.filter(visit=visit, kind=CredentialKind.VISITOR_QR).count() == 1
    assert codes()[-1] == "access.visit.approved"


def test_terminal_cannot_approve_a_ship_call_visit_before_the_agent(world, frozen, ship_visit):
    visit = ship_visit()
    with unchanged(), pytest.raises(PermissionRefused, match="The ship's agent Seaways Agency approves this "
                                                             "ship-call visit first."):
        visit_approve(actor=world.pfso(), visit=visit)


def test_another_agent_cannot_approve_the_ship_call(world, frozen, ship_visit):
    visit = ship_visit()
    other = principal(Role.SHIPPING_AGENT, OrganisationFactory(name="Other Agency",
                                                               kind=OrganisationKind.SHIPPING_LINE))
    with unchanged(), pytest.raises(PermissionRefused, match="Seaways Agency approves"):
        visit_approve(actor=other, visit=visit)


def test_terminal_may_reject_a_ship_call_visit_at_any_step(world, frozen, ship_visit, agent):
    visit = ship_visit()
    visit_reject(actor=world.pfso(), visit=visit, reason="no gangway watch that day")
    visit.refresh_from_db()
    assert visit.status == VisitStatus.REJECTED and visit.rejection_reason == "no gangway watch that day"


def test_agent_rejects_a_ship_call_visit_with_a_reason(world, frozen, ship_visit, agent):
    visit = ship_visit()
    with unchanged(), pytest.raises(ValidationFailed, match="Say why the visit is rejected"):
        visit_reject(actor=agent, visit=visit, reason=" ")
    visit_reject(actor=agent, visit=visit, reason="crew not on the list")
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.REJECTED


def test_agent_approved_visit_cannot_be_approved_twice_by_the_agent(world, frozen, ship_visit, agent):
    visit_policy_set(actor=world.pfso(), facility=world.facility, terminal_approves_ship_calls=True)
    visit = ship_visit()
    visit_approve(actor=agent, visit=visit)
    with unchanged(), pytest.raises(PermissionRefused, match="Only the approver of Terminal A"):
        visit_approve(actor=agent, visit=visit)


def test_ship_call_announced_by_a_supplier_must_name_the_agent(world, frozen, ship_visit):
    with unchanged(), pytest.raises(ValidationFailed, match="Name the ship's agent of the call"):
        ship_visit(ship_agent=None)


def test_ship_agent_must_be_a_shipping_line_or_agent(world, frozen, ship_visit):
    with unchanged(), pytest.raises(ValidationFailed, match="is not an active shipping line or agent"):
        ship_visit(ship_agent=world.company)


def test_ship_agent_is_named_only_for_ship_calls(world, frozen, ship_visit, agent_org):
    with unchanged(), pytest.raises(ValidationFailed, match="only for a visit to a ship call"):
        ship_visit(ship_call="", eta=None, etd=None, window_start=START, window_end=END)


def test_agent_announcing_its_own_ship_call_is_its_agent(world, frozen, agent, agent_org, zone):
    AnnouncerFactory(organisation=agent_org, facility=world.facility, valid_from=T0 - DAY, valid_until=T0 + 90 * DAY)
    visit = visit_announce(actor=agent, facility=world.facility, zones=[zone], eta=START, etd=END,
                           ship_call="MSC ANNA 2611E", reason="crew change", visitors=[dict(IDENTITY)])
    assert visit.ship_agent_id == agent_org.pk


def test_ship_call_waits_in_the_agents_list_then_in_the_terminals(world, frozen, ship_visit, agent):
    visit_policy_set(actor=world.pfso(), facility=world.facility, terminal_approves_ship_calls=True)
    visit = ship_visit()
    assert list(visits_to_approve(principal=agent)) == [visit]
    assert list(visits_to_approve(principal=world.pfso())) == []
    assert visit in visit_list(principal=agent)  # the agent sees visits to its ship calls
    visit_approve(actor=agent, visit=visit)
    assert list(visits_to_approve(principal=agent)) == []
    assert list(visits_to_approve(principal=world.pfso())) == [visit]


def test_ban_after_the_agents_approval_stops_the_visit(world, frozen, ship_visit, agent):
    visit_policy_set(actor=world.pfso(), facility=world.facility, terminal_approves_ship_calls=True)
    visit = ship_visit()
    visit_approve(actor=agent, visit=visit)
    person = visit.visitors.get().person
    police = principal(Role.AUTHORITY_INVESTIGATOR, OrganisationFactory(name="Police", kind=OrganisationKind.POLICE))
    screening.ban_issue(actor=police, person=person, ports=None, valid_from=T0,
                        valid_until=T0 + 365 * DAY, legal_reference="Art. 5 Havenbeveiligingswet")
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.STOPPED


def test_only_the_terminal_sets_its_visit_policy_and_each_change_is_audited(world, frozen, agent):
    with unchanged(), pytest.raises(PermissionRefused):
        visit_policy_set(actor=agent, facility=world.facility, terminal_approves_ship_calls=True)
    with unchanged(), pytest.raises(PermissionRefused, match="Only the approver of Terminal A"):
        visit_policy_set(actor=world.foreign_pfso(), facility=world.facility, terminal_approves_ship_calls=True)
    visit_policy_set(actor=world.pfso(), facility=world.facility, terminal_approves_ship_calls=True)
    visit_policy_set(actor=world.pfso(), facility=world.facility, terminal_approves_ship_calls=True)
    assert codes().count("access.visit_policy.changed") == 1  # the same choice again changes nothing
    assert VisitPolicy.objects.get(facility=world.facility).terminal_approves_ship_calls


# --- pages -------------------------------------------------------------------------------


def test_agent_approves_a_ship_call_on_its_page_and_the_terminal_then_sees_it(client, world, frozen, ship_visit,
                                                                               agent):
    client.force_login(world.pfso().user)
    response = client.post(reverse("access:visit_policy"),
                           {"facility": world.facility.pk, "terminal_approves_ship_calls": "on"})
    assert response.status_code == 302
    assert VisitPolicy.objects.get(facility=world.facility).terminal_approves_ship_calls
    visit = ship_visit()

    detail = client.get(reverse("access:visit_detail", args=[visit.pk])).content.decode()
    assert "The ship's agent Seaways Agency approves first." in detail
    assert reverse("access:visit_approve", args=[visit.pk]) not in detail  # not the terminal's turn
    assert reverse("access:visit_reject", args=[visit.pk]) in detail  # but it may refuse

    client.force_login(agent.user)
    listing = client.get(reverse("access:visits")).content.decode()
    assert "To approve" in listing and reverse("access:visit_detail", args=[visit.pk]) in listing
    assert client.post(reverse("access:visit_approve", args=[visit.pk])).status_code == 302
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.AGENT_APPROVED

    client.force_login(world.pfso().user)
    detail = client.get(reverse("access:visit_detail", args=[visit.pk])).content.decode()
    assert "Approved by the agent, awaiting the terminal" in detail
    assert client.post(reverse("access:visit_approve", args=[visit.pk])).status_code == 302
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.APPROVED


def test_policy_of_a_facility_the_user_does_not_run_is_refused_and_unchanged(client, world):
    client.force_login(world.foreign_pfso().user)
    response = client.post(reverse("access:visit_policy"),
                           {"facility": world.facility.pk, "terminal_approves_ship_calls": "on"}, follow=True)
    assert "Select a valid choice" in response.content.decode()
    assert not VisitPolicy.objects.exists()
