"""The chain of release rights: each rule by name, then random sequences against the invariants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from havenwatch.core import clock
from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.errors import ServiceError
from havenwatch.core.models import AuditRecord, OutboxEvent
from havenwatch.release.choices import ReleaseStatus, RightStatus
from havenwatch.release.models import ReleaseRight
from havenwatch.release.selectors import holder, release_list
from havenwatch.release.services.releases import release_block, release_issue, release_reissue, release_revoke
from havenwatch.release.services.rights import right_accept, right_decline, right_revoke, right_transfer
from tests.factories import OrganisationFactory, principal

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def frozen():
    with clock.frozen(T0) as state:
        yield state


class Chain:
    """A line, a consignee (forwarder kind), a forwarder and a haulier, each with an acting principal."""

    def __init__(self, world) -> None:
        self.world = world
        self.line_org = OrganisationFactory(name="Oceanic Lines", kind=OrganisationKind.SHIPPING_LINE)
        self.line = principal(Role.SHIPPING_AGENT, self.line_org)
        self.orgs = {
            "consignee": OrganisationFactory(name="Consignee NV", kind=OrganisationKind.FORWARDER),
            "forwarder": OrganisationFactory(name="Kempen Forwarding", kind=OrganisationKind.FORWARDER),
            "haulier": OrganisationFactory(name="Flanders Haulage", kind=OrganisationKind.TRANSPORT_COMPANY),
        }
        self.acting = {
            "consignee": principal(Role.FORWARDER, self.orgs["consignee"]),
            "forwarder": principal(Role.FORWARDER, self.orgs["forwarder"]),
            "haulier": principal(Role.HAULIER_PLANNER, self.orgs["haulier"]),
        }

    def issue(self, number="CSQU3054383"):
        return release_issue(actor=self.line, container_number=number, terminal=self.world.facility,
                             bill_of_lading="OCLU1", first_party=self.orgs["consignee"], valid_from=T0 - DAY,
                             valid_until=T0 + 10 * DAY)

    def right_of(self, release, party, status=None):
        qs = ReleaseRight.objects.filter(release=release, holder=self.orgs[party])
        if status:
            qs = qs.filter(status=status)
        return qs.order_by("-pk").first()


@pytest.fixture
def chain(world):
    return Chain(world)


def test_issuing_offers_the_right_to_the_first_party(chain):
    release = chain.issue()
    right = chain.right_of(release, "consignee")
    assert right.status == RightStatus.OFFERED and right.offered_by == chain.line_org
    assert holder(release) is None
    assert OutboxEvent.objects.filter(type="release.right.offered", organisation_id=chain.orgs["consignee"].pk).exists()


def test_the_chain_passes_from_consignee_to_forwarder_to_haulier(chain):
    release = chain.issue()
    right_accept(actor=chain.acting["consignee"], right=chain.right_of(release, "consignee"))
    offer = right_transfer(actor=chain.acting["consignee"], right=chain.right_of(release, "consignee"),
                           to=chain.orgs["forwarder"])
    assert holder(release).holder == chain.orgs["consignee"]  # an offer alone changes no holder
    right_accept(actor=chain.acting["forwarder"], right=offer)
    assert holder(release).holder == chain.orgs["forwarder"]
    assert chain.right_of(release, "consignee").status == RightStatus.PASSED
    offer = right_transfer(actor=chain.acting["forwarder"], right=holder(release), to=chain.orgs["haulier"])
    right_accept(actor=chain.acting["haulier"], right=offer)
    assert holder(release).holder == chain.orgs["haulier"]
    assert release in release_list(principal=chain.acting["haulier"])
    assert release not in release_list(principal=principal(Role.FORWARDER, OrganisationFactory(
        name="Another Forwarder", kind=OrganisationKind.FORWARDER)))  # a forwarder never sees another's rights


def test_a_party_passes_on_only_what_it_holds(chain):
    release = chain.issue()
    offered = chain.right_of(release, "consignee")
    with pytest.raises(ServiceError, match="You can pass on only a right you hold"):
        right_transfer(actor=chain.acting["consignee"], right=offered, to=chain.orgs["forwarder"])
    right_accept(actor=chain.acting["consignee"], right=offered)
    with pytest.raises(ServiceError, match="Only the party concerned"):
        right_transfer(actor=chain.acting["forwarder"], right=holder(release), to=chain.orgs["haulier"])


def test_declining_needs_a_reason_and_leaves_the_sender_holding(chain):
    release = chain.issue()
    right_accept(actor=chain.acting["consignee"], right=chain.right_of(release, "consignee"))
    offer = right_transfer(actor=chain.acting["consignee"], right=holder(release), to=chain.orgs["forwarder"])
    with pytest.raises(ServiceError, match="Say why you decline"):
        right_decline(actor=chain.acting["forwarder"], right=offer, reason=" ")
    right_decline(actor=chain.acting["forwarder"], right=offer, reason="not our customer")
    assert holder(release).holder == chain.orgs["consignee"]
    assert AuditRecord.objects.filter(code="release.right.declined").exists()


def test_sender_takes_a_right_back_while_not_accepted_downstream(chain):
    release = chain.issue()
    right_accept(actor=chain.acting["consignee"], right=chain.right_of(release, "consignee"))
    offer = right_transfer(actor=chain.acting["consignee"], right=holder(release), to=chain.orgs["forwarder"])
    right_accept(actor=chain.acting["forwarder"], right=offer)
    onward = right_transfer(actor=chain.acting["forwarder"], right=holder(release), to=chain.orgs["haulier"])
    right_revoke(actor=chain.acting["consignee"], right=offer, reason="wrong forwarder")
    assert holder(release).holder == chain.orgs["consignee"]
    onward.refresh_from_db()
    assert onward.status == RightStatus.REVOKED  # the open offer below falls with it


def test_a_right_accepted_downstream_can_no_longer_be_taken_back(chain):
    release = chain.issue()
    right_accept(actor=chain.acting["consignee"], right=chain.right_of(release, "consignee"))
    offer = right_transfer(actor=chain.acting["consignee"], right=holder(release), to=chain.orgs["forwarder"])
    right_accept(actor=chain.acting["forwarder"], right=offer)
    onward = right_transfer(actor=chain.acting["forwarder"], right=holder(release), to=chain.orgs["haulier"])
    right_accept(actor=chain.acting["haulier"], right=onward)
    with pytest.raises(ServiceError, match="can no longer be taken back; its status is: Passed on"):
        right_revoke(actor=chain.acting["consignee"], right=chain.right_of(release, "forwarder"), reason="late")


def test_revoking_the_release_brings_the_chain_down_and_tells_everyone(chain):
    release = chain.issue()
    right_accept(actor=chain.acting["consignee"], right=chain.right_of(release, "consignee"))
    offer = right_transfer(actor=chain.acting["consignee"], right=holder(release), to=chain.orgs["forwarder"])
    right_accept(actor=chain.acting["forwarder"], right=offer)
    release_revoke(actor=chain.line, release=release, reason="cargo sold")
    assert holder(release) is None
    assert not ReleaseRight.objects.filter(release=release).exclude(status__in=["revoked", "declined"]).exists()
    told = set(OutboxEvent.objects.filter(type="release.right.revoked").values_list("organisation_id", flat=True))
    assert told == {chain.orgs["consignee"].pk, chain.orgs["forwarder"].pk}
    with pytest.raises(ServiceError, match="is no longer live"):
        right_transfer(actor=chain.acting["forwarder"], right=chain.right_of(release, "forwarder"),
                       to=chain.orgs["haulier"])


def test_withdraw_and_reissue_restores_the_chain(chain):
    release = chain.issue()
    right_accept(actor=chain.acting["consignee"], right=chain.right_of(release, "consignee"))
    offer = right_transfer(actor=chain.acting["consignee"], right=holder(release), to=chain.orgs["forwarder"])
    right_accept(actor=chain.acting["forwarder"], right=offer)
    successor = release_reissue(actor=chain.line, release=release, valid_from=T0, valid_until=T0 + 3 * DAY,
                                reason="new vessel rotation")
    assert holder(successor).holder == chain.orgs["forwarder"]
    assert holder(successor).parent.holder == chain.orgs["consignee"]


# --- random sequences ----------------------------------------------------------------------

PARTIES = ["consignee", "forwarder", "haulier"]


class ChainMachine(RuleBasedStateMachine):
    """Random acts by random parties, allowed or not; after each, the invariants hold."""

    def __init__(self) -> None:
        super().__init__()
        from tests.conftest import PortWorld

        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.chain = Chain(PortWorld())
        self.release = self.chain.issue()
        self.acts = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def _try(self, fn, **kwargs) -> None:
        before = AuditRecord.objects.count()
        try:
            with transaction.atomic():
                fn(**kwargs)
        except ServiceError:
            assert AuditRecord.objects.count() == before  # a refusal writes nothing
            return
        assert AuditRecord.objects.count() > before  # every act is audited
        self.acts += 1

    @rule(party=st.sampled_from(PARTIES))
    def accept(self, party):
        right = ReleaseRight.objects.filter(release=self.release, status=RightStatus.OFFERED).first()
        if right is not None:
            self._try(right_accept, actor=self.chain.acting[party], right=right)

    @rule(party=st.sampled_from(PARTIES))
    def decline(self, party):
        right = ReleaseRight.objects.filter(release=self.release, status=RightStatus.OFFERED).first()
        if right is not None:
            self._try(right_decline, actor=self.chain.acting[party], right=right, reason="no")

    @rule(party=st.sampled_from(PARTIES), to=st.sampled_from(PARTIES))
    def transfer(self, party, to):
        right = holder(self.release)
        if right is not None:
            self._try(right_transfer, actor=self.chain.acting[party], right=right, to=self.chain.orgs[to])

    @rule(party=st.sampled_from(PARTIES), pick=st.integers(0, 5))
    def take_back(self, party, pick):
        rights = list(ReleaseRight.objects.filter(release=self.release).order_by("pk"))
        self._try(right_revoke, actor=self.chain.acting[party], right=rights[pick % len(rights)], reason="back")

    @precondition(lambda self: self.release.status == ReleaseStatus.ACTIVE)
    @rule()
    def block(self):
        self._try(release_block, actor=self.chain.line, release=self.release, reason="freight unpaid")
        self.release.refresh_from_db()

    @rule()
    def revoke_release(self):
        self._try(release_revoke, actor=self.chain.line, release=self.release, reason="sold")
        self.release.refresh_from_db()

    @invariant()
    def one_holder_at_most(self):
        assert ReleaseRight.objects.filter(release=self.release, status=RightStatus.HELD).count() <= 1

    @invariant()
    def one_open_offer_at_most_and_only_from_the_holder(self):
        offers = list(ReleaseRight.objects.filter(release=self.release, status=RightStatus.OFFERED))
        assert len(offers) <= 1
        current = holder(self.release)
        for offer in offers:
            assert offer.parent_id is None or (current is not None and offer.parent_id == current.pk)

    @invariant()
    def a_revoked_release_leaves_no_right_standing(self):
        if self.release.status == ReleaseStatus.REVOKED:
            assert not ReleaseRight.objects.filter(release=self.release,
                                                   status__in=["offered", "held", "passed"]).exists()

    @invariant()
    def the_chain_is_a_path(self):
        # Every passed or held right descends from the first through passed rights.
        for right in ReleaseRight.objects.filter(release=self.release, status__in=["held", "passed"]):
            node = right
            while node.parent_id is not None:
                node = node.parent
                assert node.status == RightStatus.PASSED


@pytest.mark.django_db
def test_random_sequences_of_acts_keep_the_chains_invariants():
    with clock.frozen(T0):
        ChainMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=15, deadline=None,
                                                  suppress_health_check=[HealthCheck.too_slow])
        ChainMachine.TestCase().runTest()
