"""The PFSO's pages: zones and access points, authorisations, facility activations and visit
announcers; and who else may read them."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from havenwatch.access.choices import CredentialState, LevelMode
from havenwatch.access.models import (
    AccessPoint,
    Announcer,
    Authorisation,
    FacilityEnrolment,
    Zone,
    ZoneLevelRule,
)
from havenwatch.core import clock
from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.models import AuditRecord
from tests.access.factories import (
    AccessPointFactory,
    AnnouncerFactory,
    AuthorisationFactory,
    CredentialFactory,
    FacilityEnrolmentFactory,
    PersonFactory,
    ZoneFactory,
    ZoneLevelRuleFactory,
)
from tests.factories import OrganisationFactory, principal

SQUARE = {"type": "Polygon", "coordinates": [[[4.30, 51.30], [4.31, 51.30], [4.31, 51.31], [4.30, 51.30]]]}


def signed_in(client, who):
    client.force_login(who.user)
    return client


def text(response) -> str:
    return response.content.decode()


def local(moment, world) -> str:
    return moment.astimezone(ZoneInfo(world.port.time_zone)).strftime("%Y-%m-%dT%H:%M")


def audited(code: str) -> int:
    return AuditRecord.objects.filter(code=code).count()


@pytest.fixture
def zone(world):
    return ZoneFactory(facility=world.facility, code="QUAY", name="Quay 1", geometry=SQUARE)


@pytest.fixture
def foreign_zone(world):
    return ZoneFactory(facility=world.foreign_facility, code="FAR", name="Far quay")


@pytest.fixture
def worker(world):
    """A haulier's driver with a card of the port."""
    person = PersonFactory(employer=world.company, first_name="Anna", last_name="Peeters")
    card = CredentialFactory(person=person, port=world.port, issued_by=world.company, number="CARD-00000042")
    return person, card


# --- zones and access points ------------------------------------------------------------------


def test_pfso_sees_the_map_zones_in_words_and_access_points_of_their_facility(client, world, zone, foreign_zone):
    ZoneLevelRuleFactory(zone=zone, level=2, mode=LevelMode.LISTED_ONLY, allowed_purposes=["emergency", "work"])
    ZoneLevelRuleFactory(zone=zone, level=3, mode=LevelMode.CLOSED)
    AccessPointFactory(zone=zone, code="T1", name="Main turnstile",
                       position={"type": "Point", "coordinates": [4.305, 51.305]})
    AccessPointFactory(zone=foreign_zone, name="Far gate")
    signed_in(client, world.pfso())
    response = client.get(reverse("access:zones"))
    assert response.status_code == 200
    body = text(response)
    assert "Quay 1" in body and "Main turnstile" in body
    assert "Only people who come for one of these purposes: emergency, work." in body
    assert "Closed to everyone." in body and "Open to everyone authorised for the zone." in body
    assert 'data-map-source="zones-map"' in body
    assert '"name": "T1 \\u00b7 Main turnstile", "label": "Pedestrian turnstile"' in body  # a dot on the map
    assert "Far quay" not in body and "Far gate" not in body
    assert reverse("access:zone_create") in body


def test_pso_reads_zones_of_their_port_but_cannot_create(client, world, zone, foreign_zone):
    signed_in(client, world.pso())
    listing = client.get(reverse("access:zones"))
    assert listing.status_code == 200 and "Quay 1" in text(listing)
    assert reverse("access:zone_create") not in text(listing)
    detail = client.get(reverse("access:zone_detail", args=[zone.pk]))
    assert detail.status_code == 200 and "New access point" not in text(detail)
    assert f'{reverse("access:authorisations")}?zone={zone.pk}' in text(detail)
    nobody = client.get(reverse("access:authorisations"), {"zone": zone.pk})
    assert nobody.status_code == 200 and "No authorisations match." in text(nobody)
    assert client.get(reverse("access:zone_detail", args=[foreign_zone.pk])).status_code == 404
    assert client.get(reverse("access:zone_create")).status_code == 403


def test_access_manager_may_not_see_zones(client, world, zone):
    signed_in(client, principal(Role.COMPANY_ACCESS_MANAGER, world.company))
    assert client.get(reverse("access:zones")).status_code == 403
    assert client.get(reverse("access:zone_detail", args=[zone.pk])).status_code == 403


def test_zone_of_another_operator_is_404(client, world, zone):
    signed_in(client, world.foreign_pfso())
    assert client.get(reverse("access:zone_detail", args=[zone.pk])).status_code == 404
    assert client.get(reverse("access:access_point_create", args=[zone.pk])).status_code == 404
    response = client.post(reverse("access:access_point_create", args=[zone.pk]),
                           {"code": "X1", "name": "X", "kind": "turnstile", "direction": "both",
                            "open_at_levels": ["1"]})
    assert response.status_code == 404
    assert not AccessPoint.objects.exists()


def zone_data(world, **overrides):
    data = {"facility": world.facility.pk, "code": "REEFER", "name": "Reefer yard", "geometry": "",
            "sl1-mode": "open", "sl1-purposes": "", "sl2-mode": "listed_only", "sl2-purposes": "work, emergency",
            "sl3-mode": "closed", "sl3-purposes": ""}
    data.update(overrides)
    return data


def test_pfso_creates_a_zone_with_rules_per_security_level(client, world):
    signed_in(client, world.pfso())
    form = client.get(reverse("access:zone_create"), {"facility": world.facility.pk})
    assert form.status_code == 200 and "At each security level" in text(form)
    response = client.post(reverse("access:zone_create"),
                           zone_data(world, geometry='{"type": "Polygon", "coordinates": '
                                                     '[[[4.3, 51.3], [4.31, 51.3], [4.31, 51.31], [4.3, 51.3]]]}',
                                     escort_required="on"))
    zone = Zone.objects.get(code="REEFER")
    assert response.status_code == 302 and response.url == reverse("access:zone_detail", args=[zone.pk])
    assert zone.facility == world.facility and zone.escort_required and zone.geometry["type"] == "Polygon"
    rules = {r.level: (r.mode, r.allowed_purposes) for r in ZoneLevelRule.objects.filter(zone=zone)}
    assert rules == {2: ("listed_only", ["emergency", "work"]), 3: ("closed", [])}
    assert audited("access.zone.created") == 1
    detail = text(client.get(response.url))
    assert "Only people who come for one of these purposes: emergency, work." in detail


def test_zone_with_a_listed_level_but_no_purposes_is_refused_with_the_services_message(client, world):
    signed_in(client, world.pfso())
    response = client.post(reverse("access:zone_create"), zone_data(world, **{"sl2-purposes": " "}))
    assert response.status_code == 400
    assert "At security level 2 only listed purposes enter: list at least one." in text(response)
    assert not Zone.objects.exists() and audited("access.zone.created") == 0


def test_zone_code_taken_shows_the_conflict(client, world, zone):
    signed_in(client, world.pfso())
    response = client.post(reverse("access:zone_create"), zone_data(world, code="QUAY"))
    assert response.status_code == 400
    assert "Terminal A has a zone QUAY already." in text(response)
    assert Zone.objects.count() == 1


def test_pfso_cannot_create_a_zone_in_another_operators_facility(client, world):
    signed_in(client, world.pfso())
    response = client.post(reverse("access:zone_create"), zone_data(world, facility=world.foreign_facility.pk))
    assert response.status_code == 400
    assert not Zone.objects.exists()


def point_data(**overrides):
    data = {"code": "GATE-3", "name": "Truck gate 3", "kind": "vehicle_gate", "direction": "in",
            "open_at_levels": ["1", "2", "3"], "requires_plate": "on", "anti_passback": "on",
            "longitude": "4.305", "latitude": "51.305"}
    data.update(overrides)
    return data


def test_pfso_adds_an_access_point_to_a_zone(client, world, zone):
    signed_in(client, world.pfso())
    assert client.get(reverse("access:access_point_create", args=[zone.pk])).status_code == 200
    response = client.post(reverse("access:access_point_create", args=[zone.pk]), point_data())
    assert response.status_code == 302
    point = AccessPoint.objects.get()
    assert (point.zone, point.kind, point.direction, point.requires_plate) == (zone, "vehicle_gate", "in", True)
    assert point.open_at_levels == [1, 2, 3] and point.position == {"type": "Point", "coordinates": [4.305, 51.305]}
    assert audited("access.access_point.created") == 1


def test_second_access_point_open_at_level_3_is_refused(client, world, zone):
    AccessPointFactory(zone=zone, name="Main turnstile", open_at_levels=[1, 2, 3])
    signed_in(client, world.pfso())
    response = client.post(reverse("access:access_point_create", args=[zone.pk]), point_data())
    assert response.status_code == 400
    assert "At security level 3 entry goes through a single controlled point" in text(response)
    assert AccessPoint.objects.count() == 1 and audited("access.access_point.created") == 0


def test_turnstile_cannot_require_a_plate(client, world, zone):
    signed_in(client, world.pfso())
    response = client.post(reverse("access:access_point_create", args=[zone.pk]),
                           point_data(kind="turnstile", longitude="", latitude=""))
    assert response.status_code == 400
    assert "Only a vehicle gate can require a number plate." in text(response)
    assert not AccessPoint.objects.exists()


# --- authorisations ------------------------------------------------------------------------


def test_authorisations_list_shows_the_schedule_in_words_and_filters_by_status(client, world, zone, worker):
    person, _card = worker
    AuthorisationFactory(person=person, zone=zone, purpose="cargo handling",
                         schedule={d: [["07:00", "19:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
                         | {"sat": [["22:00", "06:00"]]})
    AuthorisationFactory(person=None, organisation=world.company, zone=zone, purpose="old job",
                         revoked_at=clock.now() - timedelta(hours=1))
    AuthorisationFactory(zone=ZoneFactory(facility=world.foreign_facility), purpose="elsewhere")
    signed_in(client, world.pfso())
    body = text(client.get(reverse("access:authorisations")))
    assert "Anna Peeters" in body and "Haulier A" in body and "Every employee" in body
    assert "Monday to Friday, 07:00 to 19:00. Saturday, 22:00 to 06:00 the next day." in body
    assert "elsewhere" not in body
    live = text(client.get(reverse("access:authorisations"), {"status": "live"}))
    assert "cargo handling" in live and "old job" not in live
    revoked = text(client.get(reverse("access:authorisations"), {"status": "revoked"}))
    assert "old job" in revoked and "cargo handling" not in revoked
    by_card = text(client.get(reverse("access:authorisations"), {"holder": "card-00000042"}))
    assert "cargo handling" in by_card and "old job" not in by_card


def test_access_manager_sees_only_their_staffs_authorisations_and_cannot_grant(client, world, zone, worker):
    person, _card = worker
    AuthorisationFactory(person=person, zone=zone, purpose="cargo handling")
    AuthorisationFactory(zone=zone, purpose="someone else's")
    signed_in(client, principal(Role.COMPANY_ACCESS_MANAGER, world.company))
    body = text(client.get(reverse("access:authorisations")))
    assert "cargo handling" in body and "someone else&#x27;s" not in body and "someone else's" not in body
    assert reverse("access:authorisation_grant") not in body
    assert client.get(reverse("access:authorisation_grant")).status_code == 403


def test_driver_may_not_see_authorisations(client, world):
    signed_in(client, principal(Role.DRIVER, world.company))
    assert client.get(reverse("access:authorisations")).status_code == 403


def grant_data(world, zones, **overrides):
    start = (clock.now() + timedelta(days=1)).replace(second=0, microsecond=0)
    data = {"facility": world.facility.pk, "credential_number": "card-00000042", "organisation": "",
            "zones": [z.pk for z in zones], "valid_from": local(start, world),
            "valid_until": local(start + timedelta(days=30), world),
            "days": ["mon", "tue", "wed", "thu", "fri"], "time_from": "07:00", "time_until": "19:00",
            "purpose": "cargo handling", "escort_required": "on"}
    data.update(overrides)
    return data


def test_pfso_grants_a_person_two_zones_by_credential_number(client, world, zone, worker):
    person, _card = worker
    second = ZoneFactory(facility=world.facility, code="YARD", name="Yard")
    signed_in(client, world.pfso())
    page = client.get(reverse("access:authorisation_grant"))
    assert page.status_code == 200 and "Quay 1" in text(page)
    response = client.post(reverse("access:authorisation_grant"), grant_data(world, [zone, second]))
    assert response.status_code == 302, text(response)
    granted = Authorisation.objects.filter(person=person).order_by("zone__code")
    assert [a.zone for a in granted] == [zone, second]
    assert all(a.escort_required and a.purpose == "cargo handling" for a in granted)
    assert granted[0].schedule == {d: [["07:00", "19:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
    assert audited("access.authorisation.granted") == 2


def test_pfso_grants_every_employee_of_an_organisation(client, world, zone):
    signed_in(client, world.pfso())
    response = client.post(reverse("access:authorisation_grant"),
                           grant_data(world, [zone], credential_number="", organisation=world.company.pk,
                                      days=[], time_from="", time_until=""))
    assert response.status_code == 302
    authorisation = Authorisation.objects.get()
    assert authorisation.organisation == world.company and authorisation.person is None
    assert authorisation.schedule == {}


def test_grant_to_a_person_and_an_organisation_at_once_is_refused(client, world, zone, worker):
    signed_in(client, world.pfso())
    response = client.post(reverse("access:authorisation_grant"),
                           grant_data(world, [zone], organisation=world.company.pk))
    assert response.status_code == 400
    assert "Grant the authorisation to one person or to one organisation." in text(response)
    assert not Authorisation.objects.exists() and audited("access.authorisation.granted") == 0


def test_grant_without_purpose_shows_the_services_message(client, world, zone, worker):
    signed_in(client, world.pfso())
    response = client.post(reverse("access:authorisation_grant"), grant_data(world, [zone], purpose=""))
    assert response.status_code == 400
    assert "Say what the authorisation is for (its purpose)." in text(response)
    assert not Authorisation.objects.exists()


def test_overlap_in_one_zone_grants_none_of_the_zones(client, world, zone, worker):
    person, _card = worker
    first = ZoneFactory(facility=world.facility, code="AAA", name="Gatehouse")
    AuthorisationFactory(person=person, zone=zone)
    signed_in(client, world.pfso())
    response = client.post(reverse("access:authorisation_grant"), grant_data(world, [first, zone]))
    assert response.status_code == 400
    assert "overlapping windows are not allowed" in text(response)
    assert Authorisation.objects.count() == 1 and not Authorisation.objects.filter(zone=first).exists()


def test_unknown_credential_number_is_named(client, world, zone):
    signed_in(client, world.pfso())
    response = client.post(reverse("access:authorisation_grant"),
                           grant_data(world, [zone], credential_number="CARD-99999999"))
    assert response.status_code == 400
    assert "There is no credential CARD-99999999 in Port A." in text(response)
    assert not Authorisation.objects.exists()


def test_pfso_cannot_grant_zones_of_another_operator(client, world, zone, foreign_zone, worker):
    signed_in(client, world.pfso())
    response = client.post(reverse("access:authorisation_grant"), grant_data(world, [foreign_zone]))
    assert response.status_code == 400
    assert not Authorisation.objects.exists()


def test_pfso_revokes_after_confirming(client, world, zone, worker):
    person, _card = worker
    authorisation = AuthorisationFactory(person=person, zone=zone)
    signed_in(client, world.pfso())
    confirm = client.get(reverse("access:authorisation_revoke", args=[authorisation.pk]))
    assert confirm.status_code == 200 and "Revoke now" in text(confirm) and "Anna Peeters" in text(confirm)
    authorisation.refresh_from_db()
    assert authorisation.revoked_at is None  # a GET changes nothing
    response = client.post(reverse("access:authorisation_revoke", args=[authorisation.pk]))
    assert response.status_code == 302
    authorisation.refresh_from_db()
    assert authorisation.revoked_at is not None and audited("access.authorisation.revoked") == 1
    again = client.post(reverse("access:authorisation_revoke", args=[authorisation.pk]))
    assert again.status_code == 400 and "This authorisation was revoked already." in text(again)
    assert audited("access.authorisation.revoked") == 1


def test_revoking_another_operators_authorisation_is_404_and_pso_gets_403(client, world, zone):
    authorisation = AuthorisationFactory(zone=zone)
    signed_in(client, world.foreign_pfso())
    assert client.get(reverse("access:authorisation_revoke", args=[authorisation.pk])).status_code == 404
    assert client.post(reverse("access:authorisation_revoke", args=[authorisation.pk])).status_code == 404
    signed_in(client, world.pso())
    assert client.post(reverse("access:authorisation_revoke", args=[authorisation.pk])).status_code == 403
    authorisation.refresh_from_db()
    assert authorisation.revoked_at is None


def test_own_staffs_authorisation_at_another_terminal_is_listed_but_not_revocable(client, world):
    staff = PersonFactory(employer=world.operator)
    elsewhere = AuthorisationFactory(person=staff, zone=ZoneFactory(facility=world.foreign_facility),
                                     purpose="pilotage")
    signed_in(client, world.pfso())
    body = text(client.get(reverse("access:authorisations")))
    assert "pilotage" in body
    assert reverse("access:authorisation_revoke", args=[elsewhere.pk]) not in body
    assert client.post(reverse("access:authorisation_revoke", args=[elsewhere.pk])).status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.revoked_at is None


def test_authorisations_list_runs_a_fixed_number_of_queries(client, world, zone, django_assert_max_num_queries):
    for _i in range(15):
        AuthorisationFactory(zone=zone)
    signed_in(client, world.pfso())
    with django_assert_max_num_queries(20):
        assert client.get(reverse("access:authorisations")).status_code == 200


# --- facility activations ----------------------------------------------------------------------


def test_pfso_activates_and_deactivates_a_credential(client, world, worker):
    _person, card = worker
    other = FacilityEnrolmentFactory(credential=CredentialFactory(port=world.foreign_port),
                                     facility=world.foreign_facility)
    signed_in(client, world.pfso())
    page = client.get(reverse("access:enrolments"))
    assert page.status_code == 200 and other.credential.number not in text(page)
    response = client.post(reverse("access:enrolment_activate"),
                           {"facility": world.facility.pk, "number": " card-00000042 "})
    assert response.status_code == 302
    enrolment = FacilityEnrolment.objects.get(credential=card, facility=world.facility)
    assert enrolment.is_active and audited("access.credential.activated") == 1
    listing = text(client.get(reverse("access:enrolments")))
    assert "CARD-00000042" in listing and "Anna Peeters" in listing

    response = client.post(reverse("access:enrolment_deactivate", args=[enrolment.pk]))
    assert response.status_code == 302
    enrolment.refresh_from_db()
    assert not enrolment.is_active and audited("access.credential.deactivated") == 1
    again = client.post(reverse("access:enrolment_deactivate", args=[enrolment.pk]))
    assert again.status_code == 400 and "is not active at Terminal A" in text(again)


def test_blocked_credential_cannot_be_activated(client, world, worker):
    _person, card = worker
    card.state = CredentialState.BLOCKED
    card.save(update_fields=["state"])
    signed_in(client, world.pfso())
    response = client.post(reverse("access:enrolment_activate"),
                           {"facility": world.facility.pk, "number": card.number})
    assert response.status_code == 400
    assert "only an active credential can be activated" in text(response)
    assert not FacilityEnrolment.objects.exists() and audited("access.credential.activated") == 0


def test_credential_of_another_port_is_not_found(client, world):
    card = CredentialFactory(port=world.foreign_port, number="CARD-77777777")
    signed_in(client, world.pfso())
    response = client.post(reverse("access:enrolment_activate"),
                           {"facility": world.facility.pk, "number": card.number})
    assert response.status_code == 400
    assert "There is no credential CARD-77777777 in Port A." in text(response)
    assert not FacilityEnrolment.objects.exists()


def test_activations_are_the_pfsos_alone(client, world):
    enrolment = FacilityEnrolmentFactory(credential=CredentialFactory(port=world.port), facility=world.facility)
    signed_in(client, world.foreign_pfso())
    assert client.post(reverse("access:enrolment_deactivate", args=[enrolment.pk])).status_code == 404
    signed_in(client, world.pso())
    assert client.get(reverse("access:enrolments")).status_code == 403
    enrolment.refresh_from_db()
    assert enrolment.is_active


# --- visit announcers ----------------------------------------------------------------------


def test_pfso_sees_current_and_expired_announcers_apart(client, world):
    agency = OrganisationFactory(name="Agency A", kind=OrganisationKind.SHIPPING_LINE)
    old = OrganisationFactory(name="Old Forwarder", kind=OrganisationKind.FORWARDER)
    AnnouncerFactory(organisation=agency, facility=world.facility)
    AnnouncerFactory(organisation=old, facility=world.facility, valid_from=clock.now() - timedelta(days=60),
                     valid_until=clock.now() - timedelta(days=1))
    AnnouncerFactory(organisation=OrganisationFactory(name="Elsewhere Lines"), facility=world.foreign_facility)
    signed_in(client, world.pfso())
    body = text(client.get(reverse("access:announcers")))
    current = body.split('id="current"')[1].split('id="approve"')[0]
    expired = body.split('id="expired"')[1]
    assert "Agency A" in current and "Old Forwarder" not in current
    assert "Old Forwarder" in expired
    assert "Elsewhere Lines" not in current and "Elsewhere Lines" not in expired  # another facility's


def test_pfso_approves_an_announcer(client, world):
    agency = OrganisationFactory(name="Agency A", kind=OrganisationKind.SHIPPING_LINE)
    signed_in(client, world.pfso())
    until = clock.now() + timedelta(days=90)
    response = client.post(reverse("access:announcer_approve"),
                           {"facility": world.facility.pk, "organisation": agency.pk,
                            "valid_from": local(clock.now(), world), "valid_until": local(until, world)})
    assert response.status_code == 302
    announcer = Announcer.objects.get()
    assert (announcer.organisation, announcer.facility) == (agency, world.facility)
    assert audited("access.announcer.approved") == 1

    again = client.post(reverse("access:announcer_approve"),
                        {"facility": world.facility.pk, "organisation": agency.pk,
                         "valid_from": local(clock.now(), world), "valid_until": local(until, world)})
    assert again.status_code == 400 and "overlapping windows are not allowed" in text(again)
    assert Announcer.objects.count() == 1


def test_announcer_period_that_has_ended_is_refused(client, world):
    agency = OrganisationFactory(name="Agency A", kind=OrganisationKind.SHIPPING_LINE)
    signed_in(client, world.pfso())
    response = client.post(reverse("access:announcer_approve"),
                           {"facility": world.facility.pk, "organisation": agency.pk,
                            "valid_from": local(clock.now() - timedelta(days=9), world),
                            "valid_until": local(clock.now() - timedelta(days=2), world)})
    assert response.status_code == 400
    assert "The window has ended already." in text(response)
    assert not Announcer.objects.exists()


def test_announcers_are_the_pfsos_alone(client, world):
    signed_in(client, principal(Role.GATE_GUARD, world.operator))
    assert client.get(reverse("access:announcers")).status_code == 403
    assert client.post(reverse("access:announcer_approve"), {}).status_code == 403


@pytest.mark.parametrize("name", ["access:zones", "access:authorisations", "access:enrolments", "access:announcers"])
def test_anonymous_is_sent_to_sign_in(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("core:login"))

