"""The release API end to end, as the shipping line, the parties of the chain, customs, the
terminal and its gate use it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from havenwatch.core import clock
from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.middleware import SESSION_MEMBERSHIP
from havenwatch.core.models import AuditRecord, Jurisdiction, Membership
from havenwatch.core.services import tokens
from havenwatch.release.choices import PickupReason, ReleaseStatus, RightStatus
from havenwatch.release.models import CommercialRelease, Container, PickupAttempt, ReleaseRight
from havenwatch.release.selectors import holder
from havenwatch.release.services.assignments import assignment_create
from havenwatch.release.services.holds import discharge_confirm
from havenwatch.release.services.releases import release_issue
from havenwatch.release.services.rights import right_accept, right_transfer
from tests.access.factories import CredentialFactory, PersonFactory
from tests.factories import FacilityFactory, OrganisationFactory, principal
from tests.release.test_rights import DAY, T0

API = "/api/v1/release"
PROBLEM = "application/problem+json"
NUMBER = "CSQU3054383"


@pytest.fixture(autouse=True)
def frozen():
    with clock.frozen(T0) as state:
        yield state


def client_as(role, organisation) -> Client:
    actor = principal(role, organisation)
    client = Client()
    client.force_login(actor.user)
    session = client.session
    session[SESSION_MEMBERSHIP] = Membership.objects.get(user=actor.user, organisation=organisation).pk
    session.save()
    client.actor = actor
    return client


def call(client, method, path, body=None, token=None, **headers):
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    if body is None:
        return client.generic(method, f"{API}{path}", **headers)
    data = body if isinstance(body, str) else json.dumps(body)
    return client.generic(method, f"{API}{path}", data, content_type="application/json", **headers)


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content
    return response.json()


def refused(response, status: int, message: str = "") -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert message in body["detail"], body
    return body


def at(delta: timedelta) -> str:
    return (T0 + delta).isoformat()


class ReleaseWorld:
    """A line, a consignee, a forwarder and a haulier (each with a signed-in client), customs
    with a jurisdiction over the port, the terminal's officer, a driver with a badge and a
    gate controller's token bound to the terminal."""

    def __init__(self, world) -> None:
        self.world = world
        self.line = OrganisationFactory(name="Oceanic Lines", kind=OrganisationKind.SHIPPING_LINE)
        self.other_line = OrganisationFactory(name="Blue Star Line", kind=OrganisationKind.SHIPPING_LINE)
        self.consignee = OrganisationFactory(name="Consignee NV", kind=OrganisationKind.FORWARDER)
        self.forwarder = OrganisationFactory(name="Kempen Forwarding", kind=OrganisationKind.FORWARDER)
        self.stranger = OrganisationFactory(name="Another Forwarder", kind=OrganisationKind.FORWARDER)
        self.haulier = OrganisationFactory(name="Flanders Haulage", kind=OrganisationKind.TRANSPORT_COMPANY)
        self.customs = OrganisationFactory(name="Customs Antwerp", kind=OrganisationKind.CUSTOMS)
        Jurisdiction.objects.create(organisation=self.customs, port=world.port)
        self.as_line = client_as(Role.SHIPPING_AGENT, self.line)
        self.as_other_line = client_as(Role.SHIPPING_AGENT, self.other_line)
        self.as_consignee = client_as(Role.FORWARDER, self.consignee)
        self.as_forwarder = client_as(Role.FORWARDER, self.forwarder)
        self.as_stranger = client_as(Role.FORWARDER, self.stranger)
        self.as_haulier = client_as(Role.HAULIER_PLANNER, self.haulier)
        self.as_customs = client_as(Role.AUTHORITY_INVESTIGATOR, self.customs)
        self.as_pfso = client_as(Role.FACILITY_SECURITY_OFFICER, world.operator)
        self.as_guard = client_as(Role.GATE_GUARD, world.operator)
        self.driver = PersonFactory(employer=self.haulier, first_name="Dirk", last_name="Mertens")
        self.badge = CredentialFactory(person=self.driver, port=world.port, issued_by=self.haulier)
        _, self.gate_token = tokens.token_create(actor=world.pfso(), name="gate controller 1",
                                                 permissions=["release.pickup"], facility=world.facility)

    def release_body(self, number=NUMBER, **extra):
        return {"container_number": number, "terminal_id": self.world.facility.pk, "bill_of_lading": "OCLU1",
                "first_party_id": self.consignee.pk, "valid_from": at(-DAY), "valid_until": at(10 * DAY), **extra}

    def issue(self, number=NUMBER):
        """Through the services: the world a test starts from."""
        return release_issue(actor=self.as_line.actor, container_number=number, terminal=self.world.facility,
                             bill_of_lading="OCLU1", first_party=self.consignee, valid_from=T0 - DAY,
                             valid_until=T0 + 10 * DAY)

    def to_haulier(self, number=NUMBER):
        """Issued, passed consignee → forwarder → haulier, the driver assigned, the container discharged."""
        release = self.issue(number)
        right_accept(actor=self.as_consignee.actor, right=holder_offer(release, self.consignee))
        offer = right_transfer(actor=self.as_consignee.actor, right=holder(release), to=self.forwarder)
        right_accept(actor=self.as_forwarder.actor, right=offer)
        offer = right_transfer(actor=self.as_forwarder.actor, right=holder(release), to=self.haulier)
        right_accept(actor=self.as_haulier.actor, right=offer)
        assignment_create(actor=self.as_haulier.actor, release=release, credential_number=self.badge.number,
                          plate="1ABC234", slot_start=T0 - timedelta(hours=1), slot_end=T0 + timedelta(hours=3))
        discharge_confirm(actor=self.world.pfso(), container=release.container)
        return release

    def pick(self, language="en", token=None, **body):
        fields = {"terminal_id": self.world.facility.pk, "container": NUMBER, "credential": self.badge.number,
                  "plate": "1ABC234", **body}
        return call(Client(), "POST", "/pickups", fields, token=token or self.gate_token,
                    HTTP_ACCEPT_LANGUAGE=language)


def holder_offer(release, organisation):
    return ReleaseRight.objects.get(release=release, holder=organisation, status=RightStatus.OFFERED)


@pytest.fixture
def rw(world):
    return ReleaseWorld(world)


# --- the main journey -----------------------------------------------------------------


def test_release_travels_the_chain_and_the_assigned_driver_picks_the_container_up(rw):
    issued = ok(call(rw.as_line, "POST", "/releases", rw.release_body(number="csqu 305438 3")), 201)
    assert issued["container"] == NUMBER and issued["status"] == "active" and issued["version"] == 1
    assert issued["first_party_id"] == rw.consignee.pk
    release_id = issued["id"]

    inbox = ok(call(rw.as_consignee, "GET", "/rights/inbox"))
    assert inbox["count"] == 1 and inbox["items"][0]["offered_by"] == "Oceanic Lines"
    right = ok(call(rw.as_consignee, "POST", f"/rights/{inbox['items'][0]['id']}/accept"))
    assert right["status"] == RightStatus.HELD

    offer = ok(call(rw.as_consignee, "POST", f"/rights/{right['id']}/transfer",
                    {"to_organisation_id": rw.forwarder.pk}), 201)
    assert offer["holder_id"] == rw.forwarder.pk and offer["status"] == RightStatus.OFFERED
    assert offer["holder"] is None  # naming an organisation by id does not tell its name
    accepted = ok(call(rw.as_forwarder, "POST", f"/rights/{offer['id']}/accept"))
    assert accepted["holder"] == "Kempen Forwarding"

    offer = ok(call(rw.as_forwarder, "POST", f"/rights/{accepted['id']}/transfer",
                    {"to_organisation_id": rw.haulier.pk}), 201)
    assert [item["id"] for item in ok(call(rw.as_haulier, "GET", "/rights/inbox"))["items"]] == [offer["id"]]
    ok(call(rw.as_haulier, "POST", f"/rights/{offer['id']}/accept"))

    assignment = ok(call(rw.as_haulier, "POST", f"/releases/{release_id}/assignments", {
        "credential": rw.badge.number, "plate": "1-abc-234", "slot_start": at(-timedelta(hours=1)),
        "slot_end": at(timedelta(hours=3))}), 201)
    assert assignment["plate"] == "BE:1ABC234" and assignment["credential"] == rw.badge.number

    container_id = issued["container_id"]
    discharged = ok(call(rw.as_pfso, "POST", f"/containers/{container_id}/discharge"))
    assert discharged["lights"] == {"commercial": "green", "customs": "green", "terminal": "green",
                                    "all_green": True}

    decision = ok(rw.pick())
    assert decision["granted"] is True
    assert decision["reasons"] == [{"code": "granted", "label": "Pickup granted"}]
    assert PickupAttempt.objects.get(pk=decision["attempt_id"]).granted

    detail = ok(call(rw.as_line, "GET", f"/releases/{release_id}"))
    assert detail["status"] == ReleaseStatus.PICKED_UP
    assert [link["holder"] for link in detail["chain"]] == ["Consignee NV", "Kempen Forwarding", "Flanders Haulage"]
    assert detail["assignment"] is None  # used: no active assignment any more


def test_each_party_sees_only_its_own_links_of_the_chain(rw):
    release = rw.to_haulier()
    path = f"/releases/{release.pk}"

    line = ok(call(rw.as_line, "GET", path))
    assert len(line["chain"]) == 3 and line["first_party_id"] == rw.consignee.pk
    assert line["holder"] == {"id": rw.haulier.pk, "name": "Flanders Haulage"} and not line["you_hold"]
    assert line["assignment"] is None  # the driver is the haulier's (and the authorities') business

    haulier = ok(call(rw.as_haulier, "GET", path))
    assert [(r["offered_by"], r["holder"]) for r in haulier["chain"]] == [("Kempen Forwarding", "Flanders Haulage")]
    assert haulier["first_party_id"] is None and haulier["you_hold"]
    assert haulier["assignment"]["credential"] == rw.badge.number

    forwarder = ok(call(rw.as_forwarder, "GET", path))
    assert [(r["offered_by"], r["holder"]) for r in forwarder["chain"]] == [
        ("Consignee NV", "Kempen Forwarding"), ("Kempen Forwarding", "Flanders Haulage")]
    assert forwarder["first_party_id"] is None and forwarder["assignment"] is None

    consignee = ok(call(rw.as_consignee, "GET", path))
    assert {r["holder"] for r in consignee["chain"]} == {"Consignee NV", "Kempen Forwarding"}
    assert consignee["holder"] is None  # the haulier is beyond the consignee's links
    assert consignee["first_party_id"] == rw.consignee.pk

    customs = ok(call(rw.as_customs, "GET", path))  # an authority of the port sees the whole chain
    assert len(customs["chain"]) == 3 and customs["assignment"] is not None

    refused(call(rw.as_stranger, "GET", path), 404)
    assert ok(call(rw.as_stranger, "GET", "/releases"))["count"] == 0


def test_another_lines_release_is_not_found_and_parties_cannot_act_as_the_line(rw):
    release = rw.issue()
    refused(call(rw.as_other_line, "GET", f"/releases/{release.pk}"), 404)
    refused(call(rw.as_other_line, "POST", f"/releases/{release.pk}/block", {"reason": "unpaid"}), 404)
    refused(call(rw.as_other_line, "PATCH", f"/releases/{release.pk}", {"bill_of_lading": "X"}), 404)
    assert ok(call(rw.as_other_line, "GET", "/releases"))["count"] == 0
    refused(call(rw.as_consignee, "POST", f"/releases/{release.pk}/revoke", {"reason": "mine"}), 403)
    release.refresh_from_db()
    assert release.status == ReleaseStatus.ACTIVE


def test_the_line_updates_blocks_reissues_and_revokes(rw):
    release = rw.issue()
    path = f"/releases/{release.pk}"
    updated = ok(call(rw.as_line, "PATCH", path, {"bill_of_lading": "OCLU2", "valid_until": at(20 * DAY)}))
    assert updated["bill_of_lading"] == "OCLU2" and updated["version"] == 2

    ok(call(rw.as_line, "POST", f"{path}/block", {"reason": "freight unpaid"}))
    detail = ok(call(rw.as_line, "GET", path))
    assert detail["status"] == "blocked" and detail["lights"]["commercial"] == "red"
    assert ok(call(rw.as_line, "GET", "/releases?status=blocked"))["count"] == 1
    refused(call(rw.as_line, "POST", f"{path}/block", {"reason": "again"}), 409, "Only an active release")
    ok(call(rw.as_line, "POST", f"{path}/unblock", {"reason": "paid"}))

    successor = ok(call(rw.as_line, "POST", f"{path}/reissue", {
        "valid_from": at(-DAY), "valid_until": at(30 * DAY), "first_party_id": rw.forwarder.pk,
        "reason": "sold on to another consignee"}), 201)
    assert successor["replaces_id"] == release.pk and successor["first_party_id"] == rw.forwarder.pk
    assert ok(call(rw.as_line, "GET", path))["status"] == ReleaseStatus.WITHDRAWN
    assert ok(call(rw.as_forwarder, "GET", "/rights/inbox"))["count"] == 1  # the new chain starts

    revoked = ok(call(rw.as_line, "POST", f"/releases/{successor['id']}/revoke", {"reason": "fraud suspected"}))
    assert revoked["status"] == ReleaseStatus.REVOKED
    assert ok(call(rw.as_forwarder, "GET", "/rights/inbox"))["count"] == 0
    refused(call(rw.as_line, "POST", f"/releases/{successor['id']}/block", {"reason": "x"}), 409)


def test_release_list_filters_and_its_query_count_does_not_grow(rw):
    rw.issue()
    with CaptureQueriesContext(connection) as one:
        assert ok(call(rw.as_line, "GET", "/releases"))["count"] == 1
    for number in ("MSCU1234566", "TGHU1234567", "OOLU1234567"):
        rw.issue(number)
    with CaptureQueriesContext(connection) as four:
        assert ok(call(rw.as_line, "GET", "/releases"))["count"] == 4
    assert len(four) == len(one)
    assert [r["container"] for r in ok(call(rw.as_line, "GET", "/releases?container=mscu 1234"))["items"]] == [
        "MSCU1234566"]
    assert ok(call(rw.as_line, "GET", f"/releases?terminal_id={rw.world.foreign_facility.pk}"))["count"] == 0
    refused(call(rw.as_line, "GET", "/releases?status=lost"), 422, "Unknown release status")


# --- input the line gets wrong ----------------------------------------------------------


def test_a_wrong_check_digit_is_refused_with_the_digit_it_should_be(rw):
    body = refused(call(rw.as_line, "POST", "/releases", rw.release_body(number="CSQU3054384")), 422,
                   "CSQU3054384 has a wrong check digit: the last digit should be 3.")
    assert body["field"] == "container"
    assert not Container.objects.exists()


def test_unknown_terminal_or_first_party_is_not_found(rw):
    refused(call(rw.as_line, "POST", "/releases", rw.release_body(terminal_id=2**31 - 1)), 404)
    refused(call(rw.as_line, "POST", "/releases", rw.release_body(first_party_id=2**31 - 1)), 404)
    refused(call(rw.as_consignee, "POST", "/releases", rw.release_body()), 403)


def test_bulk_issue_is_all_or_nothing_and_names_each_failing_row(rw):
    rows = [
        rw.release_body(),
        rw.release_body(number="MSCU1234567"),  # wrong check digit
        rw.release_body(),  # the same container again
        rw.release_body(number="TGHU1234567", first_party_id=2**31 - 1),  # no such organisation
        rw.release_body(number="OOLU1234567"),
    ]
    body = refused(call(rw.as_line, "POST", "/releases/bulk", {"releases": rows}), 422,
                   "3 of 5 releases are refused; none was issued.")
    assert body["code"] == "bulk_rejected"
    assert [(e["index"], e["field"]) for e in body["errors"]] == [(1, "container"), (2, "container"),
                                                                  (3, "first_party")]
    assert "the last digit should be 6" in body["errors"][0]["message"]
    assert "has a live release already" in body["errors"][1]["message"]
    assert not CommercialRelease.objects.exists() and not Container.objects.exists()
    assert not ReleaseRight.objects.exists()
    assert not AuditRecord.objects.filter(code__startswith="release.").exists()

    created = ok(call(rw.as_line, "POST", "/releases/bulk", {"releases": [rows[0], rows[4]]}), 201)
    assert created["count"] == 2 and [r["container"] for r in created["releases"]] == [NUMBER, "OOLU1234567"]
    assert ReleaseRight.objects.filter(holder=rw.consignee, status=RightStatus.OFFERED).count() == 2


def test_bulk_takes_at_most_10000_rows(rw):
    rows = [rw.release_body()] * 10_001
    body = refused(call(rw.as_line, "POST", "/releases/bulk", {"releases": rows}), 422)
    assert body["code"] == "validation_failed"
    assert not Container.objects.exists()


# --- rights the parties get wrong --------------------------------------------------------


def test_a_party_cannot_act_on_a_right_that_is_not_its_own(rw):
    release = rw.issue()
    offer = holder_offer(release, rw.consignee)
    refused(call(rw.as_stranger, "POST", f"/rights/{offer.pk}/accept"), 404)
    refused(call(rw.as_forwarder, "POST", f"/rights/{offer.pk}/decline", {"reason": "not ours"}), 404)
    refused(call(rw.as_customs, "POST", f"/rights/{offer.pk}/accept"), 403)
    refused(call(rw.as_consignee, "POST", f"/rights/{offer.pk}/transfer", {"to_organisation_id": rw.haulier.pk}),
            409, "You can pass on only a right you hold")
    declined = ok(call(rw.as_consignee, "POST", f"/rights/{offer.pk}/decline", {"reason": "not our cargo"}))
    assert declined["status"] == RightStatus.DECLINED
    # The line, the sender, reads the answer and who gave it.
    line_view = ok(call(rw.as_line, "GET", f"/releases/{release.pk}"))
    assert line_view["chain"][0]["holder"] == "Consignee NV" and line_view["chain"][0]["reason"] == "not our cargo"


def test_the_sender_takes_back_a_right_and_the_haulier_cancels_its_assignment(rw):
    release = rw.to_haulier()
    haulier_right = holder(release)
    assignment = release.assignments.get()
    cancelled = ok(call(rw.as_haulier, "POST", f"/assignments/{assignment.pk}/cancel", {"reason": "truck broke down"}))
    assert cancelled["status"] == "cancelled"
    refused(call(rw.as_forwarder, "POST", f"/assignments/{assignment.pk}/cancel", {"reason": "x"}), 403)
    taken = ok(call(rw.as_forwarder, "POST", f"/rights/{haulier_right.pk}/revoke", {"reason": "haulier replaced"}))
    assert taken["status"] == RightStatus.REVOKED
    assert holder(release).holder == rw.forwarder


# --- customs and the gate ----------------------------------------------------------------


def test_customs_holds_the_container_and_the_gate_refuses_until_the_hold_is_released(rw):
    release = rw.to_haulier()
    hold = ok(call(rw.as_customs, "POST", f"/containers/{release.container_id}/holds",
                   {"reason": "selected for a scan"}), 201)
    refused(call(rw.as_pfso, "POST", f"/containers/{release.container_id}/holds", {"reason": "x"}), 403)
    decision = ok(rw.pick())
    assert not decision["granted"] and [r["code"] for r in decision["reasons"]] == [PickupReason.CUSTOMS_HOLD]
    ok(call(rw.as_customs, "POST", f"/holds/{hold['id']}/release", {"reason": "scan clear"}))
    assert ok(rw.pick())["granted"]


@pytest.mark.parametrize(("change", "reason"), [
    ({"plate": "9ZZZ999"}, PickupReason.PLATE_MISMATCH),
    ({"credential": "NOBODY-0001"}, PickupReason.UNKNOWN_CREDENTIAL),
    ({"container": "MSCU1234566"}, PickupReason.UNKNOWN_CONTAINER),
    ({"biometric_match": False}, PickupReason.BIOMETRIC_FAILED),
])
def test_each_mismatch_at_the_gate_is_a_200_refusal_with_its_reason(rw, change, reason):
    rw.to_haulier()
    decision = ok(rw.pick(**change))
    assert decision["granted"] is False and reason in [r["code"] for r in decision["reasons"]]
    assert PickupAttempt.objects.get(pk=decision["attempt_id"]).reasons == [r["code"] for r in decision["reasons"]]


def test_another_driver_is_refused_in_the_guards_language(rw):
    rw.to_haulier()
    colleague = CredentialFactory(person=PersonFactory(employer=rw.haulier), port=rw.world.port,
                                  issued_by=rw.haulier)
    decision = ok(rw.pick(language="nl", credential=colleague.number))
    assert decision["reasons"] == [{"code": "wrong_driver", "label": "Niet de toegewezen chauffeur"}]
    assert decision["message"] == "Niet de toegewezen chauffeur"


def test_a_guard_at_the_gate_and_a_second_pickup_is_refused(rw):
    rw.to_haulier()
    fields = {"terminal_id": rw.world.facility.pk, "container": NUMBER, "credential": rw.badge.number,
              "plate": "BE:1ABC234"}
    assert ok(call(rw.as_guard, "POST", "/pickups", fields))["granted"]
    again = ok(call(rw.as_guard, "POST", "/pickups", fields))
    assert [r["code"] for r in again["reasons"]] == [PickupReason.ALREADY_PICKED_UP]


def test_an_unreadable_request_is_a_422_and_still_stored(rw):
    rw.to_haulier()
    body = refused(rw.pick(container="not a number"), 422, "cannot be read")
    assert body["code"] == "malformed_request"
    refused(call(Client(), "POST", "/pickups", {"terminal_id": rw.world.facility.pk, "plate": "1ABC234"},
                 token=rw.gate_token), 422)
    assert list(PickupAttempt.objects.values_list("reasons", "granted")) == [(["malformed_request"], False)] * 2
    refused(call(Client(), "POST", "/pickups", "{not json", token=rw.gate_token), 422)


def test_a_gate_decides_only_at_its_own_terminal(rw):
    rw.to_haulier()
    refused(rw.pick(terminal_id=rw.world.foreign_facility.pk), 404)
    second = FacilityFactory(name="Terminal A2", port=rw.world.port, operator=rw.world.operator)
    _, other_gate = tokens.token_create(actor=rw.world.pfso(), name="gate controller 2",
                                        permissions=["release.pickup"], facility=second)
    refused(rw.pick(token=other_gate), 403, "bound to another facility")
    refused(call(rw.as_haulier, "POST", "/pickups", {"terminal_id": rw.world.facility.pk, "container": NUMBER}),
            403)
    assert not PickupAttempt.objects.exists()
