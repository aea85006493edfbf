"""The customs pages: placing and releasing holds through the pages, who may, and the
container lookup."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.models import AuditRecord, Jurisdiction
from havenwatch.release.models import CustomsHold
from havenwatch.release.services.holds import hold_place
from tests.factories import OrganisationFactory, principal
from tests.release.test_line_views import other_line_release, passed_to_forwarder, signed_in, text
from tests.release.test_rights import Chain, frozen  # noqa: F401 (the frozen clock)

NUMBER = "CSQU3054383"


@pytest.fixture
def chain(world):
    return Chain(world)


def customs_office(port, name="Customs Antwerp"):
    office = OrganisationFactory(name=name, kind=OrganisationKind.CUSTOMS)
    Jurisdiction.objects.create(organisation=office, port=port)
    return principal(Role.AUTHORITY_INVESTIGATOR, office)


@pytest.fixture
def customs(world):
    return customs_office(world.port)


def place(client, container, reason="selected for a scan"):
    return client.post(reverse("release:hold_place"), {"container": container, "reason": reason})


def test_customs_places_and_releases_a_hold_through_the_pages(client, world, chain, customs):
    release = chain.issue()
    signed_in(client, customs)
    page = client.get(reverse("release:holds"))
    assert page.status_code == 200 and "No customs hold in your ports." in text(page)
    response = place(client, "csqu 305438 3")
    assert response.status_code == 302 and response.url == reverse("release:holds")
    hold = CustomsHold.objects.get()
    assert hold.container == release.container and hold.released_at is None and hold.placed_by == customs.organisation
    assert AuditRecord.objects.filter(code="release.hold.placed", subject_id=str(hold.pk)).exists()
    body = text(client.get(reverse("release:holds")))
    assert NUMBER in body and "selected for a scan" in body and "Release the hold" in body
    response = client.post(reverse("release:hold_release", args=[hold.pk]), {"reason": "scan clear"})
    assert response.status_code == 302
    hold.refresh_from_db()
    assert hold.released_at is not None and hold.released_reason == "scan clear"
    assert AuditRecord.objects.filter(code="release.hold.released").exists()
    assert "Release the hold" not in text(client.get(reverse("release:holds")))


def test_a_wrong_check_digit_gets_its_message_and_no_hold(client, chain, customs):
    chain.issue()
    response = place(signed_in(client, customs), "CSQU3054384")
    assert response.status_code == 400
    assert "CSQU3054384 has a wrong check digit: the last digit should be 3." in text(response)
    assert not CustomsHold.objects.exists()


def test_a_container_outside_the_offices_ports_is_not_found(client, world, chain, customs):
    chain.issue()
    other_line_release(world, terminal=world.foreign_facility)  # MSCU1234566, in port B
    signed_in(client, customs)
    for number in ("MSCU1234566", "OCLU0000010"):  # another port's, and one nobody registered
        response = place(client, number)
        assert response.status_code == 400
        assert f"No container {number} in your ports" in text(response)
    assert not CustomsHold.objects.exists()
    assert not AuditRecord.objects.filter(code="release.hold.placed").exists()


def test_a_hold_needs_a_reason_and_one_open_hold_per_container(client, chain, customs):
    chain.issue()
    signed_in(client, customs)
    response = place(client, NUMBER, reason="")
    assert response.status_code == 400 and "Say why the container is held." in text(response)
    assert not CustomsHold.objects.exists()
    place(client, NUMBER)
    again = place(client, NUMBER, reason="another scan")
    assert again.status_code == 400 and f"Container {NUMBER} is held by customs already." in text(again)
    assert CustomsHold.objects.count() == 1


def test_releasing_needs_a_reason(client, chain, customs):
    release = chain.issue()
    hold = hold_place(actor=customs, container=release.container, reason="scan")
    response = signed_in(client, customs).post(reverse("release:hold_release", args=[hold.pk]), {"reason": ""})
    assert response.status_code == 400 and "Say why the hold is released." in text(response)
    hold.refresh_from_db()
    assert hold.released_at is None


def test_only_the_office_that_placed_the_hold_releases_it(client, world, chain, customs):
    release = chain.issue()
    hold = hold_place(actor=customs, container=release.container, reason="scan")
    other = customs_office(world.port, name="Customs Zeebrugge")
    signed_in(client, other)
    assert "Release the hold" not in text(client.get(reverse("release:holds")))  # seen, not its to release
    response = client.post(reverse("release:hold_release", args=[hold.pk]), {"reason": "not ours"})
    assert response.status_code == 400
    assert "Only the customs office that placed the hold can release it." in text(response)
    foreign = customs_office(world.foreign_port, name="Customs Rotterdam")
    signed_in(client, foreign)
    assert "No customs hold in your ports." in text(client.get(reverse("release:holds")))
    assert client.post(reverse("release:hold_release", args=[hold.pk]), {"reason": "x"}).status_code == 404
    hold.refresh_from_db()
    assert hold.released_at is None


def test_a_forwarder_gets_403_on_holds(client, chain):
    release = chain.issue()
    signed_in(client, chain.acting["consignee"])
    assert client.get(reverse("release:holds")).status_code == 403
    assert place(client, NUMBER).status_code == 403
    hold = hold_place(actor=customs_office(chain.world.port), container=release.container, reason="scan")
    assert client.post(reverse("release:hold_release", args=[hold.pk]), {"reason": "x"}).status_code == 403
    assert not AuditRecord.objects.filter(code="release.hold.released").exists()


def test_container_lookup_shows_lights_release_and_terminal(client, world, chain, customs):
    release = chain.issue()
    other_line_release(world, terminal=world.foreign_facility)
    signed_in(client, customs)
    response = client.get(reverse("release:containers"), {"q": "3054"})
    body = text(response)
    assert response.status_code == 200 and NUMBER in body and "Terminal A" in body
    assert reverse("release:release_detail", args=[release.pk]) in body
    assert "MSCU1234566" not in text(client.get(reverse("release:containers")))  # another port's
    assert "Terminal light" in body and re.search(r'release-light red">.*Red', body)  # not discharged yet
    hold_place(actor=customs, container=release.container, reason="scan")
    body = text(client.get(reverse("release:containers"), {"q": NUMBER}))
    assert "See the hold" in body
    assert "No container matches" in text(client.get(reverse("release:containers"), {"q": "ZZZZ"}))


def test_container_lookup_shows_a_party_only_its_own_containers(client, world, chain):
    mine = passed_to_forwarder(chain)
    other_line_release(world)
    signed_in(client, chain.acting["forwarder"])
    body = text(client.get(reverse("release:containers")))
    assert mine.container.number in body and "MSCU1234566" not in body
    assert "Hold" not in body.split("<tbody>")[1]  # no hold action for a party
    signed_in(client, principal(Role.COMPANY_ACCESS_MANAGER, world.company))
    assert client.get(reverse("release:containers")).status_code == 403


def test_customs_and_line_pages_carry_no_inline_script_style_or_handlers(client, world, chain, customs):
    release = passed_to_forwarder(chain)
    hold_place(actor=customs, container=release.container, reason="scan")
    pages = [(customs, reverse("release:holds")), (customs, reverse("release:containers")),
             (customs, reverse("release:releases")), (customs, reverse("release:release_detail", args=[release.pk])),
             (chain.line, reverse("release:release_issue")),
             (chain.line, reverse("release:release_edit", args=[release.pk])),
             (chain.line, reverse("release:release_detail", args=[release.pk]))]
    for who, url in pages:
        response = signed_in(client, who).get(url)
        assert response.status_code == 200, url
        body = text(response)
        assert not re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", body), url
        assert not re.search(r"\sstyle=", body) and not re.search(r"\son[a-z]+=", body), url
