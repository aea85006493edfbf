"""SIA DC-09 frames from intrusion alarm panels, read into the control room's sensor events
(design: ``docs/controlroom.md``, "Ingestion").

A panel (or its IP communicator) reports to a central station over TCP. Each message is one
DC-09 frame::

    <LF> CRC LLLL "id" seq [Rrcvr] Lpref [#acct] [data] [xdata]... [_HH:MM:SS,MM-DD-YYYY] <CR>

``CRC`` is CRC-16/ARC and ``LLLL`` (``0`` and three hex digits) the length, both over the
text from the first ``"`` to the end. The id says what the data holds: ``SIA-DCS`` (SIA DC-03,
e.g. ``#1234|Nri1/BA01``: burglary in area 1, zone 01), ``ADM-CID`` (Ademco Contact ID,
e.g. ``#1234|1130 01 015``: new burglary, partition 01, zone 015) or ``NULL`` (a link test).
The receiver answers each frame with ``ACK`` (stored), ``NAK`` (not stored: send it again)
or ``DUH`` (not understood: sending it again will not help).

Why our own parser and not a library from PyPI:

- ``pysiaalarm`` parses only through its account objects, answers from inside its event class
  and pulls in ``pycryptodome`` and ``pytz``; its NAK puts ``L`` before ``R``.
- ``siadc09`` is young (1.0, one maintainer), pulls in ``pycryptodomex``, and holds account
  numbers as integers, which drops a leading zero (``#0809`` would be acknowledged as
  ``#809``).

The format is small, and acknowledging only after the events are committed has to stay ours.

Encrypted frames (``"*SIA-DCS"``, ``"*ADM-CID"``: AES-CBC with a key per account) are not
supported: neither the standard library nor PyNaCl has AES-CBC, and ``cryptography`` is not
installed. They are checked (CRC, length) and answered ``DUH`` with that reason.

This module is pure: it reads and writes bytes and event dicts, and touches no database.
Nothing here logs; :mod:`havenwatch.controlroom.sia_receiver` logs the reasons it is given.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from havenwatch.core import clock

MAX_FRAME = 1024  # bytes, <LF> to <CR>: a DC-09 frame is far shorter
TOKENS = ("SIA-DCS", "ADM-CID", "NULL")
EVENT_KIND_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")

HEADER_RE = re.compile(
    r'^"(?P<star>\*)?(?P<token>[A-Z0-9-]{2,10})"'
    r"(?P<sequence>\d{4})"
    r"(?:R(?P<receiver>[0-9A-Fa-f]{1,6}))?"
    r"L(?P<prefix>[0-9A-Fa-f]{1,6})"
    r"(?:#(?P<account>[0-9A-Za-z]{3,16}))?"
    r"\[(?P<rest>.*)$",
    re.S,
)
TAIL_RE = re.compile(
    r"^(?P<data>[^\[\]]*)\](?P<extended>(?:\[[^\[\]]*\])*)"
    r"(?:_(?P<timestamp>\d{2}:\d{2}:\d{2},\d{2}-\d{2}-\d{4}))?$"
)
STAMP_RE = re.compile(r"^(\d{2}):(\d{2}):(\d{2}),(\d{2})-(\d{2})-(\d{4})$")
ACCOUNT_RE = re.compile(r"^[0-9A-Za-z]{3,16}$")
CID_RE = re.compile(r"^(?P<qualifier>[136])(?P<event>[0-9A-Fa-f]{3}) ?(?P<partition>[0-9A-Fa-f]{2}) ?"
                    r"(?P<zone>[0-9A-Fa-f]{3})$")
SIA_MODIFIER_RE = re.compile(r"^(?P<name>[a-z]{2})(?P<value>[0-9A-Za-z:-]{0,8})$")
SIA_EVENT_RE = re.compile(r"^(?P<code>[A-Z]{2})(?P<zone>[0-9A-Za-z]{0,6})$")
SIA_TEXT_RE = re.compile(r"\^[^^]*\^")  # free text a panel may add (a zone or user name): dropped


class Rejected(ValueError):
    """A frame the receiver does not store. ``answer`` is ``NAK`` (send it again) or ``DUH``
    (not understood), ``reply`` the framed answer, ``reason`` why, without the frame's content."""

    def __init__(self, answer: str, reply: bytes, reason: str) -> None:
        super().__init__(reason)
        self.answer = answer
        self.reply = reply
        self.reason = reason


def _refuse(reason: str) -> Rejected:
    return Rejected("NAK", nak(), reason)


def _puzzled(reason: str, frame: Frame | None = None) -> Rejected:
    return Rejected("DUH", duh(frame), reason)


@dataclass(frozen=True)
class Frame:
    """One checked DC-09 frame. Header fields are kept as sent, so the answer echoes them."""

    token: str  # SIA-DCS, ADM-CID or NULL
    sequence: str
    receiver: str | None  # hex digits after R, if any
    prefix: str  # hex digits after L
    account: str | None  # the header's #acct, if any
    data: str  # between the first [ and ]
    extended: tuple[str, ...] = ()  # the [...] blocks after the data
    timestamp: datetime | None = None
    encrypted: bool = False

    @property
    def route(self) -> str:
        return (f"R{self.receiver}" if self.receiver is not None else "") + f"L{self.prefix}"


@dataclass(frozen=True)
class PanelEvent:
    """One event read from a frame's data, before it becomes a sensor event."""

    protocol: str
    code: str | None
    kind: str
    text: str
    zone: str | None = None
    partition: str | None = None
    qualifier: str | None = None  # new, restore or status
    user: str | None = None
    action: str | None = None  # armed or disarmed, for arming events


# --- frames ------------------------------------------------------------------------------------


def crc16(data: bytes) -> int:
    """CRC-16/ARC (polynomial 0x8005 reflected, initial value 0), as DC-09 prescribes."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def encode(message: str) -> bytes:
    """Frame a message (from its first ``"`` to its end): LF, CRC, length, the message, CR."""
    body = message.encode("ascii")
    if len(body) > 0xFFF:
        raise ValueError("a DC-09 message has at most 4095 characters")
    return b"\n%04X%04X%s\r" % (crc16(body), len(body), body)


def stamp(moment: datetime) -> str:
    """A DC-09 timestamp: ``_HH:MM:SS,MM-DD-YYYY`` in UTC."""
    return moment.astimezone(UTC).strftime("_%H:%M:%S,%m-%d-%Y")


def message(token: str, sequence: int | str, account: str | None, data: str = "", *, receiver: str | None = None,
            prefix: str = "0", extended: tuple[str, ...] = (), timestamp: datetime | None = None) -> bytes:
    """Build and frame a message as a panel or a receiver sends it (answers and tests use it)."""
    seq = f"{int(sequence):04d}" if isinstance(sequence, int) else sequence
    text = f'"{token}"{seq}' + (f"R{receiver}" if receiver is not None else "") + f"L{prefix}"
    text += (f"#{account}" if account is not None else "") + f"[{data}]"
    text += "".join(f"[{block}]" for block in extended)
    text += stamp(timestamp) if timestamp is not None else ""
    return encode(text)


def parse_frame(raw: bytes) -> Frame:
    """A checked frame from the bytes between LF and CR (both optional here), or :class:`Rejected`.

    A CRC or length that does not match is answered NAK: the frame was damaged on the way and
    the panel sends it again. Anything else not understood is answered DUH.
    """
    if len(raw) > MAX_FRAME:
        raise _puzzled(f"frame longer than {MAX_FRAME} bytes")
    raw = raw.removesuffix(b"\r").removeprefix(b"\n")
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        raise _puzzled("frame is not ASCII") from None
    if len(text) < 9 or text[8] != '"' or not _is_hex(text[:8]) or text[4] != "0":
        raise _puzzled("no CRC and length before the message")
    body = text[8:]
    if int(text[4:8], 16) != len(body):
        raise _refuse(f"length field says {int(text[4:8], 16)} characters, the message has {len(body)}")
    if int(text[:4], 16) != crc16(body.encode("ascii")):
        raise _refuse("CRC does not match")
    header = HEADER_RE.match(body)
    if header is None:
        raise _puzzled("message header (id, sequence, receiver, prefix, account) not understood")
    frame = Frame(token=header["token"], sequence=header["sequence"], receiver=header["receiver"],
                  prefix=header["prefix"], account=header["account"], data="", encrypted=bool(header["star"]))
    if frame.token not in TOKENS:
        raise _puzzled(f"message type {frame.token} is not supported", frame)
    if frame.encrypted:
        raise _puzzled("encrypted (AES) DC-09 messages are not supported by this receiver: "
                       "set the panel's path to unencrypted, or add AES support", frame)
    tail = TAIL_RE.match(header["rest"])
    if tail is None:
        raise _puzzled("data block, extended data or timestamp not understood", frame)
    timestamp = _timestamp(tail["timestamp"]) if tail["timestamp"] else None
    if tail["timestamp"] and timestamp is None:
        raise _puzzled("timestamp is not a valid date and time", frame)
    extended = tuple(re.findall(r"\[([^\[\]]*)\]", tail["extended"]))
    return replace(frame, data=tail["data"], extended=extended, timestamp=timestamp)


def _is_hex(text: str) -> bool:
    return all(c in "0123456789ABCDEFabcdef" for c in text)


def _timestamp(text: str) -> datetime | None:
    match = STAMP_RE.match(text)
    if match is None:
        return None
    hour, minute, second, month, day, year = map(int, match.groups())
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None


# --- answers -----------------------------------------------------------------------------------


def ack(frame: Frame) -> bytes:
    """``ACK`` with the frame's sequence, receiver, prefix and account: it is stored."""
    return message("ACK", frame.sequence, frame.account, receiver=frame.receiver, prefix=frame.prefix)


def nak() -> bytes:
    """``NAK`` with the receiver's time (the panel may set its clock from it): send it again."""
    return encode('"NAK"0000R0L0A0[]' + stamp(clock.now()))


def duh(frame: Frame | None = None) -> bytes:
    """``DUH``: not understood. Echoes the header when it could be read."""
    if frame is None:
        return encode('"DUH"0000R0L0A0[]')
    return message("DUH", frame.sequence, frame.account, receiver=frame.receiver, prefix=frame.prefix)


# --- data --------------------------------------------------------------------------------------


def read_events(frame: Frame) -> tuple[str | None, list[PanelEvent]]:
    """The account and the events in a frame's data, or :class:`Rejected` (DUH)."""
    if frame.token == "NULL":
        return frame.account, [PanelEvent("NULL", None, "device.heartbeat", "Link test (heartbeat)")]
    account, _, content = frame.data.rpartition("|")
    account = account.removeprefix("#") or frame.account
    if account is None or not ACCOUNT_RE.match(account):
        raise _puzzled("no account number in the message", frame)
    if frame.token == "ADM-CID":
        return account, [_contact_id(frame, content)]
    return account, _sia_dcs(frame, content)


def _contact_id(frame: Frame, content: str) -> PanelEvent:
    match = CID_RE.match(content.strip())
    if match is None:
        raise _puzzled("Contact ID data is not QEEE GG CCC", frame)
    qualifier = {"1": "new", "3": "restore", "6": "status"}[match["qualifier"]]
    code = match["event"].upper()
    kind, action = cid_kind(qualifier, code)
    base = CID_TEXT.get(code) or CID_GROUP_TEXT.get(code[:2], f"Contact ID event {code}")
    text = _text(base, kind, qualifier, action)
    zone = match["zone"].upper()
    return PanelEvent("ADM-CID", code, kind, text, zone=zone, partition=match["partition"].upper(),
                      qualifier=qualifier, user=zone if action else None, action=action)


def _sia_dcs(frame: Frame, content: str) -> list[PanelEvent]:
    content = SIA_TEXT_RE.sub("", content).strip()
    content = content.removeprefix("N")  # N: new event data (DC-03)
    partition = user = None
    found = []
    for part in content.split("/"):
        if not part:
            continue
        if (modifier := SIA_MODIFIER_RE.match(part)) is not None:
            if modifier["name"] == "ri":
                partition = modifier["value"] or None
            elif modifier["name"] == "id":
                user = modifier["value"] or None
            continue
        event = SIA_EVENT_RE.match(part)
        if event is None:
            raise _puzzled("SIA event code not understood", frame)
        code = event["code"]
        kind, action = sia_kind(code)
        qualifier = "restore" if kind == "panel.restore" else "new"
        text = _text(SIA_TEXT.get(code, f"SIA event {code}"), kind, qualifier, action)
        zone = event["zone"] or None  # for an opening or closing, DC-03 puts the user number here
        found.append(PanelEvent("SIA-DCS", code, kind, text, zone=zone, partition=partition, qualifier=qualifier,
                                user=(user or zone) if action else None, action=action))
    if not found:
        raise _puzzled("no SIA event code in the data", frame)
    return found


def _text(base: str, kind: str, qualifier: str | None, action: str | None) -> str:
    if action:
        return f"{base}: {action}"
    if qualifier == "restore" and kind == "panel.restore" and "restore" not in base.lower():
        return f"{base} restored"
    if qualifier == "status":
        return f"{base} (still present)"
    return base


# --- codes to kinds ----------------------------------------------------------------------------

SIA_ARMING = {"OP": "disarmed", "OA": "disarmed", "OR": "disarmed", "OG": "disarmed",
              "CL": "armed", "CA": "armed", "CR": "armed", "CG": "armed"}
SIA_KINDS = {"BA": "panel.burglary", "BV": "panel.burglary", "PA": "panic.pressed", "HA": "panic.pressed",
             "TA": "panel.tamper", "FA": "panel.fire", "YP": "panel.trouble", "YM": "panel.trouble",
             "YC": "panel.trouble", "YS": "panel.trouble", "YK": "panel.restore"}
SIA_RESTORE_GROUPS = "ABEFGHKLMNPQSTUWXYZ"  # <group>R is that group's restore (CR, OR and RR are not)
SIA_NOT_TROUBLE = "COR"  # CT late to close, OT late to open, RT: not equipment trouble
SIA_TEXT = {
    "BA": "Burglary alarm", "BV": "Burglary verified", "BR": "Burglary restore", "BB": "Burglary bypass",
    "BU": "Burglary unbypass", "BT": "Burglary trouble", "BC": "Burglary cancel",
    "PA": "Panic alarm", "PR": "Panic restore", "HA": "Hold-up alarm", "HR": "Hold-up restore",
    "TA": "Tamper alarm", "TR": "Tamper restore", "FA": "Fire alarm", "FR": "Fire restore",
    "FT": "Fire trouble", "AT": "AC power trouble", "AR": "AC power restore",
    "YT": "System battery trouble", "YR": "System battery restore", "YP": "Power supply trouble",
    "YM": "System battery missing", "YC": "Communication failure", "YS": "Communication trouble",
    "YK": "Communication restore", "LT": "Phone line trouble", "LR": "Phone line restore",
    "XT": "Transmitter battery trouble", "XR": "Transmitter battery restore",
    "OP": "Opening", "CL": "Closing", "OA": "Automatic opening", "CA": "Automatic closing",
    "OR": "Disarmed from alarm", "CR": "Recent closing", "OG": "Area opening", "CG": "Area closing",
    "RP": "Automatic test", "RX": "Manual test", "RR": "Power up", "JA": "User code tamper",
    "MA": "Medical alarm", "GA": "Gas alarm", "QA": "Emergency alarm", "WA": "Water alarm",
    "UA": "Untyped zone alarm",
}


def sia_kind(code: str) -> tuple[str, str | None]:
    """The event kind of a SIA DC-03 code, and ``armed``/``disarmed`` for opening and closing."""
    if code in SIA_ARMING:
        return "panel.arming", SIA_ARMING[code]
    if code in SIA_KINDS:
        return SIA_KINDS[code], None
    if code[1] == "T" and code[0] not in SIA_NOT_TROUBLE:
        return "panel.trouble", None
    if code[1] == "R" and code[0] in SIA_RESTORE_GROUPS:
        return "panel.restore", None
    return "panel.other", None


CID_TAMPER = {"137", "144", "145", "383"}
CID_TEXT = {
    "100": "Medical alarm", "110": "Fire alarm", "111": "Smoke", "112": "Combustion", "113": "Water flow",
    "114": "Heat", "115": "Pull station", "116": "Duct", "117": "Flame", "118": "Fire near alarm",
    "120": "Panic alarm", "121": "Duress", "122": "Silent panic", "123": "Audible panic",
    "130": "Burglary", "131": "Perimeter burglary", "132": "Interior burglary", "133": "24-hour burglary",
    "134": "Entry/exit burglary", "135": "Day/night burglary", "136": "Outdoor burglary", "137": "Tamper",
    "138": "Burglary near alarm", "139": "Intrusion verified", "140": "General alarm",
    "144": "Sensor tamper", "145": "Expansion module tamper", "146": "Silent burglary",
    "300": "System trouble", "301": "AC power loss", "302": "Low system battery", "305": "System reset",
    "309": "Battery test failure", "311": "Battery missing", "321": "Bell trouble",
    "350": "Communication trouble", "351": "Phone line 1 fault", "354": "Failure to communicate",
    "380": "Sensor trouble", "381": "Loss of RF supervision", "383": "Sensor tamper",
    "384": "RF sensor low battery", "400": "Open/close", "401": "Open/close by user",
    "402": "Group open/close", "403": "Automatic open/close", "406": "Cancel by user",
    "407": "Remote arm/disarm", "408": "Quick arm", "409": "Keyswitch open/close",
    "570": "Zone bypass", "602": "Periodic test report",
}
CID_GROUP_TEXT = {"10": "Medical alarm", "11": "Fire alarm", "12": "Panic alarm", "13": "Burglary",
                  "14": "General alarm", "15": "24-hour non-burglary alarm", "16": "24-hour non-burglary alarm",
                  "20": "Fire supervisory", "30": "System trouble", "31": "System trouble",
                  "32": "Sounder or relay trouble", "33": "System peripheral trouble",
                  "34": "System peripheral trouble", "35": "Communication trouble",
                  "37": "Protection loop trouble", "38": "Sensor trouble", "40": "Open/close",
                  "57": "Bypass", "60": "Test"}


def cid_kind(qualifier: str, code: str) -> tuple[str, str | None]:
    """The event kind of a Contact ID event, and ``armed``/``disarmed`` for opening and closing.

    Qualifier 1 is a new event (or an opening, i.e. disarmed), 3 a restore (or a closing, i.e.
    armed), 6 a condition still present in a status report (not a new event: ``panel.other``).
    """
    number = int(code) if code.isdigit() else -1
    if 400 <= number <= 409:
        return "panel.arming", "armed" if qualifier == "restore" else "disarmed"
    if qualifier == "status":
        return "panel.other", None
    if qualifier == "restore":
        return "panel.restore", None
    if code in CID_TAMPER:
        return "panel.tamper", None
    if 130 <= number <= 139 or number == 146:
        return "panel.burglary", None
    if 120 <= number <= 123:
        return "panic.pressed", None
    if 110 <= number <= 118:
        return "panel.fire", None
    if 300 <= number <= 399:
        return "panel.trouble", None
    return "panel.other", None


# --- sensor events -----------------------------------------------------------------------------


def frame_events(frame: Frame) -> list[dict]:
    """The normalised sensor events of a checked frame, or :class:`Rejected` (DUH).

    ``external_id`` is ``<account>-<sequence>-<route>-<when>``: ``when`` is the frame's
    timestamp, so a retransmission that keeps it is a duplicate downstream. A frame without a
    timestamp uses a digest of its content and the UTC day of receipt instead (the sequence
    wraps at 9999, so the day keeps a later, identical alarm from being taken for a repeat).
    A heartbeat without a timestamp uses the second of receipt: each link test counts.
    Events after the first in one frame get ``-2``, ``-3``... A panel that sets a new
    timestamp on each retry gives a new id each time: a duplicate event, never a lost one.
    """
    account, events = read_events(frame)
    if account is None:
        return []  # a link test without an account: answered, nothing to record
    received = clock.now()
    occurred = _time_of_occurrence(frame) or frame.timestamp or received
    base = f"{account.upper()}-{frame.sequence}-{frame.route.upper()}-{_when(frame, received)}"
    found = []
    for index, event in enumerate(events, start=1):
        attributes = {"protocol": event.protocol, "code": event.code, "zone": event.zone,
                      "partition": event.partition, "qualifier": event.qualifier, "text": event.text,
                      "sequence": frame.sequence}
        if event.action:
            attributes["action"] = event.action
            attributes["user"] = event.user
        found.append({"account": account.upper(), "external_id": base if index == 1 else f"{base}-{index}",
                      "occurred_at": occurred, "kind": event.kind, "attributes": attributes})
    return found


def _when(frame: Frame, received: datetime) -> str:
    if frame.timestamp is not None:
        return frame.timestamp.strftime("%Y%m%dT%H%M%SZ")
    if frame.token == "NULL":
        return received.strftime("%Y%m%dT%H%M%SZ")
    content = "\x1f".join((frame.token, frame.data, *frame.extended, received.strftime("%Y-%m-%d")))
    return "h" + hashlib.sha256(content.encode("ascii")).hexdigest()[:16]


def _time_of_occurrence(frame: Frame) -> datetime | None:
    """DC-09's optional ``[H13:59:58,12-31-2026]`` block: when the event happened, if the panel
    sent it later than that (after a lost connection, say)."""
    for block in frame.extended:
        if block.startswith("H"):
            return _timestamp(block[1:])
    return None


def answer(raw: bytes) -> tuple[Frame, list[dict]]:
    """Parse one frame and read its events; :class:`Rejected` carries the NAK or DUH to send."""
    frame = parse_frame(raw)
    return frame, frame_events(frame)
