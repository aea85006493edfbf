"""Who hears of each change of a release: every party of its chain, through its feed and
its webhooks; never another party's links, never a fraud alert to a party."""

from __future__ import annotations

import pytest

from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.models import OutboxEvent, WebhookDelivery
from havenwatch.core.selectors import event_visible_to_organisation, visible_events
from havenwatch.core.services import webhooks as webhook_services
from havenwatch.core.webhooks import enqueue_deliveries
from havenwatch.release.selectors import holder
from havenwatch.release.services.holds import hold_place
from havenwatch.release.services.releases import release_block, release_revoke
from havenwatch.release.services.rights import right_accept, right_transfer
from tests.core.test_webhooks import run_webhook_consumer  # noqa: F401
from tests.factories import OrganisationFactory, principal
from tests.release.test_pickups import NUMBER, Pickup, frozen  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def p(world):
    return Pickup(world)


def _last(code: str) -> OutboxEvent:
    return OutboxEvent.objects.filter(type=code).order_by("-sequence").first()


def _hears(organisation, event) -> bool:
    return event_visible_to_organisation(event, organisation)


def test_a_block_reaches_the_line_the_terminal_and_every_party_of_the_chain(p, world):
    release_block(actor=p.line, release=p.release, reason="Freight not paid")
    event = _last("release.blocked")
    for party in ("consignee", "haulier"):
        assert _hears(p.orgs[party], event), party
    assert _hears(world.operator, event)  # the terminal
    assert not _hears(p.orgs["forwarder"], event)  # never in this chain
    assert not _hears(world.foreign_operator, event)


def test_a_party_sees_the_change_in_its_own_feed(p):
    release_block(actor=p.line, release=p.release, reason="Freight not paid")
    event = _last("release.blocked")
    assert visible_events(principal=p.acting["haulier"]).filter(pk=event.pk).exists()
    assert not visible_events(principal=p.acting["forwarder"]).filter(pk=event.pk).exists()


def test_a_revocation_reaches_everyone_who_was_in_the_chain(p):
    release_revoke(actor=p.line, release=p.release, reason="Wrong consignee")
    event = _last("release.revoked")
    assert _hears(p.orgs["consignee"], event) and _hears(p.orgs["haulier"], event)


def test_a_link_is_heard_by_its_two_ends_and_the_line_only(world):
    from tests.release.test_rights import Chain

    chain = Chain(world)
    release = chain.issue()
    right_accept(actor=chain.acting["consignee"], right=chain.right_of(release, "consignee"))
    other = OrganisationFactory(name="Other Forwarding", kind=OrganisationKind.FORWARDER)
    right_transfer(actor=chain.acting["consignee"], right=holder(release), to=chain.orgs["forwarder"])
    offered = _last("release.right.offered")
    assert _hears(chain.orgs["forwarder"], offered) and _hears(chain.orgs["consignee"], offered)
    assert _hears(chain.line_org, offered)
    assert not _hears(other, offered) and not _hears(chain.orgs["haulier"], offered)


def test_a_customs_hold_reaches_the_parties_and_the_terminal(p, world):
    customs = OrganisationFactory(name="Customs", kind=OrganisationKind.CUSTOMS)
    from havenwatch.core.models import Jurisdiction

    Jurisdiction.objects.create(organisation=customs, port=world.port)
    hold_place(actor=principal(Role.AUTHORITY_INVESTIGATOR, customs), container=p.release.container,
               reason="Selected for a scan")
    event = _last("release.hold.placed")
    assert _hears(p.orgs["haulier"], event) and _hears(p.line_org, event) and _hears(world.operator, event)


def test_a_fraud_alert_goes_to_the_terminal_and_never_to_the_haulier(p):
    p.assign()
    from tests.access.factories import CredentialFactory, PersonFactory

    other = CredentialFactory(person=PersonFactory(employer=p.orgs["haulier"]), port=p.world.port,
                              issued_by=p.orgs["haulier"])
    p.pick(credential_number=other.number)  # another driver of the same haulier: fraud
    alert = _last("release.pickup")
    assert alert.priority == 1
    assert not _hears(p.orgs["haulier"], alert) and not _hears(p.line_org, alert)
    assert _hears(p.world.operator, alert)


def test_a_plain_refusal_is_told_to_the_assigning_haulier_and_a_grant_to_the_whole_chain(p):
    p.assign()
    p.pick(plate="9ZZZ999")
    refused = _last("release.pickup")
    assert refused.priority == 3 and _hears(p.orgs["haulier"], refused) and not _hears(p.line_org, refused)
    p.pick()
    granted = _last("release.pickup")
    assert granted.payload["granted"] is True
    assert _hears(p.orgs["haulier"], granted) and _hears(p.line_org, granted)
    assert _hears(p.orgs["consignee"], granted)


def test_each_party_gets_a_webhook_delivery_of_each_change(p):
    hooks = {
        party: webhook_services.webhook_create(actor=p.acting[party], url=f"http://127.0.0.1:9/{party}")[0]
        for party in ("consignee", "forwarder", "haulier")
    }
    line_hook, _ = webhook_services.webhook_create(actor=p.line, url="http://127.0.0.1:9/line")
    release_block(actor=p.line, release=p.release, reason="Freight not paid")
    enqueue_deliveries(_last("release.blocked"))

    def got(hook):
        return WebhookDelivery.objects.filter(webhook=hook, event__type="release.blocked").count()

    assert got(hooks["consignee"]) == got(hooks["haulier"]) == got(line_hook) == 1
    assert got(hooks["forwarder"]) == 0


def test_the_terminal_sees_the_holding_haulier_and_the_driver_but_not_the_forwarders(p, world):
    from havenwatch.release.selectors import release_view

    p.assign()
    view = release_view(world.pfso(), p.release)
    assert view["holder"]["id"] == p.orgs["haulier"].pk
    assert view["assignment"].credential_id == p.badge.pk
    assert view["chain"] == [] and not view["whole_chain"]
    # another terminal's officer sees neither
    assert release_view(world.foreign_pfso(), p.release)["assignment"] is None
