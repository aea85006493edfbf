"""Reading EDIFACT COREOR (container release order) interchanges, as shipping lines send them.

UN/EDIFACT COREOR, directory D.95B or D.00B (the SMDG user guides). The text is read with
pydifact; this module checks the envelope and each message against the convention below
and turns every message into a :class:`ReleaseOrder`. It touches no database: the terminal,
the parties and the releases are looked up by ``services/coreor.py``, which imports them.

A segment is named by its position: the count of segments in the interchange, from 1 for
UNB (a UNA service string advice is not counted). Every problem found is reported, not just
the first, as a :class:`CoreorError` (position, tag, reason) in :class:`CoreorRefused`.

The convention (what we read; every other segment or qualifier is accepted and ignored)
-------------------------------------------------------------------------------------

Envelope
    ``UNB`` syntax identifier UNOA or UNOB (ASCII), UNOC (ISO 8859-1, Latin-1), UNOW or UNOY
    (UTF-8): the bytes must decode as it says. ``UNZ`` counts the messages (or the UNG
    groups) and repeats the interchange reference of UNB. At most 5 MB and 10,000
    containers (EQD) per interchange.
``UNH+<ref>+COREOR:D:95B:UN`` (or ``D:00B``; an association code such as SMDG20 may follow)
    ``UNT`` counts the segments from UNH to UNT and repeats the message reference.
``BGM+129+<document number>+<function>``
    9 original (issue the releases), 5 replacement (update the live release of each
    container, issued by the sending line), 1 cancellation (revoke it). The document number
    names the message in the refusal reason of a cancellation: "Cancelled by COREOR <number>".
``RFF+BM:<bill of lading>``
    Before the first EQD for the whole message, or in a container's EQD group for that
    container. Mandatory (one of the two) except in a cancellation.
``DTM+7:<date>:<format>`` valid from, ``DTM+36:<date>:<format>`` valid until
    Formats 102 (CCYYMMDD) and 203 (CCYYMMDDHHMM), in the terminal's local time. A 102 date
    is the whole day: valid from its start, valid until its end. Before the first EQD for
    the whole message or in an EQD group for that container. DTM+36 is mandatory except in a
    cancellation; without DTM+7 an original is valid from the moment it is imported and a
    replacement keeps its start.
``LOC+11+<UN/LOCODE>:139:6+<terminal>:ISPS:ZZZ`` the terminal (place of discharge)
    We know terminals by their ISPS facility number, ``<UN/LOCODE>-<four digits>``: the
    related place is those four digits (``1742``) or the whole number (``BEANR-1742``).
    Once per message, before the first EQD. Mandatory except in a cancellation.
``NAD+FW+<EORI>:EORI:ZZZ`` or ``NAD+CN+<EORI>:EORI:ZZZ`` the first release party
    The freight forwarder (FW) if the message names one, else the consignee (CN), by EORI
    number (code list ``EORI``). Once per message, before the first EQD. Mandatory except
    in a cancellation. Other parties (CZ consignor, MS sender, CF operator...) are ignored.
``NAD+CA+<EORI>:EORI:ZZZ`` the carrier
    Optional. When it carries an EORI number, it must be the sending line's; a carrier code
    (``NAD+CA+MSC:172:20``) is not checked.
``EQD+CN+<container number>``
    One EQD group per container, ISO 6346 with its check digit; at least one per message.

Example (one original releasing two containers at terminal BEANR-1742)::

    UNA:+.? '
    UNB+UNOC:3+OCEANICLINES:ZZZ+HAVENWATCH:ZZZ+260504:0800+INT0001'
    UNH+1+COREOR:D:00B:UN:SMDG20'
    BGM+129+REL0001+9'
    DTM+137:202605040800:203'
    RFF+BM:OCLU2026000123'
    DTM+7:20260504:102'
    DTM+36:20260520:102'
    TDT+20+FA512R+1++OCL:172:20'
    LOC+11+BEANR:139:6+1742:ISPS:ZZZ'
    NAD+CA+BE0417497106:EORI:ZZZ'
    NAD+FW+BE0123456789:EORI:ZZZ'
    EQD+CN+CSQU3054383+22G1:102:5+++5'
    EQD+CN+MSKU9070323+45G1:102:5+++5'
    DTM+36:202605251800:203'
    CNT+16:2'
    UNT+15+1'
    UNZ+1+INT0001'
"""

from __future__ import annotations

import codecs
import re
import warnings
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.utils.translation import gettext as _
from pydifact.parser import Parser
from pydifact.segmentcollection import Interchange
from pydifact.segments import Segment, SegmentFactory

from havenwatch.core.errors import ValidationFailed
from havenwatch.release import validation

MAX_BYTES = 5 * 1024 * 1024
MAX_CONTAINERS = 10_000
MESSAGE_TYPE = "COREOR"
VERSIONS = {("D", "95B"), ("D", "00B")}
DOCUMENT_CODE = "129"
ORIGINAL, REPLACEMENT, CANCELLATION = "original", "replacement", "cancellation"
FUNCTIONS = {"9": ORIGINAL, "5": REPLACEMENT, "1": CANCELLATION}
# The UNB syntax identifier says how the bytes are encoded.
ENCODINGS = {"UNOA": "ascii", "UNOB": "ascii", "UNOC": "latin-1", "UNOW": "utf-8", "UNOY": "utf-8"}
DATE_FORMATS = {"102": "%Y%m%d", "203": "%Y%m%d%H%M"}
VALID_FROM, VALID_UNTIL = "7", "36"
RELEASE_PARTIES = ("FW", "CN")  # in order of precedence
CARRIER = "CA"
DISCHARGE = "11"
BILL_OF_LADING = "BM"
EORI_LIST = "EORI"
ISPS_LIST = "ISPS"
EORI = re.compile(r"^[A-Z]{2}[A-Z0-9]{1,15}$")
LOCODE = re.compile(r"^[A-Z]{2}[A-Z2-9]{3}$")
ISPS_SUFFIX = re.compile(r"^\d{4}$")
ISPS_NUMBER = re.compile(r"^([A-Z]{2}[A-Z2-9]{3})-(\d{4})$")


# --- what the reader gives ---------------------------------------------------------


class CoreorError(Exception):
    """One problem, at a segment: its position in the interchange (from 1 for UNB; None
    when the text is no interchange at all), its tag and the reason, in the user's language."""

    def __init__(self, segment_position: int | None, segment_tag: str, reason: str, *,
                 message_reference: str = "", code: str = "invalid") -> None:
        super().__init__(reason)
        self.segment_position = segment_position
        self.segment_tag = segment_tag
        self.reason = reason
        self.message_reference = message_reference
        self.code = code

    @property
    def text(self) -> str:
        """The reason with its place, e.g. "Segment 14 (EQD): MSCU1234560 has a wrong check digit..."."""
        if self.segment_position is None:
            return self.reason
        if not self.segment_tag:
            return _("Segment %(position)s: %(reason)s") % {"position": self.segment_position, "reason": self.reason}
        return _("Segment %(position)s (%(tag)s): %(reason)s") % {
            "position": self.segment_position, "tag": self.segment_tag, "reason": self.reason}

    def as_dict(self) -> dict:
        return {"message_reference": self.message_reference, "segment": self.segment_position,
                "tag": self.segment_tag, "code": self.code, "reason": self.reason, "message": self.text}


class CoreorRefused(Exception):
    """The interchange cannot be imported: every problem found, in the order of the text."""

    def __init__(self, errors: list[CoreorError], *, interchange: str = "") -> None:
        super().__init__(f"{len(errors)} error(s) in COREOR interchange {interchange or '?'}")
        self.errors = sorted(errors, key=lambda error: error.segment_position or 0)
        self.interchange = interchange


@dataclass(frozen=True)
class EdiTime:
    """A DTM date: naive, in the terminal's local time (the importer knows the terminal)."""

    value: datetime
    whole_day: bool
    position: int
    shown: str = ""  # as the message gives it: 2026-05-20, or 2026-05-20 18:00


@dataclass(frozen=True)
class Party:
    qualifier: str
    eori: str
    position: int


@dataclass(frozen=True)
class Terminal:
    unlocode: str
    isps_number: str
    position: int


@dataclass(frozen=True)
class ContainerRelease:
    """One EQD group: the container and what applies to it (its own or the message's)."""

    number: str
    position: int
    bill_of_lading: str = ""
    valid_from: EdiTime | None = None
    valid_until: EdiTime | None = None


@dataclass(frozen=True)
class ReleaseOrder:
    """One COREOR message."""

    interchange: str
    reference: str
    position: int
    document_number: str
    function: str
    terminal: Terminal | None
    release_party: Party | None
    carrier: Party | None
    containers: tuple[ContainerRelease, ...] = field(default_factory=tuple)

    @property
    def name(self) -> str:
        """How the message is named to people: its document number, else its reference."""
        return self.document_number or self.reference


# --- small readers of elements ------------------------------------------------------


def _element(segment: Segment, index: int):
    return segment.elements[index] if index < len(segment.elements) else None


def _part(segment: Segment, index: int, component: int = 0) -> str:
    """A component of an element, stripped ("" when absent)."""
    value = _element(segment, index)
    if isinstance(value, list):
        value = value[component] if component < len(value) else ""
    elif component:
        value = ""
    return (value or "").strip()


def _refused(position, tag, reason, code, interchange="") -> CoreorRefused:
    return CoreorRefused([CoreorError(position, tag, reason, code=code)], interchange=interchange)


# --- bytes to text -------------------------------------------------------------------


def _not_edifact(detail: str) -> CoreorRefused:
    return _refused(None, "", _("This is not an EDIFACT interchange: %(detail)s") % {"detail": detail},
                    "not_edifact")


def _syntax_identifier(head: str) -> str:
    """The UNB syntax identifier, read from the start of the text (UNA and UNB are ASCII)."""
    text = head.lstrip()
    data_separator = "+"
    if text.startswith("UNA"):
        if len(text) < 9:
            raise _not_edifact(_("the UNA service string advice is cut short."))
        data_separator = text[4]
        text = text[9:].lstrip()
    if not text.startswith("UNB" + data_separator):
        raise _not_edifact(_("it must begin with a UNB interchange header (after an optional UNA)."))
    identifier = text[4:8]
    if identifier not in ENCODINGS:
        raise _refused(1, "UNB", _("Syntax identifier %(syntax)s is not supported: use UNOA or UNOB (ASCII), UNOC "
                                   "(Latin-1), UNOW or UNOY (UTF-8).") % {"syntax": identifier[:4] or "?"},
                       "unsupported_syntax")
    return identifier


def decode(data: bytes | str) -> str:
    """The interchange's text, decoded as its UNB syntax identifier says; a refusal for a
    file too large, a binary file or text that breaks its own declared encoding."""
    if isinstance(data, str):
        size = len(data.encode("utf-8", errors="replace"))
    elif isinstance(data, bytes | bytearray):
        size = len(data)
    else:
        raise _not_edifact(_("there is no text."))
    if size > MAX_BYTES:
        raise _refused(None, "", _("The interchange is larger than %(mb)s MB: split it.")
                       % {"mb": MAX_BYTES // (1024 * 1024)}, "too_large")
    if not size:
        raise _not_edifact(_("it is empty."))
    if isinstance(data, str):
        text = data.lstrip("\ufeff")
        if "\x00" in text:
            raise _not_edifact(_("it holds binary data (NUL characters)."))
        syntax = _syntax_identifier(text[:512])
        try:
            text.encode(ENCODINGS[syntax])
        except UnicodeEncodeError as exc:
            raise _refused(1, "UNB", _("The character %(char)r at position %(at)s cannot be sent in %(syntax)s, as "
                                       "UNB declares: use UNOC (Latin-1) or UNOW (UTF-8).")
                           % {"char": text[exc.start], "at": exc.start + 1, "syntax": syntax}, "encoding") from None
        return text
    raw = bytes(data)
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    if b"\x00" in raw:
        raise _not_edifact(_("it holds binary data (NUL bytes)."))
    syntax = _syntax_identifier(raw[:512].decode("latin-1"))
    try:
        return raw.decode(ENCODINGS[syntax])
    except UnicodeDecodeError as exc:
        raise _refused(1, "UNB", _("Byte %(byte)s at offset %(at)s is not %(encoding)s, as the syntax identifier "
                                   "%(syntax)s of UNB declares.")
                       % {"byte": f"0x{raw[exc.start]:02X}", "at": exc.start, "syntax": syntax,
                          "encoding": {"ascii": "ASCII", "latin-1": "ISO 8859-1", "utf-8": "UTF-8"}[ENCODINGS[syntax]]},
                       "encoding") from None


# --- text to segments ----------------------------------------------------------------


class _PlainFactory(SegmentFactory):
    """Segments as they are: the checks that matter are ours, with their positions."""

    @staticmethod
    def create_segment(name, *elements, validate=True, version="", directory=""):
        return SegmentFactory.create_segment(name, *elements, validate=False, version=version, directory=directory)


def segments(text: str) -> tuple[list[Segment], str]:
    """The segments (UNA left out) and the interchange reference of UNB."""
    text = text.strip()
    found: list[Segment] = []
    una: list[Segment] = []
    with warnings.catch_warnings():  # pydifact warns of empty segments and of its missing syntax files
        warnings.simplefilter("ignore")
        try:
            for segment in Parser(factory=_PlainFactory()).parse(text):
                (una if segment.tag == "UNA" else found).append(segment)
        except Exception as exc:  # pydifact raises several kinds on text it cannot read
            position = len(found) + 1
            detail = str(exc).removeprefix("EDIFACT Syntax Error: ")
            if "Unexpected end" in detail:
                reason = _("The text ends inside a segment: every segment must end with the segment terminator "
                           "(').")
            elif "tag" in detail.lower():
                reason = _("This segment has no valid tag: a tag is three capital letters (e.g. EQD).")
            else:
                reason = _("This segment cannot be read as EDIFACT (%(detail)s).") % {"detail": detail[:200]}
            reference = _part(found[0], 4) if found and found[0].tag == "UNB" else ""
            raise _refused(position, "", reason, "unreadable", reference) from None
        if not found:
            raise _not_edifact(_("it holds no segment."))
        if found[0].tag != "UNB":
            raise _refused(1, found[0].tag, _("An interchange begins with UNB (after an optional UNA)."),
                           "missing_unb")
        try:
            interchange = Interchange.from_segments([*una, *found])
        except Exception as exc:  # a UNB that pydifact cannot read (date, syntax, too few elements)
            detail = str(exc).removeprefix("EDIFACT Syntax Error: ")
            raise _refused(1, "UNB", _("The interchange header cannot be read (%(detail)s).")
                           % {"detail": detail[:200]}, "bad_unb") from None
    reference = interchange.control_reference
    reference = (reference[0] if isinstance(reference, list) else reference or "").strip()
    return found, reference


# --- segments to release orders ------------------------------------------------------


def parse(data: bytes | str) -> list[ReleaseOrder]:
    """The release orders of a COREOR interchange, or :class:`CoreorRefused` with every problem."""
    found, reference = segments(decode(data))
    return _Reader(found, reference).read()


class _Reader:
    def __init__(self, found: list[Segment], reference: str) -> None:
        self.segments = found
        self.reference = reference
        self.errors: list[CoreorError] = []
        self.containers = 0

    def error(self, position, tag, reason, code, message="") -> None:
        self.errors.append(CoreorError(position, tag, reason, message_reference=message, code=code))

    def read(self) -> list[ReleaseOrder]:
        if not self.reference:
            self.error(1, "UNB", _("UNB carries no interchange reference."), "bad_unb")
        orders: list[ReleaseOrder] = []
        current: tuple[int, Segment] | None = None
        body: list[tuple[int, Segment]] = []
        messages = groups = 0
        last = len(self.segments)
        for position, segment in enumerate(self.segments[1:], start=2):
            tag = segment.tag
            if tag == "UNH":
                if current is not None:
                    self.error(current[0], "UNH", _("This message has no UNT trailer: another UNH begins at segment "
                                                    "%(next)s.") % {"next": position}, "missing_unt",
                               _part(current[1], 0))
                current, body = (position, segment), []
                messages += 1
            elif tag == "UNT":
                if current is None:
                    self.error(position, tag, _("UNT without a UNH message header before it."), "missing_unh")
                    continue
                order = self.message(current, body, (position, segment))
                if order is not None:
                    orders.append(order)
                current, body = None, []
            elif current is not None:
                if tag in ("UNB", "UNZ", "UNG", "UNE"):
                    self.error(position, tag, _("%(tag)s inside a message: the message has no UNT trailer.")
                               % {"tag": tag}, "missing_unt", _part(current[1], 0))
                    current, body = None, []
                else:
                    body.append((position, segment))
                    continue
            if tag == "UNG":
                groups += 1
            elif tag == "UNZ":
                if position != last:
                    self.error(position, tag, _("UNZ must be the last segment of the interchange."), "misplaced_unz")
                self.trailer(position, segment, groups or messages)
            elif tag not in ("UNH", "UNT", "UNG", "UNE") and current is None:
                self.error(position, tag, _("This segment is outside a message (between UNT and the next UNH)."),
                           "outside_message")
        if current is not None:
            self.error(current[0], "UNH", _("This message has no UNT trailer."), "missing_unt", _part(current[1], 0))
        if self.segments[-1].tag != "UNZ":
            self.error(last, self.segments[-1].tag, _("The interchange has no UNZ trailer at its end."),
                       "missing_unz")
        if not messages:
            self.error(1, "UNB", _("The interchange holds no message (UNH ... UNT)."), "no_message")
        if self.errors:
            raise CoreorRefused(self.errors, interchange=self.reference)
        return orders

    def trailer(self, position: int, unz: Segment, expected: int) -> None:
        count = _part(unz, 0)
        if count != str(expected):
            self.error(position, "UNZ", _("UNZ counts %(count)s messages; the interchange holds %(n)s.")
                       % {"count": count or "?", "n": expected}, "message_count")
        if _part(unz, 1) != self.reference:
            self.error(position, "UNZ", _("UNZ names interchange %(got)s, but UNB names %(ref)s.")
                       % {"got": _part(unz, 1) or "?", "ref": self.reference}, "reference_mismatch")

    # --- one message ---

    def message(self, header, body, trailer) -> ReleaseOrder | None:
        (start, unh), (end, unt) = header, trailer
        ref = _part(unh, 0)
        before = len(self.errors)

        def error(position, tag, reason, code):
            self.error(position, tag, reason, code, ref)

        if not ref:
            error(start, "UNH", _("UNH carries no message reference."), "missing_reference")
        count = _part(unt, 0)
        if count != str(end - start + 1):
            error(end, "UNT", _("UNT counts %(count)s segments; the message has %(n)s (UNH and UNT included).")
                  % {"count": count or "?", "n": end - start + 1}, "segment_count")
        if _part(unt, 1) != ref:
            error(end, "UNT", _("UNT closes message %(got)s, but UNH opened message %(ref)s.")
                  % {"got": _part(unt, 1) or "?", "ref": ref or "?"}, "reference_mismatch")
        kind = _part(unh, 1, 0)
        if kind != MESSAGE_TYPE:
            error(start, "UNH", _("Message type %(kind)s is not COREOR: this import reads container release orders "
                                  "only.") % {"kind": kind or "?"}, "message_type")
            return None
        version = (_part(unh, 1, 1), _part(unh, 1, 2))
        if version not in VERSIONS or _part(unh, 1, 3) != "UN":
            error(start, "UNH", _("COREOR %(version)s is not supported: send directory D.95B or D.00B "
                                  "(COREOR:D:95B:UN or COREOR:D:00B:UN).")
                  % {"version": ":".join(filter(None, (*version, _part(unh, 1, 3)))) or "?"}, "message_version")
            return None
        return _MessageReader(self, ref, start, body, error).read(failed=len(self.errors) > before)


class _MessageReader:
    """The body of one COREOR message: the header part, then one group per EQD."""

    def __init__(self, reader: _Reader, ref: str, start: int, body, error) -> None:
        self.reader = reader
        self.ref = ref
        self.start = start
        self.body = body
        self.error = error
        self.bill_of_lading: tuple[str, int] | None = None
        self.dates: dict[str, EdiTime] = {}
        self.terminal: Terminal | None = None
        self.parties: dict[str, Party] = {}
        self.carrier: Party | None = None
        self.given: set[str] = set()  # the terminal (LOC) and the release party (NAD), even when refused
        self.unreadable: set[str] = set()  # DTM qualifiers given but refused: not "missing" as well

    def read(self, *, failed: bool) -> ReleaseOrder | None:
        before = len(self.reader.errors)
        if not self.body or self.body[0][1].tag != "BGM":
            position, tag = (self.body[0][0], self.body[0][1].tag) if self.body else (self.start, "UNH")
            self.error(position, tag, _("A COREOR message begins with BGM, right after UNH."), "missing_bgm")
            return None
        function, document = self.bgm(*self.body[0])
        groups: list[list[tuple[int, Segment]]] = []
        for position, segment in self.body[1:]:
            if segment.tag == "EQD":
                groups.append([(position, segment)])
            elif groups:
                groups[-1].append((position, segment))
            else:
                self.header_segment(position, segment)
        mandatory = function != CANCELLATION  # an unknown function is read as an original: all errors found
        if mandatory and "LOC" not in self.given:
            self.error(self.start, "UNH", _("The message names no terminal: give LOC+11+<UN/LOCODE>:139:6+<four "
                                            "digits of the ISPS facility number>:ISPS:ZZZ before the first EQD."),
                       "missing_terminal")
        party = next((self.parties[q] for q in RELEASE_PARTIES if q in self.parties), None)
        if mandatory and "NAD" not in self.given:
            self.error(self.start, "UNH", _("The message names no release party: give NAD+FW (or NAD+CN) with the "
                                            "party's EORI number, e.g. NAD+FW+BE0123456789:EORI:ZZZ, before the "
                                            "first EQD."), "missing_party")
        if not groups:
            self.error(self.start, "UNH", _("The message releases no container: give one EQD+CN+<container number> "
                                            "group per container."), "missing_eqd")
        self.check_window(self.dates.get(VALID_FROM), self.dates.get(VALID_UNTIL))
        containers = []
        seen: dict[str, int] = {}
        for group in groups:
            container = self.group(group, mandatory)
            if container is None:
                continue
            if container.number in seen:
                self.error(container.position, "EQD", _("Container %(number)s is named twice in this message (first "
                                                        "at segment %(first)s).")
                           % {"number": container.number, "first": seen[container.number]}, "duplicate_container")
                continue
            seen[container.number] = container.position
            containers.append(container)
        if failed or len(self.reader.errors) > before:
            return None
        return ReleaseOrder(interchange=self.reader.reference, reference=self.ref, position=self.start,
                            document_number=document, function=function, terminal=self.terminal,
                            release_party=party, carrier=self.carrier, containers=tuple(containers))

    def bgm(self, position: int, bgm: Segment) -> tuple[str | None, str]:
        code = _part(bgm, 0)
        if code != DOCUMENT_CODE:
            self.error(position, "BGM", _("Document code %(code)s is not a container release order: COREOR uses "
                                          "BGM+129.") % {"code": code or "?"}, "document_code")
        document = _part(bgm, 1)
        if len(document) > 35:
            self.error(position, "BGM", _("The document number has at most 35 characters."), "too_long")
        raw = _part(bgm, 2)
        function = FUNCTIONS.get(raw)
        if function is None:
            if raw:
                reason = _("Message function %(code)s is not supported: use 9 (original), 5 (replacement) or 1 "
                           "(cancellation).") % {"code": raw}
            else:
                reason = _("BGM gives no message function: use 9 (original), 5 (replacement) or 1 (cancellation).")
            self.error(position, "BGM", reason, "message_function")
        return function, document

    # --- the header part: before the first EQD ---

    def header_segment(self, position: int, segment: Segment) -> None:
        tag, qualifier = segment.tag, _part(segment, 0, 0)
        if tag == "RFF" and qualifier == BILL_OF_LADING:
            if self.bill_of_lading is not None:
                self.duplicate(position, "RFF+BM", self.bill_of_lading[1])
            else:
                self.bill_of_lading = (self.reference_value(position, segment), position)
        elif tag == "DTM" and qualifier in (VALID_FROM, VALID_UNTIL):
            moment = self.date(position, segment)
            if moment is None:
                self.unreadable.add(qualifier)
            if qualifier in self.dates:
                self.duplicate(position, f"DTM+{qualifier}", self.dates[qualifier].position)
            elif moment is not None:
                self.dates[qualifier] = moment
        elif tag == "LOC" and qualifier == DISCHARGE:
            self.given.add("LOC")
            if self.terminal is not None:
                self.duplicate(position, "LOC+11", self.terminal.position)
            else:
                self.terminal = self.location(position, segment)
        elif tag == "NAD" and qualifier in RELEASE_PARTIES:
            self.given.add("NAD")
            if qualifier in self.parties:
                self.duplicate(position, f"NAD+{qualifier}", self.parties[qualifier].position)
            else:
                eori = self.eori(position, segment, required=True)
                if eori:
                    self.parties[qualifier] = Party(qualifier, eori, position)
        elif tag == "NAD" and qualifier == CARRIER:
            eori = self.eori(position, segment, required=False)
            if eori:
                self.carrier = Party(CARRIER, eori, position)
        elif tag == "BGM":
            self.duplicate(position, tag, self.body[0][0])

    def duplicate(self, position: int, what: str, first: int) -> None:
        self.error(position, what[:3], _("%(what)s is given twice (first at segment %(first)s).")
                   % {"what": what, "first": first}, "duplicate_segment")

    def reference_value(self, position: int, segment: Segment) -> str:
        value = " ".join(_part(segment, 0, 1).split())
        if not value:
            self.error(position, "RFF", _("RFF+BM gives no bill of lading number."), "missing_bill_of_lading")
        elif len(value) > 35:
            self.error(position, "RFF", _("A bill of lading number has at most 35 characters."), "too_long")
        return value

    def date(self, position: int, segment: Segment) -> EdiTime | None:
        qualifier, value, fmt = _part(segment, 0, 0), _part(segment, 0, 1), _part(segment, 0, 2)
        if fmt not in DATE_FORMATS:
            self.error(position, "DTM", _("Date format %(format)s is not supported: use 102 (CCYYMMDD) or 203 "
                                          "(CCYYMMDDHHMM).") % {"format": fmt or "?"}, "date_format")
            return None
        try:
            if len(value) != {"102": 8, "203": 12}[fmt] or not value.isdigit():
                raise ValueError(value)
            moment = datetime.strptime(value, DATE_FORMATS[fmt])
        except ValueError:
            self.error(position, "DTM", _("%(value)s is not a date in format %(format)s (%(pattern)s).")
                       % {"value": value or "?", "format": fmt,
                          "pattern": {"102": "CCYYMMDD", "203": "CCYYMMDDHHMM"}[fmt]}, "bad_date")
            return None
        whole_day = fmt == "102"
        shown = moment.strftime("%Y-%m-%d" if whole_day else "%Y-%m-%d %H:%M")
        if whole_day and qualifier == VALID_UNTIL:  # valid until the end of that day
            moment = datetime.combine(moment.date() + timedelta(days=1), time.min)
        return EdiTime(moment, whole_day, position, shown)

    def location(self, position: int, segment: Segment) -> Terminal | None:
        locode, code_list, agency = (_part(segment, 1, i).upper() for i in range(3))
        place, place_list = _part(segment, 2, 0).upper(), _part(segment, 2, 1).upper()
        if not LOCODE.match(locode) or code_list not in ("", "139") or agency not in ("", "6"):
            self.error(position, "LOC", _("LOC+11 gives the port as %(value)s: give its UN/LOCODE, e.g. "
                                          "LOC+11+BEANR:139:6.") % {"value": ":".join(filter(None, (locode, code_list,
                                                                                                   agency))) or "?"},
                       "location_code")
            return None
        if place_list not in ("", ISPS_LIST):
            self.error(position, "LOC", _("The terminal is given in code list %(list)s; we know terminals by their "
                                          "ISPS facility number: give its four digits, e.g. +1742:ISPS:ZZZ.")
                       % {"list": place_list}, "terminal_code")
            return None
        if ISPS_SUFFIX.match(place):
            return Terminal(locode, f"{locode}-{place}", position)
        whole = ISPS_NUMBER.match(place)
        if whole and whole.group(1) == locode:
            return Terminal(locode, place, position)
        if whole:
            reason = _("Terminal %(place)s is not in port %(locode)s.") % {"place": place, "locode": locode}
        elif place:
            reason = _("%(place)s is not an ISPS facility number: give its four digits (BEANR-1742 gives 1742).") \
                % {"place": place}
        else:
            reason = _("LOC+11 names the port but not the terminal: add the four digits of the terminal's ISPS "
                       "facility number, e.g. LOC+11+%(locode)s:139:6+1742:ISPS:ZZZ.") % {"locode": locode}
        self.error(position, "LOC", reason, "terminal_code")
        return None

    def eori(self, position: int, segment: Segment, *, required: bool) -> str:
        qualifier = _part(segment, 0)
        value = "".join(_part(segment, 1, 0).split()).upper()
        code_list = _part(segment, 1, 1).upper()
        if code_list != EORI_LIST:
            if required:
                self.error(position, "NAD", _("NAD+%(q)s identifies the party in code list %(list)s: give its EORI "
                                              "number, e.g. NAD+%(q)s+BE0123456789:EORI:ZZZ.")
                           % {"q": qualifier, "list": code_list or "—"}, "party_code")
            return ""
        if not value:
            self.error(position, "NAD", _("NAD+%(q)s gives no EORI number.") % {"q": qualifier}, "missing_eori")
            return ""
        if not EORI.match(value):
            self.error(position, "NAD", _("%(value)s is not an EORI number: a country code and up to 15 letters or "
                                          "digits, e.g. BE0123456789.") % {"value": value[:40]}, "not_eori")
            return ""
        return value

    # --- one EQD group ---

    def group(self, group: list[tuple[int, Segment]], mandatory: bool) -> ContainerRelease | None:
        position, eqd = group[0]
        self.reader.containers += 1
        if self.reader.containers == MAX_CONTAINERS + 1:
            self.error(position, "EQD", _("An interchange releases at most %(n)s containers: split it.")
                       % {"n": MAX_CONTAINERS}, "too_many_containers")
        qualifier = _part(eqd, 0)
        if qualifier != "CN":
            self.error(position, "EQD", _("Equipment qualifier %(q)s: only containers (EQD+CN) can be released.")
                       % {"q": qualifier or "?"}, "equipment_qualifier")
            return None
        try:
            number = validation.container_number(_part(eqd, 1, 0))
        except ValidationFailed as exc:
            self.error(position, "EQD", str(exc.message), "container_number")
            return None
        bill_of_lading: tuple[str, int] | None = None
        dates: dict[str, EdiTime] = {}
        unreadable = VALID_UNTIL in self.unreadable
        for at, segment in group[1:]:
            tag, q = segment.tag, _part(segment, 0, 0)
            if tag == "RFF" and q == BILL_OF_LADING:
                if bill_of_lading is not None:
                    self.duplicate(at, "RFF+BM", bill_of_lading[1])
                else:
                    bill_of_lading = (self.reference_value(at, segment), at)
            elif tag == "DTM" and q in (VALID_FROM, VALID_UNTIL):
                moment = self.date(at, segment)
                if moment is None and q == VALID_UNTIL:
                    unreadable = True
                if q in dates:
                    self.duplicate(at, f"DTM+{q}", dates[q].position)
                elif moment is not None:
                    dates[q] = moment
            elif (tag == "LOC" and q == DISCHARGE) or (tag == "NAD" and q in RELEASE_PARTIES):
                self.error(at, tag, _("%(what)s is given once per message, before the first EQD.")
                           % {"what": f"{tag}+{q}"}, "misplaced_segment")
        reference = bill_of_lading or self.bill_of_lading
        valid_from = dates.get(VALID_FROM) or self.dates.get(VALID_FROM)
        valid_until = dates.get(VALID_UNTIL) or self.dates.get(VALID_UNTIL)
        if mandatory and reference is None:
            self.error(position, "EQD", _("Container %(number)s has no bill of lading: give RFF+BM in the message "
                                          "or in its EQD group.") % {"number": number}, "missing_bill_of_lading")
        if mandatory and valid_until is None and not unreadable:
            self.error(position, "EQD", _("Container %(number)s has no end of validity: give DTM+36 in the message "
                                          "or in its EQD group.") % {"number": number}, "missing_valid_until")
        if dates:  # the message's window was checked once; a container's own dates here
            self.check_window(valid_from, valid_until)
        return ContainerRelease(number=number, position=position, bill_of_lading=reference[0] if reference else "",
                                valid_from=valid_from, valid_until=valid_until)

    def check_window(self, valid_from: EdiTime | None, valid_until: EdiTime | None) -> None:
        if valid_from is None or valid_until is None or valid_until.value > valid_from.value:
            return
        self.error(valid_until.position, "DTM", _("The end of validity (DTM+36, %(until)s) is not after its start "
                                                  "(DTM+7 at segment %(at)s, %(from)s).")
                   % {"until": valid_until.shown, "from": valid_from.shown, "at": valid_from.position},
                   "window")
