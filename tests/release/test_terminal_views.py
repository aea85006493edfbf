"""The terminal's pages: the expected pickups and the discharge, the pickup gate, the
attempts and the security officer's override."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from havenwatch.core import clock
from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.models import AuditRecord
from havenwatch.release.choices import PickupReason, ReleaseStatus
from havenwatch.release.models import CommercialRelease, PickupAttempt
from havenwatch.release.selectors import lights, release_view
from havenwatch.release.selectors_terminal import expected_pickups, row_lights, terminals
from havenwatch.release.services.releases import release_issue
from tests.access.factories import CredentialFactory, PersonFactory
from tests.access.test_visit_views import signed_in, text
from tests.factories import FacilityFactory, MembershipFactory, OrganisationFactory, principal
from tests.release.test_pickups import NUMBER, Pickup
from tests.release.test_rights import DAY, T0

OTHER = "MSCU1234566"


@pytest.fixture(autouse=True)
def frozen():
    with clock.frozen(T0) as state:
        yield state


@pytest.fixture
def p(world):
    return Pickup(world)


def check(client, p, **overrides):
    data = {"terminal": p.world.facility.pk, "container": NUMBER, "credential": p.badge.number, "plate": "1-ABC-234",
            "biometric": ""}
    data.update(overrides)
    return client.post(reverse("release:gate"), data)


def shown(client, response) -> str:
    assert response.status_code == 302, text(response)
    return text(client.get(response["Location"]))


# --- expected pickups ---------------------------------------------------------------------


def test_the_expected_list_shows_the_container_with_its_driver(client, p):
    p.assign()
    page = text(signed_in(client, p.gate).get(reverse("release:expected")))
    row = page.partition(f'id="container-{p.release.container.pk}"')[2].partition("</tr>")[0]
    assert NUMBER in row and "Dirk Mertens" in row and p.badge.number in row and "BE:1ABC234" in row
    assert "Flanders Haulage" in row
    assert "Commercial: Green" in row and "Customs: Green" in row and "Terminal: Green" in row
    assert "Confirm discharge" not in page  # the guard does not confirm discharges


def test_the_expected_list_leaves_out_containers_of_another_terminal(client, p, world):
    release_issue(actor=p.line, container_number=OTHER, terminal=world.foreign_facility, bill_of_lading="OCLU9",
                  first_party=p.orgs["consignee"], valid_from=T0 - DAY, valid_until=T0 + 10 * DAY)
    page = text(signed_in(client, world.pfso()).get(reverse("release:expected")))
    assert NUMBER in page and OTHER not in page
    foreign = text(signed_in(client, world.foreign_pfso()).get(reverse("release:expected")))
    assert OTHER in foreign and NUMBER not in foreign


def test_ready_means_all_green_and_a_driver_assigned(client, p, world):
    release_issue(actor=p.line, container_number=OTHER, terminal=world.facility, bill_of_lading="OCLU9",
                  first_party=p.orgs["consignee"], valid_from=T0 - DAY, valid_until=T0 + 10 * DAY)
    p.assign()
    signed_in(client, world.pfso())
    every = text(client.get(reverse("release:expected")))
    assert NUMBER in every and OTHER in every
    assert every.index(NUMBER) < every.index(OTHER)  # the next slot first
    ready = text(client.get(reverse("release:expected"), {"ready": "on"}))
    assert NUMBER in ready and OTHER not in ready
    assert OTHER in text(client.get(reverse("release:expected"), {"number": "mscu 1234"}))
    assert NUMBER not in text(client.get(reverse("release:expected"), {"number": "mscu 1234"}))


def test_the_rows_lights_are_the_selectors_lights(p, world):
    other = release_issue(actor=p.line, container_number=OTHER, terminal=world.facility, bill_of_lading="OCLU9",
                          first_party=p.orgs["consignee"], valid_from=T0 + DAY, valid_until=T0 + 10 * DAY)
    fso = world.pfso()
    for release in expected_pickups(principal=fso, terminals=terminals(principal=fso)):
        assert row_lights(release) == lights(release.container), release.container.number
    assert other.container.number == OTHER


def test_the_expected_list_takes_a_fixed_number_of_queries(client, p, world):
    signed_in(client, world.pfso())
    client.get(reverse("release:expected"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("release:expected"))
    for number in ("MSCU1234566", "TGHU8881380", "CAIU7086501"):
        release_issue(actor=p.line, container_number=number, terminal=world.facility, bill_of_lading="OCLU9",
                      first_party=p.orgs["consignee"], valid_from=T0 - DAY, valid_until=T0 + 10 * DAY)
    with CaptureQueriesContext(connection) as four:
        page = text(client.get(reverse("release:expected")))
    assert "TGHU8881380" in page
    assert len(four) == len(one)


def test_the_terminal_confirms_a_discharge_from_the_list(client, p, world):
    release = release_issue(actor=p.line, container_number=OTHER, terminal=world.facility, bill_of_lading="OCLU9",
                            first_party=p.orgs["consignee"], valid_from=T0 - DAY, valid_until=T0 + 10 * DAY)
    signed_in(client, world.pfso())
    page = text(client.get(reverse("release:expected")))
    assert reverse("release:discharge", args=[release.container.pk]) in page
    response = client.post(reverse("release:discharge", args=[release.container.pk]))
    assert response.status_code == 302
    release.container.refresh_from_db()
    assert release.container.discharged_at == T0
    assert AuditRecord.objects.filter(code="release.container.discharged",
                                      subject_id=str(release.container.pk)).exists()
    assert response["Location"] == reverse("release:expected")
    again = client.post(reverse("release:discharge", args=[release.container.pk]))
    assert again.status_code == 400 and "is confirmed already" in text(again)


def test_a_discharge_from_the_release_page_returns_there(client, p, world):
    release = release_issue(actor=p.line, container_number=OTHER, terminal=world.facility, bill_of_lading="OCLU9",
                            first_party=p.orgs["consignee"], valid_from=T0 - DAY, valid_until=T0 + 10 * DAY)
    signed_in(client, world.pfso())
    back = f"/release/releases/{release.pk}/"
    response = client.post(reverse("release:discharge", args=[release.container.pk]), {"next": back})
    assert response.status_code == 302 and response["Location"] == back
    release.container.discharged_at = None
    release.container.save(update_fields=["discharged_at"])
    elsewhere = client.post(reverse("release:discharge", args=[release.container.pk]),
                            {"next": "https://elsewhere.example/"})
    assert elsewhere["Location"] == reverse("release:expected")


def test_only_the_terminals_officer_confirms_its_discharges(client, p, world):
    release = release_issue(actor=p.line, container_number=OTHER, terminal=world.facility, bill_of_lading="OCLU9",
                            first_party=p.orgs["consignee"], valid_from=T0 - DAY, valid_until=T0 + 10 * DAY)
    url = reverse("release:discharge", args=[release.container.pk])
    assert signed_in(client, p.gate).post(url).status_code == 403
    assert signed_in(client, world.foreign_pfso()).post(url).status_code == 404
    release.container.refresh_from_db()
    assert release.container.discharged_at is None


def test_the_release_page_offers_the_terminal_the_discharge(p, world):
    release = release_issue(actor=p.line, container_number=OTHER, terminal=world.facility, bill_of_lading="OCLU9",
                            first_party=p.orgs["consignee"], valid_from=T0 - DAY, valid_until=T0 + 10 * DAY)

    def actions(who, release):
        request = RequestFactory().get("/release/releases/1/")
        request.principal, request.user = who, who.user
        return render_to_string("release/terminal/_release_actions.html",
                                {"release": release, "view": release_view(who, release), "request": request})

    assert reverse("release:discharge", args=[release.container.pk]) in actions(world.pfso(), release)
    discharged = CommercialRelease.objects.select_related("container__terminal").get(pk=p.release.pk)
    assert actions(world.pfso(), discharged).strip() == ""  # discharged already
    assert actions(p.gate, release).strip() == ""
    assert actions(world.foreign_pfso(), release).strip() == ""


# --- the gate -------------------------------------------------------------------------------


def test_the_gate_grants_the_assigned_driver(client, p):
    p.assign()
    signed_in(client, p.gate)
    form = text(client.get(reverse("release:gate")))
    assert 'type="hidden" name="terminal"' in form  # one terminal: fixed
    page = shown(client, check(client, p))
    assert "GRANTED" in page and "REFUSED" not in page
    assert "Dirk Mertens" in page and NUMBER in page and "Gate out now." in page
    p.release.refresh_from_db()
    assert p.release.status == ReleaseStatus.PICKED_UP
    assert 'name="container"' in page and f'value="{NUMBER}"' not in page  # ready for the next truck


def test_the_gate_refuses_another_badge_and_raises_the_alert(client, p):
    p.assign()
    colleague = CredentialFactory(person=PersonFactory(employer=p.orgs["haulier"]), port=p.world.port,
                                  issued_by=p.orgs["haulier"])
    signed_in(client, p.gate)
    page = shown(client, check(client, p, credential=colleague.number))
    assert "REFUSED" in page
    assert str(PickupReason.WRONG_DRIVER.label) in page and "security alert sent" in page
    assert reverse("release:attempt_override", args=[PickupAttempt.objects.get().pk]) not in page
    attempt = PickupAttempt.objects.get()
    assert not attempt.granted and attempt.reasons == [PickupReason.WRONG_DRIVER.value]
    assert AuditRecord.objects.filter(code="release.pickup", subject_id=str(attempt.pk)).exists()
    p.release.refresh_from_db()
    assert p.release.status == ReleaseStatus.ACTIVE


def test_an_unreadable_container_number_is_a_400_and_still_recorded(client, p):
    p.assign()
    signed_in(client, p.gate)
    response = check(client, p, container="CSQU3054384")
    assert response.status_code == 400
    assert "CSQU3054384 has a wrong check digit: the last digit should be 3." in text(response)
    attempt = PickupAttempt.objects.get()
    assert attempt.reasons == [PickupReason.MALFORMED_REQUEST.value] and not attempt.granted
    assert f"pickup attempt #{attempt.pk}" in text(response)


def test_a_plate_that_is_no_plate_is_a_400_and_nothing_is_decided(client, p):
    p.assign()
    signed_in(client, p.gate)
    response = check(client, p, plate="@@@")
    assert response.status_code == 400
    assert "is not a Belgian number plate such as 1-ABC-234 or ABC-123." in text(response)
    assert not PickupAttempt.objects.exists()
    p.release.refresh_from_db()
    assert p.release.status == ReleaseStatus.ACTIVE


def test_a_guard_decides_only_at_its_own_terminals(client, p, world):
    signed_in(client, p.gate)
    assert check(client, p, terminal=world.foreign_facility.pk).status_code == 404
    assert not PickupAttempt.objects.exists()


def test_a_guard_bound_to_one_terminal_sees_only_that_one(client, p, world):
    second = FacilityFactory(name="Terminal A2", port=world.port, operator=world.operator)
    guard = MembershipFactory(role=Role.GATE_GUARD, organisation=world.operator, facility=second)
    client.force_login(guard.user)
    page = text(client.get(reverse("release:gate")))
    assert "Terminal A2" in page and f'value="{world.facility.pk}"' not in page
    assert NUMBER not in text(client.get(reverse("release:expected")))


def test_the_gate_pages_are_not_for_forwarders(client, p):
    p.assign()
    attempt = p.pick(credential_number="NOBODY-0001")
    signed_in(client, p.acting["consignee"])
    for url in (reverse("release:gate"), reverse("release:expected"), reverse("release:attempts"),
                reverse("release:attempt_override", args=[attempt.pk])):
        assert client.get(url).status_code == 403, url
    assert check(client, p).status_code == 403
    assert PickupAttempt.objects.count() == 1


# --- attempts and the override -------------------------------------------------------------


def test_the_attempts_list_shows_this_terminals_attempts_with_their_reasons(client, p, world):
    p.assign()
    p.pick(plate="9ZZZ999")
    foreign_guard = principal(Role.GATE_GUARD, world.foreign_operator)
    p.pick(actor=foreign_guard, terminal=world.foreign_facility, container_number=OTHER)
    signed_in(client, p.gate)
    page = text(client.get(reverse("release:attempts")))
    assert NUMBER in page and escape(str(PickupReason.PLATE_MISMATCH.label)) in page
    assert OTHER not in page
    assert NUMBER not in text(client.get(reverse("release:attempts"), {"outcome": "granted"}))


def test_the_officer_overrides_a_missed_slot_with_a_reason(client, p, world, frozen):
    p.assign()
    frozen.advance(hours=4)
    attempt = p.pick()
    assert attempt.reasons == [PickupReason.OUTSIDE_SLOT.value]
    fso = world.pfso()
    signed_in(client, fso)
    gate_page = text(client.get(reverse("release:gate"), {"attempt": attempt.pk}))
    url = reverse("release:attempt_override", args=[attempt.pk])
    assert url in gate_page
    form = text(client.get(url))
    assert str(PickupReason.OUTSIDE_SLOT.label) in form and 'name="reason"' in form
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 400 and "Say why the pickup is let through: it is audited." in text(refused)
    assert not PickupAttempt.objects.filter(override_of=attempt).exists()
    page = shown(client, client.post(url, {"reason": "truck delayed by the bridge"}))
    assert "GRANTED" in page and "truck delayed by the bridge" in page
    override = PickupAttempt.objects.get(override_of=attempt)
    assert override.granted and override.override_reason == "truck delayed by the bridge"
    assert AuditRecord.objects.filter(code="release.pickup.override", subject_id=str(override.pk)).exists()
    p.release.refresh_from_db()
    assert p.release.status == ReleaseStatus.PICKED_UP
    listed = text(client.get(reverse("release:attempts")))
    assert f"of refusal #{attempt.pk}" in listed and f"Overridden: see #{override.pk}" in listed
    assert url not in listed  # overridden once only


def test_a_guard_cannot_override(client, p, frozen):
    p.assign()
    frozen.advance(hours=4)
    attempt = p.pick()
    signed_in(client, p.gate)
    assert client.get(reverse("release:attempt_override", args=[attempt.pk])).status_code == 403
    assert client.post(reverse("release:attempt_override", args=[attempt.pk]),
                       {"reason": "please"}).status_code == 403
    assert reverse("release:attempt_override", args=[attempt.pk]) not in text(
        client.get(reverse("release:gate"), {"attempt": attempt.pk}))
    assert not PickupAttempt.objects.filter(override_of=attempt).exists()


def test_a_fraud_refusal_cannot_be_overridden(client, p, world):
    p.assign()
    colleague = CredentialFactory(person=PersonFactory(employer=p.orgs["haulier"]), port=world.port,
                                  issued_by=p.orgs["haulier"])
    attempt = p.pick(credential_number=colleague.number)
    signed_in(client, world.pfso())
    url = reverse("release:attempt_override", args=[attempt.pk])
    page = text(client.get(url))
    assert "This refusal cannot be overridden by the terminal: Not the assigned driver." in page
    assert 'name="reason"' not in page
    response = client.post(url, {"reason": "he is a colleague"})
    assert response.status_code == 400
    assert "This refusal cannot be overridden by the terminal: Not the assigned driver." in text(response)
    assert not PickupAttempt.objects.filter(override_of=attempt).exists()


def test_another_terminals_attempt_is_not_found(client, p, world):
    foreign_guard = principal(Role.GATE_GUARD, world.foreign_operator)
    attempt = p.pick(actor=foreign_guard, terminal=world.foreign_facility, container_number=OTHER)
    signed_in(client, world.pfso())
    assert client.get(reverse("release:attempt_override", args=[attempt.pk])).status_code == 404
    assert client.get(reverse("release:gate"), {"attempt": attempt.pk}).status_code == 404


def test_an_organisation_without_terminals_sees_empty_states(client, world):
    other = OrganisationFactory(name="Empty Ops", kind=OrganisationKind.FACILITY_OPERATOR)
    signed_in(client, principal(Role.FACILITY_SECURITY_OFFICER, other))
    assert "There is no terminal where you may decide pickups." in text(client.get(reverse("release:gate")))
    assert "Your organisation operates no terminal" in text(client.get(reverse("release:expected")))
    assert "No pickup attempts." in text(client.get(reverse("release:attempts")))


def assert_csp_clean(body: str, name: str) -> None:
    assert not re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", body), name
    assert not re.search(r"\sstyle=", body), name
    assert not re.search(r"\son[a-z]+=", body), name


def test_the_terminal_pages_carry_no_inline_script_style_or_handlers(client, p, world, frozen):
    p.assign()
    frozen.advance(hours=4)
    attempt = p.pick()
    signed_in(client, world.pfso())
    for url in (reverse("release:expected"), reverse("release:attempts"),
                reverse("release:gate") + f"?attempt={attempt.pk}", reverse("release:attempt_override", args=[attempt.pk])):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_csp_clean(text(response), url)
