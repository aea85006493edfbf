"""The screening pages: port bans (authorities), the companies' ban check (hit / no hit /
unavailable, never the file) and security verifications."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import DatabaseError
from django.urls import reverse

from havenwatch.access.choices import CredentialState, VerificationStatus, VisitStatus
from havenwatch.access.models import PortBan, SecurityVerification
from havenwatch.access.services import screening
from havenwatch.core import clock
from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.models import AuditRecord
from tests.access.factories import (
    CredentialFactory,
    PersonFactory,
    PortBanFactory,
    SecurityVerificationFactory,
    VisitFactory,
    VisitorFactory,
)
from tests.factories import OrganisationFactory, principal

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
FILE = "Corr. Antwerpen 2026/77777"


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW) as frozen:
        yield frozen


@pytest.fixture
def police_org(world):
    return OrganisationFactory(name="Federal Police Antwerp", kind=OrganisationKind.POLICE)


@pytest.fixture
def investigator(police_org):
    return principal(Role.AUTHORITY_INVESTIGATOR, police_org)


@pytest.fixture
def manager(world):
    return principal(Role.COMPANY_ACCESS_MANAGER, world.company)


@pytest.fixture
def employee(world):
    return PersonFactory(employer=world.company, first_name="Karel", last_name="Janssens",
                         date_of_birth=datetime(1980, 4, 2).date())


@pytest.fixture
def card(world, employee):
    return CredentialFactory(person=employee, port=world.port, issued_by=world.company, number="CARD-4711")


def signed_in(client, who):
    client.force_login(who.user)
    return client


def text(response) -> str:
    return response.content.decode()


def audited(code: str) -> bool:
    return AuditRecord.objects.filter(code=code).exists()


def ban_data(**overrides):
    data = {"scope": "all", "valid_from": "2026-03-10T10:00", "valid_until": "2031-03-10T10:00",
            "legal_reference": FILE}
    data.update(overrides)
    return data


# -- port bans: who may open them ------------------------------------------------------


def test_company_manager_pso_and_guard_may_not_open_the_ban_files(client, world, manager, employee):
    ban = PortBanFactory(person=employee)
    guard = principal(Role.GATE_GUARD, world.operator, facility=world.facility)
    for who in (manager, world.pso(), guard):
        signed_in(client, who)
        assert client.get(reverse("access:bans")).status_code == 403
        assert client.get(reverse("access:ban_issue")).status_code == 403
        assert client.get(reverse("access:ban_issue_person", args=[employee.pk])).status_code == 403
        assert client.get(reverse("access:ban_detail", args=[ban.pk])).status_code == 403
        assert client.post(reverse("access:ban_lift", args=[ban.pk]), {"reason": "x"}).status_code == 403
    ban.refresh_from_db()
    assert ban.lifted_at is None


def test_platform_administrator_does_not_see_the_ban_files(client, world, employee):
    ban = PortBanFactory(person=employee, legal_reference=FILE)
    signed_in(client, world.admin())
    listing = client.get(reverse("access:bans"))
    assert listing.status_code == 200 and FILE not in text(listing) and "No bans match." in text(listing)
    assert client.get(reverse("access:ban_detail", args=[ban.pk])).status_code == 404
    assert client.post(reverse("access:ban_lift", args=[ban.pk]), {"reason": "x"}).status_code == 404


# -- port bans: the list ---------------------------------------------------------------


def test_investigator_lists_bans_with_scope_period_reference_and_issuer(client, world, investigator, employee):
    PortBanFactory(person=employee, legal_reference=FILE, issued_by=OrganisationFactory(name="Customs Antwerp",
                                                                                     kind=OrganisationKind.CUSTOMS))
    other = PersonFactory(first_name="Piet", last_name="Wouters")
    PortBanFactory(person=other, ports=[world.foreign_port], legal_reference="Corr. Gent 2025/1",
                   lifted_at=NOW - timedelta(days=1), lifted_reason="appeal")
    body = text(signed_in(client, investigator).get(reverse("access:bans")))
    assert "Karel Janssens" in body and FILE in body and "Customs Antwerp" in body and "All ports" in body
    assert "Piet Wouters" in body and "Port B" in body and "Lifted" in body and "In force" in body

    in_force = text(client.get(reverse("access:bans"), {"state": "in_force"}))
    assert FILE in in_force and "Corr. Gent 2025/1" not in in_force
    at_port_a = text(client.get(reverse("access:bans"), {"port": world.port.pk}))
    assert FILE in at_port_a and "Corr. Gent 2025/1" not in at_port_a
    searched = text(client.get(reverse("access:bans"), {"q": "wouters"}))
    assert "Corr. Gent 2025/1" in searched and FILE not in searched


# -- port bans: issuing ----------------------------------------------------------------


def test_investigator_finds_anyone_by_name_and_birth_date_or_credential_number(client, world, investigator, card):
    PersonFactory(first_name="Karel", last_name="Janssens", date_of_birth=datetime(1975, 1, 1).date())
    signed_in(client, investigator)
    by_name = text(client.get(reverse("access:ban_issue"), {"name": "karel jans", "date_of_birth": "1980-04-02"}))
    assert "1980-04-02" in by_name and "1975-01-01" not in by_name and "Haulier A" in by_name
    assert reverse("access:ban_issue_person", args=[card.person_id]) in by_name
    by_card = text(client.get(reverse("access:ban_issue"), {"credential_number": "card-4711"}))
    assert "1980-04-02" in by_card and "1975-01-01" not in by_card
    nothing = client.get(reverse("access:ban_issue"), {"name": "", "credential_number": ""})
    assert nothing.status_code == 400
    assert "Enter a name, a date of birth or a credential number." in text(nothing)


def test_investigator_issues_a_ban_and_sees_what_it_blocked(client, world, investigator, employee, card):
    visit = VisitFactory(facility=world.facility, status=VisitStatus.APPROVED)
    VisitorFactory(visit=visit, person=employee)
    signed_in(client, investigator)
    form = client.get(reverse("access:ban_issue_person", args=[employee.pk]))
    assert form.status_code == 200 and "Karel Janssens" in text(form)

    response = client.post(reverse("access:ban_issue_person", args=[employee.pk]), ban_data())
    ban = PortBan.objects.get()
    assert response.status_code == 302 and response.url == reverse("access:ban_detail", args=[ban.pk])
    assert ban.all_ports and ban.legal_reference == FILE and ban.issued_by.name == "Federal Police Antwerp"
    assert ban.valid_from == datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # 10:00 Brussels time
    card.refresh_from_db()
    visit.refresh_from_db()
    assert card.state == CredentialState.BLOCKED and visit.status == VisitStatus.STOPPED
    assert audited("access.ban.issued")

    detail = text(client.get(response.url))
    assert "1 credential of the person was blocked." in detail
    assert "1 announced or approved visit of the person was stopped." in detail
    assert FILE in detail and "Federal Police Antwerp" in detail


def test_ban_from_listed_ports_covers_only_those(client, world, investigator, employee):
    signed_in(client, investigator)
    response = client.post(reverse("access:ban_issue_person", args=[employee.pk]),
                           ban_data(scope="listed", ports=[world.foreign_port.pk]))
    assert response.status_code == 302
    ban = PortBan.objects.get()
    assert not ban.all_ports and list(ban.ports.all()) == [world.foreign_port]


@pytest.mark.parametrize(("overrides", "message"), [
    ({"legal_reference": "  "}, "A ban needs its legal reference"),
    ({"scope": "listed"}, "Choose the ports the ban covers, or ban from all ports."),
    ({"valid_until": "2046-03-10T11:00"}, "A port ban lasts 20 years at most."),
    ({"valid_until": "2026-03-01T10:00"}, "A ban must end after it starts."),
])
def test_bad_ban_shows_the_service_message_and_changes_nothing(client, world, investigator, card, overrides,
                                                               message):
    signed_in(client, investigator)
    response = client.post(reverse("access:ban_issue_person", args=[card.person_id]), ban_data(**overrides))
    assert response.status_code == 400
    assert message in text(response)
    card.refresh_from_db()
    assert not PortBan.objects.exists() and card.state == CredentialState.ACTIVE
    assert not audited("access.ban.issued")


def test_banning_someone_who_does_not_exist_is_not_found(client, investigator):
    signed_in(client, investigator)
    assert client.get(reverse("access:ban_issue_person", args=[999999])).status_code == 404
    assert client.post(reverse("access:ban_issue_person", args=[999999]), ban_data()).status_code == 404


# -- port bans: lifting ----------------------------------------------------------------


def test_investigator_lifts_a_ban_with_a_reason(client, investigator, employee):
    ban = PortBanFactory(person=employee)
    signed_in(client, investigator)
    response = client.post(reverse("access:ban_lift", args=[ban.pk]), {"reason": "acquitted on appeal"})
    assert response.status_code == 302
    ban.refresh_from_db()
    assert ban.lifted_at == NOW and ban.lifted_reason == "acquitted on appeal"
    assert audited("access.ban.lifted")
    detail = text(client.get(response.url))
    assert "acquitted on appeal" in detail and "Lift the ban" not in detail


def test_lifting_without_a_reason_shows_the_message_and_changes_nothing(client, investigator, employee):
    ban = PortBanFactory(person=employee)
    signed_in(client, investigator)
    response = client.post(reverse("access:ban_lift", args=[ban.pk]), {"reason": " "})
    assert response.status_code == 400
    assert "Say why the ban is lifted." in text(response)
    ban.refresh_from_db()
    assert ban.lifted_at is None and not audited("access.ban.lifted")


# -- the companies' ban check ----------------------------------------------------------


def test_company_manager_checks_a_banned_employee_and_learns_only_hit(client, world, manager, card, police_org):
    PortBanFactory(person=card.person, legal_reference=FILE, issued_by=police_org)
    signed_in(client, manager)
    page = client.get(reverse("access:ban_check"))
    assert page.status_code == 200 and "Unavailable is never a no hit" in text(page)

    response = client.post(reverse("access:ban_check"), {"credential_number": card.number, "port": world.port.pk})
    body = text(response)
    assert response.status_code == 200
    assert "Hit" in body and "Karel Janssens is banned from Port A." in body
    assert FILE not in body and "2026/77777" not in body
    assert "Federal Police Antwerp" not in body and "2031" not in body

    by_name = text(client.post(reverse("access:ban_check"), {
        "last_name": "janssens", "date_of_birth": "1980-04-02", "port": world.port.pk}))
    assert "Karel Janssens is banned from Port A." in by_name and FILE not in by_name


def test_person_without_a_ban_is_no_hit(client, world, manager, card):
    PortBanFactory(person=card.person, ports=[world.foreign_port])  # another port only
    body = text(signed_in(client, manager).post(reverse("access:ban_check"), {
        "credential_number": card.number, "port": world.port.pk}))
    assert "No hit" in body and "No port ban covers Karel Janssens at Port A now." in body


def test_unavailable_screening_is_explained_as_never_a_no_hit(client, world, manager, card, monkeypatch):
    def broken(**kwargs):
        raise DatabaseError("ban register down")

    monkeypatch.setattr(screening, "bans_in_force", broken)
    body = text(signed_in(client, manager).post(reverse("access:ban_check"), {
        "credential_number": card.number, "port": world.port.pk}))
    assert "Unavailable (decide by hand)" in body
    assert "Treat the person as not cleared" in body and "No hit" not in body.split('id="answer"')[1].split(
        "What the answers mean")[0]


def test_another_companys_credential_cannot_be_checked(client, world, manager):
    stranger = CredentialFactory(person=PersonFactory(first_name="Lena", last_name="Vos"), port=world.port)
    PortBanFactory(person=stranger.person)
    response = signed_in(client, manager).post(reverse("access:ban_check"), {
        "credential_number": stranger.number, "port": world.port.pk})
    assert response.status_code == 400
    body = text(response)
    assert "No credential with this number among the credentials you can see." in body
    assert "Lena Vos" not in body and "verify-result" not in body


def test_ban_check_needs_a_credential_or_a_name_and_birth_date(client, world, manager):
    response = signed_in(client, manager).post(reverse("access:ban_check"), {"last_name": "Janssens",
                                                                              "port": world.port.pk})
    assert response.status_code == 400
    assert "Enter a credential number, or a last name and a date of birth." in text(response)


def test_guard_and_pso_may_check_but_investigator_and_driver_may_not(client, world, investigator):
    guard = principal(Role.GATE_GUARD, world.operator, facility=world.facility)
    for who in (guard, world.pso()):
        assert signed_in(client, who).get(reverse("access:ban_check")).status_code == 200
    for who in (investigator, principal(Role.DRIVER, world.company)):
        assert signed_in(client, who).get(reverse("access:ban_check")).status_code == 403


# -- security verifications: employers -------------------------------------------------


def test_manager_asks_for_a_verification_of_an_employee(client, manager, employee):
    signed_in(client, manager)
    form = client.get(reverse("access:verification_request"), {"person": employee.pk})
    assert form.status_code == 200 and "Karel Janssens" in text(form)
    response = client.post(reverse("access:verification_request"),
                           {"person": employee.pk, "function": "access to terminal IT systems"})
    verification = SecurityVerification.objects.get()
    assert response.status_code == 302
    assert verification.status == VerificationStatus.REQUESTED and verification.person == employee
    assert audited("access.verification.requested")
    listing = text(client.get(reverse("access:verifications")))
    assert "access to terminal IT systems" in listing and "Requested" in listing


def test_verification_without_function_shows_the_message_and_creates_nothing(client, manager, employee):
    response = signed_in(client, manager).post(reverse("access:verification_request"),
                                               {"person": employee.pk, "function": ""})
    assert response.status_code == 400
    assert "Name the critical function the verification is for." in text(response)
    assert not SecurityVerification.objects.exists()


def test_second_request_while_one_is_under_way_is_refused(client, manager, employee):
    SecurityVerificationFactory(person=employee, function="port information", status=VerificationStatus.PENDING,
                                decided_at=None, valid_until=None)
    response = signed_in(client, manager).post(reverse("access:verification_request"),
                                               {"person": employee.pk, "function": "port information"})
    assert response.status_code == 400 and "is under way already" in text(response)
    assert SecurityVerification.objects.count() == 1


def test_manager_may_not_ask_for_another_companys_person(client, manager):
    stranger = PersonFactory()
    response = signed_in(client, manager).post(reverse("access:verification_request"),
                                               {"person": stranger.pk, "function": "port information"})
    assert response.status_code == 400
    assert not SecurityVerification.objects.exists()


def test_manager_sees_own_verifications_with_expiry_and_expired_marked(client, world, manager, employee):
    SecurityVerificationFactory(person=employee, function="personnel policy",
                                valid_until=NOW - timedelta(days=2))
    SecurityVerificationFactory(person=employee, function="critical assets", valid_until=NOW + timedelta(days=90))
    foreign = SecurityVerificationFactory(function="foreign secret function")
    signed_in(client, manager)
    body = text(client.get(reverse("access:verifications")))
    assert "personnel policy" in body and "critical assets" in body and "foreign secret function" not in body
    assert '<span class="tag warning">Expired</span>' in body and '<span class="tag ok">Positive</span>' in body
    assert "2026-06-08" in body  # the expiry of the valid one
    expired = text(client.get(reverse("access:verifications"), {"show": "expired"}))
    assert "personnel policy" in expired and "critical assets" not in expired
    assert client.get(reverse("access:verification_detail", args=[foreign.pk])).status_code == 404


def test_manager_may_not_decide_and_guard_sees_no_verifications(client, world, manager, employee):
    verification = SecurityVerificationFactory(person=employee, status=VerificationStatus.REQUESTED,
                                               decided_at=None, valid_until=None)
    signed_in(client, manager)
    assert client.post(reverse("access:verification_decide", args=[verification.pk]),
                       {"status": "positive", "valid_until": "2027-03-10"}).status_code == 403
    guard = principal(Role.GATE_GUARD, world.operator, facility=world.facility)
    listing = signed_in(client, guard).get(reverse("access:verifications"))
    assert listing.status_code == 200 and "your role does neither" in text(listing)
    assert client.get(reverse("access:verification_detail", args=[verification.pk])).status_code == 404
    driver = principal(Role.DRIVER, world.company)
    assert signed_in(client, driver).get(reverse("access:verifications")).status_code == 403
    verification.refresh_from_db()
    assert verification.status == VerificationStatus.REQUESTED


# -- security verifications: authorities -----------------------------------------------


def test_investigator_works_the_queue_across_companies_and_decides_positive(client, world, investigator,
                                                                            employee):
    mine = SecurityVerificationFactory(person=employee, function="critical assets",
                                       status=VerificationStatus.REQUESTED, decided_at=None, valid_until=None)
    elsewhere = SecurityVerificationFactory(function="port information", status=VerificationStatus.PENDING,
                                            decided_at=None, valid_until=None)
    SecurityVerificationFactory(function="already decided")
    signed_in(client, investigator)
    queue = text(client.get(reverse("access:verifications")))
    assert "critical assets" in queue and "port information" in queue and "already decided" not in queue
    assert "Haulier A" in queue
    assert reverse("access:verification_detail", args=[elsewhere.pk]) in queue

    response = client.post(reverse("access:verification_decide", args=[mine.pk]),
                           {"status": "positive", "valid_until": "2027-03-10"})
    assert response.status_code == 302 and response.url == reverse("access:verifications")
    mine.refresh_from_db()
    assert mine.status == VerificationStatus.POSITIVE and mine.decided_at == NOW
    assert mine.valid_until == datetime(2027, 3, 10, 23, 0, tzinfo=UTC)  # end of the day, Brussels time
    assert audited("access.verification.decided")


def test_positive_without_expiry_shows_the_message_and_changes_nothing(client, investigator, employee):
    verification = SecurityVerificationFactory(person=employee, status=VerificationStatus.REQUESTED,
                                               decided_at=None, valid_until=None)
    signed_in(client, investigator)
    response = client.post(reverse("access:verification_decide", args=[verification.pk]), {"status": "positive"})
    assert response.status_code == 400
    assert "A positive verification needs the date it expires." in text(response)
    verification.refresh_from_db()
    assert verification.status == VerificationStatus.REQUESTED and not audited("access.verification.decided")


def test_decided_verification_cannot_be_decided_again(client, investigator, employee):
    verification = SecurityVerificationFactory(person=employee, status=VerificationStatus.NEGATIVE,
                                               valid_until=None)
    signed_in(client, investigator)
    detail = text(client.get(reverse("access:verification_detail", args=[verification.pk])))
    assert "Record the decision" not in detail and "Negative" in detail
    response = client.post(reverse("access:verification_decide", args=[verification.pk]), {"status": "pending"})
    assert response.status_code == 400 and "was decided already" in text(response)


# -- every page: no inline script, style or handlers -----------------------------------


def test_screening_pages_carry_no_inline_script_style_or_handlers(client, world, investigator, manager, card):
    ban = PortBanFactory(person=card.person)
    verification = SecurityVerificationFactory(person=card.person, status=VerificationStatus.REQUESTED,
                                               decided_at=None, valid_until=None)
    pages = {
        investigator: [reverse("access:bans"), reverse("access:ban_issue") + "?name=karel",
                       reverse("access:ban_issue_person", args=[card.person_id]),
                       reverse("access:ban_detail", args=[ban.pk]), reverse("access:verifications"),
                       reverse("access:verification_detail", args=[verification.pk])],
        manager: [reverse("access:ban_check"), reverse("access:verifications"),
                  reverse("access:verification_request")],
    }
    for who, urls in pages.items():
        signed_in(client, who)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            body = text(response)
            assert re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", body) == [], url
            assert not re.search(r"\sstyle=", body), url
            assert not re.search(r"\son[a-z]+=", body), url


def test_menu_shows_the_screening_pages_to_the_roles_that_hold_them(client, world, investigator, manager):
    body = text(signed_in(client, investigator).get(reverse("core:dashboard")))
    assert f'href="{reverse("access:bans")}"' in body and f'href="{reverse("access:verifications")}"' in body
    body = text(signed_in(client, manager).get(reverse("core:dashboard")))
    assert f'href="{reverse("access:ban_check")}"' in body and f'href="{reverse("access:bans")}"' not in body

