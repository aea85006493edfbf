"""Anonymous reporting in the demo port: channels, recipients who can read, reports in every state."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime

import pytest

from havenwatch.core import clock
from havenwatch.core.audit import verify_chain
from havenwatch.core.models import Membership
from havenwatch.core.principal import principal_for_membership, system_principal
from havenwatch.demo.generator import SeedContext, demo_password
from havenwatch.demo.registry import seeders
from havenwatch.demo.scales import SCALES
from havenwatch.reporting.models import Channel, Report
from havenwatch.reporting.services import keys, retention, triage

SEEDED_AT = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)


def _acting(username: str):
    return principal_for_membership(Membership.objects.select_related("organisation", "user").get(
        user__username=username))


@pytest.mark.django_db
def test_the_demo_port_has_channels_whose_recipients_read_half_a_year_of_reports():
    with clock.frozen(SEEDED_AT):
        # The core's seeder (ports, organisations, users) and this app's: all it needs.
        ctx = SeedContext(scale=SCALES["small"], seed=1, rng=random.Random(1), actor=system_principal("demo-seed"))
        for item in seeders():
            if item.name in ("core", "reporting"):
                item.func(ctx)
        assert retention.reports_purge_due() == 0  # closed ones still count down
    channels = {channel.slug: channel for channel in Channel.objects.all()}
    assert set(channels) == {"our-port-drug-free", "portwatch", "customs-intake"}
    assert not channels["customs-intake"].is_public
    statuses = Counter(Report.objects.filter(channel__slug="our-port-drug-free").values_list("status", flat=True))
    assert set(statuses) == {"new", "in_triage", "forwarded", "closed"}
    assert Report.objects.filter(channel__slug="customs-intake", forwarded_from__isnull=False).exists()
    for username, slug in (("pso", "our-port-drug-free"), ("investigator", "portwatch"),
                           ("customs", "customs-intake")):
        person = _acting(username)
        own_key = keys.key_unlock(actor=person, password=demo_password(1, f"{username}-key"))
        for report in Report.objects.filter(channel__slug=slug):
            key = triage.report_key(actor=person, report=report, recipient_key=own_key)
            assert triage.report_read(actor=person, report=report, key=key).answers["what"]
    assert verify_chain().ok


@pytest.mark.django_db
def test_simulated_reporters_send_reports_now_and_then_to_channels_that_can_take_them():
    from havenwatch.core.simulation.engine import Simulator

    with clock.frozen(SEEDED_AT) as frozen:
        ctx = SeedContext(scale=SCALES["small"], seed=1, rng=random.Random(1), actor=system_principal("demo-seed"))
        for item in seeders():
            if item.name in ("core", "reporting"):
                item.func(ctx)
        before = Report.objects.count()
        simulator = Simulator(seed=1, start=SEEDED_AT, only=["reporting.tips"])
        for _minute in range(120):
            frozen.advance(seconds=60)
            simulator.advance(60)
    assert not simulator.errors
    new = Report.objects.filter(pk__gt=Report.objects.order_by("pk").values_list("pk", flat=True)[before - 1])
    assert 2 <= new.count() <= 6  # the first after five minutes, then every 20 to 45
    assert not new.filter(channel__is_public=False).exists()
    assert {report.status for report in new} == {"new"}
