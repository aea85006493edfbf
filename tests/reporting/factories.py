"""A reporting world: channels with enrolled recipients, and reports sent through the service."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from havenwatch.core.choices import Role
from havenwatch.reporting.services import channels, keys, submission
from havenwatch.reporting.services.channels import CategoryInput
from tests.factories import principal

KEY_PASSWORD = "a long key password 1"
CATEGORIES = [CategoryInput("drugs", "Drugs", {"nl": "Drugs", "fr": "Drogue"}),
              CategoryInput("theft", "Theft", {"nl": "Diefstal", "fr": "Vol"}),
              CategoryInput("intrusion", "Intrusion", {"nl": "Indringing", "fr": "Intrusion"})]


@dataclass
class Recipient:
    principal: object
    recovery: str

    def key(self):
        return keys.key_unlock(actor=self.principal, password=KEY_PASSWORD)


def make_channel(officer, *, slug, ports=None, **fields):
    return channels.channel_save(actor=officer, slug=slug, name=fields.pop("name", slug.replace("-", " ").title()),
                                 ports=ports, categories=fields.pop("categories", CATEGORIES), **fields)


def make_recipient(officer, channel, organisation, role=Role.PORT_SECURITY_OFFICER) -> Recipient:
    person = principal(role, organisation)
    channels.recipient_add(actor=officer, channel=channel, user=person.user)
    return Recipient(principal=person, recovery=keys.key_enrol(actor=person, password=KEY_PASSWORD).recovery)


def submit(channel, *, what="Two men loading bags from a container at night.", category="drugs", **answers):
    uploads = answers.pop("uploads", ())
    port = answers.pop("port", None)
    return submission.report_submit(channel=channel, category=category, answers={"what": what, **answers},
                                    port=port, uploads=uploads)


class ReportingWorld:
    """Port A's authority runs a channel with two recipients; port B's its own with one."""

    def __init__(self, world):
        self.world = world
        self.officer = world.pso()
        self.channel = make_channel(self.officer, slug="port-a-drug-free", ports=[world.port])
        self.alice = make_recipient(self.officer, self.channel, world.authority)
        self.bob = make_recipient(self.officer, self.channel, world.authority, Role.AUTHORITY_INVESTIGATOR)
        from tests.factories import principal as make

        self.foreign_officer = make(Role.PORT_SECURITY_OFFICER, world.foreign_authority)
        self.foreign_channel = make_channel(self.foreign_officer, slug="port-b-tips", ports=[world.foreign_port])
        self.carol = make_recipient(self.foreign_officer, self.foreign_channel, world.foreign_authority)


@pytest.fixture
def rw(world):
    return ReportingWorld(world)
