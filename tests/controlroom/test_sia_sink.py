"""SIA frames through the receiver's sink into the control room: the panel is the device
whose name in the source system is the account; a retransmission is stored once."""

from __future__ import annotations

import pytest

from havenwatch.controlroom import evaluation, sia
from havenwatch.controlroom.models import Alarm, SensorEvent
from havenwatch.controlroom.services.ingestion import sia_sink
from havenwatch.controlroom.services.rules import rule_save
from tests.controlroom.factories import DeviceFactory

pytestmark = pytest.mark.django_db

BURGLARY = sia.message("ADM-CID", 21, "3456", "#3456|1130 01 015")


@pytest.fixture(autouse=True)
def fresh_engine():
    evaluation.reset()
    yield
    evaluation.reset()


def test_a_panels_burglary_is_stored_once_and_raises_the_ports_alarm(world):
    panel = DeviceFactory(facility=world.facility, kind="alarm_panel", code="PANEL-1", external_name="3456")
    rule_save(actor=world.pso(), port=world.port, text=(
        "code: panel-burglary\nkind: single\ntitle: Burglary at an alarm panel\npriority: 1\n"
        "when: {kind: panel.burglary}\n"))
    _frame, events = sia.answer(BURGLARY)
    sia_sink(events)
    sia_sink(events)  # the panel did not get the ACK and sent it again
    stored = SensorEvent.objects.get()
    assert (stored.device_id, stored.kind, stored.attributes["zone"]) == (panel.pk, "panel.burglary", "015")
    assert Alarm.objects.get().rule_code == "panel-burglary"


def test_an_unknown_account_is_refused_so_the_panel_keeps_its_message(world):
    _frame, events = sia.answer(BURGLARY)
    with pytest.raises(KeyError):
        sia_sink(events)
    assert not SensorEvent.objects.exists()
