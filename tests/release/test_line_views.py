"""The releases pages: who sees which release, the line's issue, update, block, unblock,
revoke and reissue through the pages, and the lights on a release's page."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.models import AuditRecord
from havenwatch.release import selectors, selectors_pages
from havenwatch.release.choices import Light, ReleaseStatus, RightStatus
from havenwatch.release.models import CommercialRelease, Container, ReleaseRight
from havenwatch.release.selectors import holder
from havenwatch.release.services.holds import discharge_confirm, hold_place, hold_release
from havenwatch.release.services.releases import release_block, release_issue
from havenwatch.release.services.rights import right_accept, right_transfer
from tests.factories import OrganisationFactory, principal
from tests.release.test_rights import DAY, T0, Chain, frozen  # noqa: F401 (the frozen clock)

NUMBER = "CSQU3054383"


def signed_in(client, who):
    client.force_login(who.user)
    return client


def text(response) -> str:
    return response.content.decode()


def local(moment, world) -> str:
    return moment.astimezone(ZoneInfo(world.port.time_zone)).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def chain(world):
    return Chain(world)


def passed_to_forwarder(chain):
    """A release the consignee accepted and passed to the forwarder, who accepted."""
    release = chain.issue()
    right_accept(actor=chain.acting["consignee"], right=chain.right_of(release, "consignee"))
    offer = right_transfer(actor=chain.acting["consignee"], right=holder(release), to=chain.orgs["forwarder"])
    right_accept(actor=chain.acting["forwarder"], right=offer)
    return release


def other_line_release(world, number="MSCU1234566", terminal=None, first_party=None):
    line = OrganisationFactory(name="Rival Shipping", kind=OrganisationKind.SHIPPING_LINE)
    first_party = first_party or OrganisationFactory(name="Other Forwarder", kind=OrganisationKind.FORWARDER)
    return release_issue(actor=principal(Role.SHIPPING_AGENT, line), container_number=number,
                         terminal=terminal or world.facility, bill_of_lading="RIVAL1", first_party=first_party,
                         valid_from=T0 - DAY, valid_until=T0 + 10 * DAY)


def detail_url(release):
    return reverse("release:release_detail", args=[release.pk])


def act_url(name, release):
    return reverse(f"release:release_{name}", args=[release.pk])


def form_action(name, release) -> str:
    """The form of an act, as the release's page offers it."""
    return f'action="{act_url(name, release)}"'


# --- who sees what -------------------------------------------------------------------------


def test_line_sees_its_releases_and_not_another_lines(client, world, chain):
    own = chain.issue()
    foreign = other_line_release(world)
    body = text(signed_in(client, chain.line).get(reverse("release:releases")))
    assert "releases you issued" in body
    assert own.container.number in body and foreign.container.number not in body
    assert "Nobody yet" in body  # offered to the consignee, not accepted: nobody holds it
    assert reverse("release:release_issue") in body  # the line's button
    assert client.get(detail_url(own)).status_code == 200
    assert client.get(detail_url(foreign)).status_code == 404


def test_line_list_shows_the_current_holder(client, chain):
    release = passed_to_forwarder(chain)
    body = text(signed_in(client, chain.line).get(reverse("release:releases")))
    assert release.container.number in body and "Kempen Forwarding" in body


def test_forwarder_sees_only_releases_in_its_chain(client, world, chain):
    mine = passed_to_forwarder(chain)
    elsewhere = other_line_release(world)
    forwarder = chain.acting["forwarder"]
    response = signed_in(client, forwarder).get(reverse("release:releases"))
    body = text(response)
    assert response.status_code == 200 and "releases you hold or were offered" in body
    assert mine.container.number in body and elsewhere.container.number not in body
    assert reverse("release:release_issue") not in body  # no issue button for a party
    assert client.get(detail_url(elsewhere)).status_code == 404


def test_a_party_sees_only_its_own_links_of_the_chain(client, chain):
    release = passed_to_forwarder(chain)
    offer = right_transfer(actor=chain.acting["forwarder"], right=holder(release), to=chain.orgs["haulier"])
    right_accept(actor=chain.acting["haulier"], right=offer)
    body = text(signed_in(client, chain.acting["haulier"]).get(detail_url(release)))
    assert "Kempen Forwarding" in body and "Held now by Flanders Haulage" in body
    assert "Consignee NV" not in body and "First release party" not in body  # another party's links stay hidden
    line_body = text(signed_in(client, chain.line).get(detail_url(release)))
    assert "Consignee NV" in line_body and "First release party" in line_body


def test_terminal_fso_sees_its_terminals_releases(client, world, chain):
    here = chain.issue()
    there = other_line_release(world, terminal=world.foreign_facility)
    body = text(signed_in(client, world.pfso()).get(reverse("release:releases")))
    assert "releases at your terminals" in body
    assert here.container.number in body and there.container.number not in body
    assert client.get(detail_url(there)).status_code == 404


def test_list_filters_by_status_container_and_terminal(client, world, chain):
    blocked = chain.issue()
    release_block(actor=chain.line, release=blocked, reason="freight unpaid")
    active = chain.issue("MSCU1234566")
    signed_in(client, chain.line)
    body = text(client.get(reverse("release:releases"), {"status": ReleaseStatus.BLOCKED}))
    assert blocked.container.number in body and active.container.number not in body
    body = text(client.get(reverse("release:releases"), {"container": "mscu 1234"}))
    assert active.container.number in body and blocked.container.number not in body
    body = text(client.get(reverse("release:releases"), {"terminal": world.facility.pk}))
    assert active.container.number in body and blocked.container.number in body


def test_role_without_the_permission_gets_403(client, world):
    manager = principal(Role.COMPANY_ACCESS_MANAGER, world.company)
    signed_in(client, manager)
    assert client.get(reverse("release:releases")).status_code == 403
    assert client.get(reverse("release:release_issue")).status_code == 403


def test_the_list_asks_a_fixed_number_of_queries(client, world, chain):
    signed_in(client, chain.line)
    chain.issue()
    client.get(reverse("release:releases"))  # warm the session and menu
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("release:releases")).status_code == 200
    for number in ("OCLU0000010", "OCLU0000025", "OCLU0000030", "OCLU0000046"):
        chain.issue(number)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("release:releases"))
    assert len(many) == len(few)


# --- issuing -------------------------------------------------------------------------------


def issue_data(world, chain, **overrides):
    data = {"container_number": "csqu 305438 3", "terminal": world.facility.pk, "bill_of_lading": "OCLU778899",
            "first_party": chain.orgs["consignee"].pk, "valid_from": local(T0, world),
            "valid_until": local(T0 + 14 * DAY, world)}
    data.update(overrides)
    return data


def test_line_issues_a_release_through_the_form(client, world, chain):
    signed_in(client, chain.line)
    form = client.get(reverse("release:release_issue"))
    assert form.status_code == 200 and "Terminal A" in text(form) and "Consignee NV" in text(form)
    assert local(T0 + 14 * DAY, world) in text(form)  # valid for two weeks unless changed
    response = client.post(reverse("release:release_issue"), issue_data(world, chain))
    release = CommercialRelease.objects.get()
    assert response.status_code == 302 and response.url == detail_url(release)
    assert release.container.number == NUMBER and release.valid_until == T0 + 14 * DAY
    assert AuditRecord.objects.filter(code="release.issued", subject_id=str(release.pk)).exists()
    assert ReleaseRight.objects.get(release=release).holder == chain.orgs["consignee"]


def test_a_wrong_check_digit_is_refused_with_the_digit_and_nothing_is_written(client, world, chain):
    signed_in(client, chain.line)
    response = client.post(reverse("release:release_issue"), issue_data(world, chain, container_number="CSQU3054384"))
    assert response.status_code == 400
    assert "CSQU3054384 has a wrong check digit: the last digit should be 3." in text(response)
    assert not CommercialRelease.objects.exists() and not Container.objects.exists()
    assert not AuditRecord.objects.filter(code__startswith="release.").exists()


def test_issue_without_a_terminal_gives_the_service_message(client, world, chain):
    signed_in(client, chain.line)
    response = client.post(reverse("release:release_issue"), issue_data(world, chain, terminal=""))
    assert response.status_code == 400 and "Name the terminal where the container is." in text(response)
    assert not CommercialRelease.objects.exists()


def test_a_forwarder_may_not_issue(client, chain, world):
    signed_in(client, chain.acting["forwarder"])
    assert client.post(reverse("release:release_issue"), issue_data(world, chain)).status_code == 403
    assert not CommercialRelease.objects.exists()


# --- the line's acts -----------------------------------------------------------------------


def test_line_blocks_and_unblocks_with_a_reason(client, chain):
    release = chain.issue()
    signed_in(client, chain.line)
    assert form_action("block", release) in text(client.get(detail_url(release)))
    response = client.post(act_url("block", release), {"reason": "freight unpaid"})
    assert response.status_code == 302
    release.refresh_from_db()
    assert release.status == ReleaseStatus.BLOCKED and release.status_reason == "freight unpaid"
    assert AuditRecord.objects.filter(code="release.blocked").exists()
    body = text(client.get(detail_url(release)))
    assert "Blocked by the shipping line: freight unpaid" in body
    assert form_action("unblock", release) in body and form_action("block", release) not in body
    assert client.post(act_url("unblock", release), {"reason": "freight paid"}).status_code == 302
    release.refresh_from_db()
    assert release.status == ReleaseStatus.ACTIVE
    assert AuditRecord.objects.filter(code="release.unblocked").exists()


def test_block_without_a_reason_shows_the_message_and_changes_nothing(client, chain):
    release = chain.issue()
    before = AuditRecord.objects.count()
    response = signed_in(client, chain.line).post(act_url("block", release), {"reason": "  "})
    assert response.status_code == 400 and "Say why the release is blocked." in text(response)
    release.refresh_from_db()
    assert release.status == ReleaseStatus.ACTIVE and AuditRecord.objects.count() == before


def test_unblocking_an_active_release_is_refused_with_the_service_message(client, chain):
    release = chain.issue()
    response = signed_in(client, chain.line).post(act_url("unblock", release), {"reason": "why not"})
    assert response.status_code == 400
    assert "Only a blocked release can be unblocked; this one is: Active." in text(response)


def test_revoke_asks_for_confirmation_then_brings_the_chain_down(client, chain):
    release = passed_to_forwarder(chain)
    signed_in(client, chain.line)
    page = text(client.get(detail_url(release)))
    assert "Every party downstream in the chain loses its right" in page
    refused = client.post(act_url("revoke", release), {"reason": "cargo sold"})
    assert refused.status_code == 400 and "Tick the box to confirm" in text(refused)
    release.refresh_from_db()
    assert release.status == ReleaseStatus.ACTIVE
    response = client.post(act_url("revoke", release), {"reason": "cargo sold", "confirm": "on"})
    assert response.status_code == 302
    release.refresh_from_db()
    assert release.status == ReleaseStatus.REVOKED
    statuses = set(ReleaseRight.objects.filter(release=release).values_list("status", flat=True))
    assert statuses == {RightStatus.REVOKED}  # the consignee's passed-on right and the forwarder's held one
    assert AuditRecord.objects.filter(code="release.revoked").exists()
    assert AuditRecord.objects.filter(code="release.right.revoked").count() == 2
    body = text(client.get(detail_url(release)))
    assert form_action("revoke", release) not in body  # nothing left to revoke


def test_line_updates_the_reference_as_a_new_version(client, world, chain):
    release = chain.issue()
    signed_in(client, chain.line)
    form = client.get(act_url("edit", release))
    assert form.status_code == 200 and "OCLU1" in text(form)
    data = {"bill_of_lading": "OCLU2", "valid_from": local(release.valid_from, world),
            "valid_until": local(release.valid_until, world)}
    assert client.post(act_url("edit", release), data).status_code == 302
    release.refresh_from_db()
    assert release.bill_of_lading == "OCLU2" and release.version == 2
    assert AuditRecord.objects.filter(code="release.updated").exists()
    unchanged = client.post(act_url("edit", release), data)
    assert unchanged.status_code == 400 and "Nothing to change" in text(unchanged)


def test_line_withdraws_and_reissues_and_the_chain_is_restored(client, world, chain):
    release = passed_to_forwarder(chain)
    signed_in(client, chain.line)
    response = client.post(act_url("reissue", release), {
        "valid_from": local(T0, world), "valid_until": local(T0 + 3 * DAY, world), "first_party": "",
        "reason": "new vessel rotation"})
    successor = CommercialRelease.objects.get(replaces=release)
    assert response.status_code == 302 and response.url == detail_url(successor)
    release.refresh_from_db()
    assert release.status == ReleaseStatus.WITHDRAWN and holder(successor).holder == chain.orgs["forwarder"]
    assert AuditRecord.objects.filter(code="release.reissued").exists()
    body = text(client.get(detail_url(successor)))
    assert "Replaces" in body and detail_url(release) in body
    assert detail_url(successor) in text(client.get(detail_url(release)))


def test_another_line_gets_404_and_a_forwarder_403_on_the_acts(client, world, chain):
    release = chain.issue()
    rival = principal(Role.SHIPPING_AGENT, OrganisationFactory(name="Rival", kind=OrganisationKind.SHIPPING_LINE))
    signed_in(client, rival)
    for act in ("block", "unblock", "revoke", "reissue"):
        assert client.post(act_url(act, release), {"reason": "mine now", "confirm": "on"}).status_code == 404
    assert client.get(act_url("edit", release)).status_code == 404
    signed_in(client, chain.acting["consignee"])
    assert client.post(act_url("block", release), {"reason": "mine now"}).status_code == 403
    assert form_action("block", release) not in text(client.get(detail_url(release)))
    release.refresh_from_db()
    assert release.status == ReleaseStatus.ACTIVE


# --- the lights ----------------------------------------------------------------------------


def test_lights_on_the_release_page_turn_red_after_a_customs_hold(client, world, chain):
    release = chain.issue()
    discharge_confirm(actor=world.pfso(), container=release.container)
    signed_in(client, world.pso())  # the port's authority sees the hold's reason
    body = text(client.get(detail_url(release)))
    assert "No customs hold." in body and "All green" in body
    customs = principal(Role.AUTHORITY_INVESTIGATOR, OrganisationFactory(name="Customs", kind=OrganisationKind.CUSTOMS))
    hold_place(actor=customs, container=release.container, reason="selected for a scan")
    body = text(client.get(detail_url(release)))
    assert "Customs hold: selected for a scan" in body and "Not all green" in body
    assert '<span class="release-light red">' in body
    line_body = text(signed_in(client, chain.line).get(detail_url(release)))
    assert "Held by customs." in line_body and "selected for a scan" not in line_body  # not the line's to read


def test_bulk_lights_agree_with_the_lights_of_one_container(world, chain):
    customs = principal(Role.AUTHORITY_INVESTIGATOR, OrganisationFactory(name="Customs", kind=OrganisationKind.CUSTOMS))
    plain = chain.issue()
    blocked = chain.issue("MSCU1234566")
    release_block(actor=chain.line, release=blocked, reason="freight unpaid")
    held = chain.issue("OCLU0000010")
    discharge_confirm(actor=world.pfso(), container=held.container)
    hold = hold_place(actor=customs, container=held.container, reason="scan")
    released = chain.issue("OCLU0000025")
    hold_release(actor=customs, hold=hold_place(actor=customs, container=released.container, reason="scan"),
                 reason="clear")
    future = release_issue(actor=chain.line, container_number="OCLU0000030", terminal=world.facility,
                           bill_of_lading="X", first_party=chain.orgs["consignee"], valid_from=T0 + DAY,
                           valid_until=T0 + 2 * DAY)
    containers = [r.container for r in (plain, blocked, held, released, future)]
    for at in (T0, T0 + 3 * DAY / 2, T0 + 30 * DAY):
        bulk = selectors_pages.lights_of(containers, at=at)
        assert all(bulk[c.pk] == selectors.lights(c, at=at) for c in containers)
    assert bulk[held.container_id].customs == Light.RED and hold.released_at is None
