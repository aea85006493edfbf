"""The SIA DC-09 receiver: alarm panels' frames become control-room events, a frame is
acknowledged only once its events are stored, and a damaged or foreign frame is refused with
the answer the standard gives for it."""

from __future__ import annotations

import asyncio
import sys
import threading
import types
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from havenwatch.controlroom import sia
from havenwatch.controlroom.management.commands import siareceiver
from havenwatch.controlroom.sia_receiver import SiaReceiver, run
from havenwatch.core import clock

T0 = datetime(2026, 11, 21, 23, 0, 5, tzinfo=UTC)

# Frames published outside this project, with the CRC and length their senders computed:
# the first is the decoding example of the siadc09 package's documentation (DC-09-2026); the
# others are captures from real panels quoted in public receiver code on GitHub.
PUBLIC_FRAMES = [
    b'\n8C860043"SIA-DCS"9876R579BDFL789ABC#123456A[#123456A|NFA129][M1234567890AB]\r',
    b'\nF92F0043"ADM-CID"0020R7896L7896#3456[#3456|1407 00 001]_17:01:14,07-26-2024\r',
    b'\nD730002F"NULL"0000R7896L7896#3456[]_17:01:26,07-26-2024\r',
    b'\nF68B003B"ADM-CID"0028L0#9757[#9757|1602 00 000]_20:59:45,02-20-2024\r',
    b'\n3F60003C"SIA-DCS"0001L0#51449[#51449|Nri0000/LR]_21:26:19,12-20-2023\r',
    b'\n7B620035"SIA-DCS"0005L000#3044[3044|NOP1]_00:03:31,12-21-2023\r',
]


def checked(reply: bytes) -> str:
    """A receiver's answer, with its own CRC and length verified: the text from the first quote."""
    assert reply.startswith(b"\n") and reply.endswith(b"\r")
    text = reply[1:-1].decode("ascii")
    body = text[8:]
    assert int(text[4:8], 16) == len(body), "length field"
    assert int(text[:4], 16) == sia.crc16(body.encode("ascii")), "CRC"
    return body


def events_of(raw: bytes) -> list[dict]:
    return sia.answer(raw)[1]


def one(raw: bytes) -> dict:
    (event,) = events_of(raw)
    return event


def refused(raw: bytes) -> sia.Rejected:
    with pytest.raises(sia.Rejected) as caught:
        sia.answer(raw)
    return caught.value


def sia_dcs(data: str, **kw) -> bytes:
    return sia.message("SIA-DCS", kw.pop("seq", 42), "1234", f"#1234|{data}", **kw)


def contact_id(data: str, **kw) -> bytes:
    return sia.message("ADM-CID", kw.pop("seq", 42), "1234", f"#1234|{data}", **kw)


# --- frames ------------------------------------------------------------------------------------


def test_crc_is_crc16_arc():
    assert sia.crc16(b"123456789") == 0xBB3D  # the published check value of CRC-16/ARC


@pytest.mark.parametrize("raw", PUBLIC_FRAMES)
def test_published_frames_pass_the_crc_and_length_checks(raw):
    frame = sia.parse_frame(raw)
    assert frame.token in sia.TOKENS
    checked(raw)


def test_the_encoder_writes_published_frames_byte_for_byte():
    assert sia.message("SIA-DCS", 9876, "123456A", "#123456A|NFA129", receiver="579BDF", prefix="789ABC",
                       extended=("M1234567890AB",)) == PUBLIC_FRAMES[0]
    assert sia.message("ADM-CID", 20, "3456", "#3456|1407 00 001", receiver="7896", prefix="7896",
                       timestamp=datetime(2024, 7, 26, 17, 1, 14, tzinfo=UTC)) == PUBLIC_FRAMES[1]


def test_a_frame_is_read_into_its_header_data_and_timestamp():
    frame = sia.parse_frame(PUBLIC_FRAMES[0])
    assert (frame.token, frame.sequence, frame.receiver, frame.prefix, frame.account) == (
        "SIA-DCS", "9876", "579BDF", "789ABC", "123456A")
    assert frame.data == "#123456A|NFA129" and frame.extended == ("M1234567890AB",)
    assert sia.parse_frame(PUBLIC_FRAMES[1]).timestamp == datetime(2024, 7, 26, 17, 1, 14, tzinfo=UTC)


def test_ack_echoes_sequence_receiver_prefix_and_account():
    frame = sia.parse_frame(PUBLIC_FRAMES[1])
    assert checked(sia.ack(frame)) == '"ACK"0020R7896L7896#3456[]'
    frame = sia.parse_frame(PUBLIC_FRAMES[5])
    assert checked(sia.ack(frame)) == '"ACK"0005L000#3044[]'  # leading zeros and the prefix kept as sent


def test_nak_carries_the_receivers_time_in_utc():
    with clock.frozen(T0):
        assert checked(sia.nak()) == '"NAK"0000R0L0A0[]_23:00:05,11-21-2026'


def test_a_damaged_crc_is_answered_nak():
    raw = bytearray(sia_dcs("Nri1/BA01"))
    raw[1:5] = b"0000"
    with clock.frozen(T0):
        rejected = refused(bytes(raw))
    assert rejected.answer == "NAK" and "CRC" in rejected.reason
    assert checked(rejected.reply) == '"NAK"0000R0L0A0[]_23:00:05,11-21-2026'


def test_a_wrong_length_is_answered_nak():
    raw = sia_dcs("Nri1/BA01")
    rejected = refused(raw[:5] + b"0FFF" + raw[9:])
    assert rejected.answer == "NAK" and "length" in rejected.reason


def test_a_changed_character_breaks_the_crc():
    raw = sia_dcs("Nri1/BA01").replace(b"BA01", b"BA02")
    assert refused(raw).answer == "NAK"


@pytest.mark.parametrize("raw, reason", [
    (b"hello\r", "no CRC"),
    (b"\nZZZZ0010\"SIA-DCS\"\r", "no CRC"),
    ("\n\u00e9\r".encode(), "ASCII"),
    (b"\n" + b"A" * 2000 + b"\r", "longer than"),
    (sia.encode('"SIA-DCS"12L0#1234[#1234|NBA01]'), "header"),
])
def test_what_is_not_a_dc09_frame_is_answered_duh(raw, reason):
    rejected = refused(raw)
    assert rejected.answer == "DUH" and reason in rejected.reason
    assert checked(rejected.reply) == '"DUH"0000R0L0A0[]'


def test_an_unsupported_message_type_is_answered_duh_with_its_header():
    rejected = refused(sia.message("SIA-PUL", 7, "1234", "#1234|1", prefix="5"))
    assert rejected.answer == "DUH" and "SIA-PUL" in rejected.reason
    assert checked(rejected.reply) == '"DUH"0007L5#1234[]'


def test_an_encrypted_message_is_answered_duh_and_says_why():
    raw = sia.encode('"*SIA-DCS"0001R1L0#1234[8A3F0C19D2E4B5A6978877665544332211]')
    rejected = refused(raw)
    assert rejected.answer == "DUH" and "encrypted" in rejected.reason and "not supported" in rejected.reason
    assert checked(rejected.reply) == '"DUH"0001R1L0#1234[]'


@pytest.mark.parametrize("data, reason", [
    ("#1234|1130 01", "Contact ID"),
    ("#1234|9130 01 015", "Contact ID"),
])
def test_contact_id_data_that_is_not_qeee_gg_ccc_is_answered_duh(data, reason):
    rejected = refused(sia.message("ADM-CID", 1, "1234", data))
    assert rejected.answer == "DUH" and reason in rejected.reason


def test_sia_data_without_an_event_code_is_answered_duh():
    assert refused(sia_dcs("Nri1/")).answer == "DUH"
    assert refused(sia_dcs("Nri1/B@01")).answer == "DUH"


def test_a_timestamp_that_is_no_date_is_answered_duh():
    assert refused(sia.encode('"SIA-DCS"0001L0#1234[#1234|NBA01]_10:00:00,13-40-2026')).answer == "DUH"


def test_a_message_without_an_account_is_answered_duh():
    assert refused(sia.message("SIA-DCS", 1, None, "NBA01")).answer == "DUH"


# --- SIA DC-03 and Contact ID ------------------------------------------------------------------


@pytest.mark.parametrize("data, kind, code, zone, partition, qualifier", [
    ("Nri1/BA01", "panel.burglary", "BA", "01", "1", "new"),
    ("NBA01", "panel.burglary", "BA", "01", None, "new"),
    ("Nri2/PA003", "panic.pressed", "PA", "003", "2", "new"),
    ("NHA1", "panic.pressed", "HA", "1", None, "new"),
    ("Nri1/TA05", "panel.tamper", "TA", "05", "1", "new"),
    ("NFA129", "panel.fire", "FA", "129", None, "new"),
    ("NYT", "panel.trouble", "YT", None, None, "new"),
    ("NAT", "panel.trouble", "AT", None, None, "new"),
    ("Nri1/BR01", "panel.restore", "BR", "01", "1", "restore"),
    ("NPR1", "panel.restore", "PR", "1", None, "restore"),
    ("NTR05", "panel.restore", "TR", "05", None, "restore"),
    ("NRP", "panel.other", "RP", None, None, "new"),
    ("Nri1/ZZ9", "panel.other", "ZZ", "9", "1", "new"),
])
def test_sia_codes_map_to_event_kinds(data, kind, code, zone, partition, qualifier):
    event = one(sia_dcs(data))
    assert event["kind"] == kind and event["account"] == "1234"
    attributes = event["attributes"]
    assert attributes["protocol"] == "SIA-DCS" and attributes["code"] == code
    assert (attributes["zone"], attributes["partition"], attributes["qualifier"]) == (zone, partition, qualifier)
    assert attributes["text"]


def test_sia_opening_and_closing_are_arming_with_the_user():
    opening = one(sia_dcs("Nri1/OP3"))
    closing = one(sia_dcs("Nid7/ri2/CL7"))
    assert opening["kind"] == closing["kind"] == "panel.arming"
    assert (opening["attributes"]["action"], opening["attributes"]["user"]) == ("disarmed", "3")
    assert (closing["attributes"]["action"], closing["attributes"]["partition"]) == ("armed", "2")
    assert opening["attributes"]["text"] == "Opening: disarmed"


def test_several_sia_events_in_one_message_each_become_an_event():
    events = events_of(sia_dcs("Nri1/BA01/BA02/ri2/TA07", timestamp=T0))
    assert [(e["kind"], e["attributes"]["zone"], e["attributes"]["partition"]) for e in events] == [
        ("panel.burglary", "01", "1"), ("panel.burglary", "02", "1"), ("panel.tamper", "07", "2")]
    first = events[0]["external_id"]
    assert [e["external_id"] for e in events] == [first, f"{first}-2", f"{first}-3"]


def test_panel_free_text_is_not_kept():
    event = one(sia_dcs("Nri1/BA01^Jan Peeters back door^"))
    assert "Peeters" not in repr(event)


@pytest.mark.parametrize("data, kind, qualifier, code, partition, zone", [
    ("1130 01 015", "panel.burglary", "new", "130", "01", "015"),
    ("1131 01 009", "panel.burglary", "new", "131", "01", "009"),
    ("3130 01 015", "panel.restore", "restore", "130", "01", "015"),
    ("1120 00 001", "panic.pressed", "new", "120", "00", "001"),
    ("1121 01 002", "panic.pressed", "new", "121", "01", "002"),
    ("1137 01 004", "panel.tamper", "new", "137", "01", "004"),
    ("1144 01 004", "panel.tamper", "new", "144", "01", "004"),
    ("1145 01 004", "panel.tamper", "new", "145", "01", "004"),
    ("1110 01 003", "panel.fire", "new", "110", "01", "003"),
    ("1118 01 003", "panel.fire", "new", "118", "01", "003"),
    ("1301 00 000", "panel.trouble", "new", "301", "00", "000"),
    ("1399 00 000", "panel.trouble", "new", "399", "00", "000"),
    ("3301 00 000", "panel.restore", "restore", "301", "00", "000"),
    ("1602 00 000", "panel.other", "new", "602", "00", "000"),
    ("6130 01 015", "panel.other", "status", "130", "01", "015"),
    ("113001015", "panel.burglary", "new", "130", "01", "015"),
])
def test_contact_id_events_map_to_event_kinds(data, kind, qualifier, code, partition, zone):
    event = one(contact_id(data))
    attributes = event["attributes"]
    assert event["kind"] == kind
    assert attributes["protocol"] == "ADM-CID"
    assert (attributes["qualifier"], attributes["code"], attributes["partition"], attributes["zone"]) == (
        qualifier, code, partition, zone)


def test_contact_id_texts_say_what_happened():
    assert one(contact_id("1130 01 015"))["attributes"]["text"] == "Burglary"
    assert one(contact_id("3130 01 015"))["attributes"]["text"] == "Burglary restored"
    assert one(contact_id("1139 01 015"))["attributes"]["text"] == "Intrusion verified"
    assert one(contact_id("1159 01 015"))["attributes"]["text"] == "24-hour non-burglary alarm"


def test_contact_id_opening_and_closing_are_arming_by_a_user():
    opening = one(contact_id("1401 01 003"))
    closing = one(contact_id("3401 01 003"))
    assert opening["kind"] == closing["kind"] == "panel.arming"
    assert (opening["attributes"]["action"], closing["attributes"]["action"]) == ("disarmed", "armed")
    assert closing["attributes"]["user"] == "003"
    assert one(contact_id("3409 01 003"))["kind"] == "panel.arming"


def test_the_account_comes_from_the_data_block_else_the_header():
    assert one(sia.message("ADM-CID", 1, "1234", "5678|1130 01 015"))["account"] == "5678"
    assert one(sia.message("ADM-CID", 1, "1234", "1130 01 015"))["account"] == "1234"
    assert one(sia.message("ADM-CID", 1, "abcd", "1130 01 015"))["account"] == "ABCD"


def test_every_kind_the_receiver_can_produce_is_a_valid_event_kind():
    kinds = {sia.sia_kind(a + b)[0] for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
    kinds |= {sia.cid_kind(q, f"{n:03d}")[0] for q in ("new", "restore", "status") for n in range(1000)}
    kinds.add("device.heartbeat")
    assert kinds == {"panel.burglary", "panic.pressed", "panel.tamper", "panel.fire", "panel.trouble",
                     "panel.restore", "panel.arming", "panel.other", "device.heartbeat"}
    assert all(sia.EVENT_KIND_RE.match(kind) for kind in kinds)


# --- time, heartbeats and duplicates -----------------------------------------------------------


def test_the_message_timestamp_is_when_it_happened():
    event = one(sia_dcs("Nri1/BA01", timestamp=datetime(2026, 3, 29, 1, 59, 58, tzinfo=UTC)))
    assert event["occurred_at"] == datetime(2026, 3, 29, 1, 59, 58, tzinfo=UTC)
    assert event["occurred_at"].tzinfo is not None


def test_without_a_timestamp_the_event_happened_when_it_was_received():
    with clock.frozen(T0):
        assert one(sia_dcs("Nri1/BA01"))["occurred_at"] == T0


def test_a_time_of_occurrence_block_wins_over_the_transmission_time():
    raw = sia_dcs("Nri1/BA01", extended=("H22:58:00,11-21-2026",), timestamp=T0)
    assert one(raw)["occurred_at"] == datetime(2026, 11, 21, 22, 58, tzinfo=UTC)


def test_a_link_test_is_a_heartbeat_and_is_acknowledged():
    frame, events = sia.answer(PUBLIC_FRAMES[2])
    (event,) = events
    assert event["kind"] == "device.heartbeat" and event["account"] == "3456"
    assert event["occurred_at"] == datetime(2024, 7, 26, 17, 1, 26, tzinfo=UTC)
    assert event["attributes"]["protocol"] == "NULL"
    assert checked(sia.ack(frame)) == '"ACK"0000R7896L7896#3456[]'


def test_heartbeats_without_a_timestamp_each_count():
    raw = sia.message("NULL", 0, "1234", receiver="0")
    with clock.frozen(T0) as frozen:
        first = one(raw)["external_id"]
        frozen.advance(seconds=60)
        second = one(raw)["external_id"]
    assert first != second


def test_a_link_test_without_an_account_has_no_event_but_is_acknowledged():
    frame, events = sia.answer(sia.message("NULL", 0, None))
    assert events == [] and checked(sia.ack(frame)) == '"ACK"0000L0[]'


def test_a_retransmission_has_the_same_external_id():
    stamped = sia_dcs("Nri1/BA01", seq=17, receiver="12", prefix="3", timestamp=T0)
    plain = contact_id("1130 01 015", seq=18)
    with clock.frozen(T0) as frozen:
        first = (one(stamped)["external_id"], one(plain)["external_id"])
        frozen.advance(seconds=45)
        again = (one(stamped)["external_id"], one(plain)["external_id"])
    assert first == again
    assert first[0] == "1234-0017-R12L3-20261121T230005Z"
    assert first[1].startswith("1234-0018-L0-h")


def test_another_message_has_another_external_id():
    with clock.frozen(T0) as frozen:
        base = one(contact_id("1130 01 015", seq=18))["external_id"]
        assert one(contact_id("1130 01 015", seq=19))["external_id"] != base
        assert one(contact_id("1130 01 016", seq=18))["external_id"] != base
        assert one(sia.message("ADM-CID", 18, "1234", "#1234|1130 01 015", receiver="2"))["external_id"] != base
        frozen.advance(days=1)  # the sequence number wraps: the same alarm on another day is new
        assert one(contact_id("1130 01 015", seq=18))["external_id"] != base


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_are_read_or_refused_never_crash(raw):
    try:
        sia.answer(raw + b"\r")
    except sia.Rejected as rejected:
        assert rejected.answer in ("NAK", "DUH")
        checked(rejected.reply)


@settings(max_examples=100, deadline=None)
@given(qualifier=st.sampled_from("136"), code=st.integers(0, 999), partition=st.integers(0, 99),
       zone=st.integers(0, 999), seq=st.integers(0, 9999),
       account=st.text("0123456789ABCDEF", min_size=3, max_size=16))
def test_any_contact_id_event_survives_the_round_trip(qualifier, code, partition, zone, seq, account):
    raw = sia.message("ADM-CID", seq, account, f"#{account}|{qualifier}{code:03d} {partition:02d} {zone:03d}")
    frame, (event,) = sia.answer(raw)
    assert event["account"] == account and frame.sequence == f"{seq:04d}"
    assert (event["attributes"]["code"], event["attributes"]["zone"]) == (f"{code:03d}", f"{zone:03d}")
    assert sia.EVENT_KIND_RE.match(event["kind"])


# --- the TCP receiver --------------------------------------------------------------------------


async def _connect(receiver: SiaReceiver):
    server = await receiver.start("127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    return server, reader, writer


async def _reply(reader: asyncio.StreamReader, timeout: float = 2.0) -> str:
    return checked(await asyncio.wait_for(reader.readuntil(b"\r"), timeout))


def test_the_receiver_acknowledges_only_after_the_sink_has_stored_the_events():
    release, stored = threading.Event(), []

    def sink(events):
        release.wait(2)
        stored.append(events)

    async def scenario():
        server, reader, writer = await _connect(SiaReceiver(sink))
        async with server:
            writer.write(sia_dcs("Nri1/BA01", seq=5))
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(reader.readuntil(b"\r"), 0.15)  # the sink is still storing
            assert stored == []
            release.set()
            assert await _reply(reader) == '"ACK"0005L0#1234[]'
            assert [e["kind"] for e in stored[0]] == ["panel.burglary"]
            writer.close()

    asyncio.run(scenario())


def test_the_receiver_answers_nak_when_the_sink_fails():
    def unknown_account(events):
        raise KeyError(events[0]["account"])

    def broken(events):
        raise RuntimeError("database is locked")

    async def scenario(sink):
        server, reader, writer = await _connect(SiaReceiver(sink))
        async with server:
            writer.write(contact_id("1130 01 015"))
            reply = await _reply(reader)
            writer.close()
        return reply

    for sink in (unknown_account, broken):
        assert asyncio.run(scenario(sink)).startswith('"NAK"0000R0L0A0[]_')


def test_the_receiver_reads_several_frames_in_one_read_and_frames_split_over_reads():
    stored = []

    async def scenario():
        server, reader, writer = await _connect(SiaReceiver(stored.append))
        async with server:
            writer.write(sia_dcs("NBA01", seq=1) + contact_id("1120 00 001", seq=2) + b"\nGARBAGE\r")
            replies = [await _reply(reader) for _ in range(3)]
            frame = PUBLIC_FRAMES[1]
            writer.write(frame[:20])
            await writer.drain()
            await asyncio.sleep(0.02)
            writer.write(frame[20:])
            replies.append(await _reply(reader))
            writer.close()
        return replies

    replies = asyncio.run(scenario())
    assert replies[:3] == ['"ACK"0001L0#1234[]', '"ACK"0002L0#1234[]', '"DUH"0000R0L0A0[]']
    assert replies[3] == '"ACK"0020R7896L7896#3456[]'
    assert [batch[0]["kind"] for batch in stored] == ["panel.burglary", "panic.pressed", "panel.arming"]


def test_the_receiver_refuses_damaged_and_encrypted_frames_without_storing():
    stored = []

    async def scenario():
        server, reader, writer = await _connect(SiaReceiver(stored.append))
        async with server:
            writer.write(sia_dcs("NBA01").replace(b"BA01", b"BA02"))
            damaged = await _reply(reader)
            writer.write(sia.encode('"*ADM-CID"0003L0#1234[00FF00FF00FF00FF00FF00FF00FF00FF]'))
            encrypted = await _reply(reader)
            writer.close()
        return damaged, encrypted

    damaged, encrypted = asyncio.run(scenario())
    assert damaged.startswith('"NAK"') and encrypted == '"DUH"0003L0#1234[]'
    assert stored == []


def test_the_receiver_closes_a_connection_that_sends_too_much_without_cr():
    async def scenario():
        server, reader, writer = await _connect(SiaReceiver(lambda events: None))
        async with server:
            writer.write(b"\n" + b"9" * 1500)
            reply = await _reply(reader)
            rest = await asyncio.wait_for(reader.read(), 2)
            writer.close()
        return reply, rest

    assert asyncio.run(scenario()) == ('"DUH"0000R0L0A0[]', b"")


def test_the_receiver_closes_an_idle_connection():
    async def scenario():
        server, reader, writer = await _connect(SiaReceiver(lambda events: None, idle_timeout=0.1))
        async with server:
            closed = await asyncio.wait_for(reader.read(), 2)
            writer.close()
        return closed

    assert asyncio.run(scenario()) == b""


def test_run_serves_until_stopped_and_answers_a_heartbeat():
    stored = []

    async def scenario():
        stop, ready = asyncio.Event(), asyncio.get_running_loop().create_future()
        task = asyncio.create_task(run(stored.append, host="127.0.0.1", port=0, stop=stop,
                                       on_ready=ready.set_result))
        server = await asyncio.wait_for(ready, 2)
        reader, writer = await asyncio.open_connection("127.0.0.1", server.sockets[0].getsockname()[1])
        writer.write(PUBLIC_FRAMES[2])
        reply = await _reply(reader)
        writer.close()
        stop.set()
        await asyncio.wait_for(task, 2)
        return reply

    assert asyncio.run(scenario()) == '"ACK"0000R7896L7896#3456[]'
    assert stored[0][0]["kind"] == "device.heartbeat"


# --- the management command --------------------------------------------------------------------


def test_the_command_listens_on_localhost_port_12128_by_default():
    parser = siareceiver.Command().create_parser("havenwatch", "siareceiver")
    options = parser.parse_args([])
    assert (options.host, options.port, options.idle_timeout) == ("127.0.0.1", 12128, 120.0)
    options = parser.parse_args(["--host", "0.0.0.0", "--port", "2000", "--idle-timeout", "30"])
    assert (options.host, options.port, options.idle_timeout) == ("0.0.0.0", 2000, 30.0)


@pytest.mark.django_db  # the sink first closes stale connections of the receiver's thread
def test_the_command_hands_events_to_the_ingestion_services_sia_sink(monkeypatch):
    received = []
    fake = types.ModuleType("havenwatch.controlroom.services.ingestion")
    fake.sia_sink = received.append
    monkeypatch.setitem(sys.modules, "havenwatch.controlroom.services.ingestion", fake)
    events = events_of(contact_id("1130 01 015"))
    siareceiver.store(events)
    assert received == [events] and siareceiver.sink_available()


def test_without_the_ingestion_service_the_command_says_so_and_every_message_is_refused(monkeypatch):
    monkeypatch.setitem(sys.modules, "havenwatch.controlroom.services.ingestion", None)
    assert not siareceiver.sink_available()
    with pytest.raises(ImportError):
        siareceiver.store([])


def test_timestamps_are_written_in_utc():
    brussels_summer = timezone(timedelta(hours=2))
    assert sia.stamp(datetime(2026, 7, 2, 3, 4, 5, tzinfo=brussels_summer)) == "_01:04:05,07-02-2026"
