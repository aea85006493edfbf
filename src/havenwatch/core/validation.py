"""Checks of identifiers the core stores, with python-stdnum where a standard exists."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_exceptions
from stdnum.eu import vat

from havenwatch.core.errors import ValidationFailed

UNLOCODE_RE = re.compile(r"^[A-Z]{2}[A-Z2-9]{3}$")
EORI_RE = re.compile(r"^[A-Z]{2}[A-Z0-9]{1,15}$")
ISPS_RE = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}-\d{4}$")
COUNTRY_RE = re.compile(r"^[A-Z]{2}$")


def country(value: str) -> str:
    value = (value or "").strip().upper()
    if not COUNTRY_RE.match(value):
        raise ValidationFailed(_("Country must be a two-letter ISO 3166 code such as BE."), field="country")
    return value


def _stdnum_reason(exc: stdnum_exceptions.ValidationError) -> str:
    """python-stdnum's reasons in the reader's language."""
    if isinstance(exc, stdnum_exceptions.InvalidChecksum):
        return _("its check digits do not match")
    if isinstance(exc, stdnum_exceptions.InvalidLength):
        return _("it has the wrong number of characters")
    if isinstance(exc, stdnum_exceptions.InvalidComponent):
        return _("its country code or a part of it is not valid")
    return _("it is not written the way this number is written")


def vat_number(value: str, *, country_code: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        compact = vat.validate(value if value[:2].isalpha() else country_code + value)
    except stdnum_exceptions.ValidationError as exc:
        raise ValidationFailed(
            _("%(value)s is not a valid VAT number: %(reason)s.") % {"value": value, "reason": _stdnum_reason(exc)},
            field="vat_number",
        ) from exc
    return compact


def eori_number(value: str) -> str:
    """EORI: two-letter country code and up to 15 characters. A Belgian EORI is the
    Belgian VAT number, so its check digits are checked too (python-stdnum has no
    EORI module; other countries build theirs in ways that carry no check digit)."""
    value = (value or "").replace(" ", "").upper()
    if not value:
        return ""
    if not EORI_RE.match(value):
        raise ValidationFailed(
            _("%(value)s is not an EORI number: two letters of a country and up to 15 letters or digits.")
            % {"value": value},
            field="eori_number",
        )
    if value[:2] == "BE":
        try:
            vat.validate(value)
        except stdnum_exceptions.ValidationError as exc:
            raise ValidationFailed(
                _("%(value)s is not a valid EORI number: its VAT part fails the check.") % {"value": value},
                field="eori_number",
            ) from exc
    return value


def unlocode(value: str) -> str:
    value = (value or "").replace(" ", "").upper()
    if not UNLOCODE_RE.match(value):
        raise ValidationFailed(
            _("%(value)s is not a UN/LOCODE: two letters of a country and three of a place, e.g. BEANR.")
            % {"value": value},
            field="unlocode",
        )
    return value


def isps_number(value: str) -> str:
    value = (value or "").strip().upper()
    if not ISPS_RE.match(value):
        raise ValidationFailed(
            _("%(value)s is not an ISPS port facility number such as BEANR-0001.") % {"value": value},
            field="isps_number",
        )
    return value


def time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed(_("%(value)s is not a known time zone.") % {"value": value}, field="time_zone") from exc
    return value


def geojson(value, *, field: str):
    """A GeoJSON Polygon, MultiPolygon, LineString or Feature(Collection) with numeric coordinates."""
    if value in (None, "", {}):
        return None
    if not isinstance(value, dict) or "type" not in value:
        raise ValidationFailed(_("The shape must be a GeoJSON object with a type."), field=field)
    kind = value["type"]
    if kind == "FeatureCollection":
        for feature in value.get("features") or []:
            geojson(feature, field=field)
        return value
    if kind == "Feature":
        geojson(value.get("geometry"), field=field)
        return value
    if kind not in {"Polygon", "MultiPolygon", "LineString", "Point", "MultiLineString"}:
        raise ValidationFailed(_("Unsupported GeoJSON type %(kind)s.") % {"kind": kind}, field=field)

    def walk(coords, depth=0):
        if depth > 4:
            raise ValidationFailed(_("The shape's coordinates nest too deep."), field=field)
        if isinstance(coords, list) and coords and all(isinstance(c, int | float) for c in coords):
            if len(coords) < 2 or not (-180 <= coords[0] <= 180 and -90 <= coords[1] <= 90):
                raise ValidationFailed(_("A coordinate is out of range (longitude, latitude)."), field=field)
            return
        if not isinstance(coords, list) or not coords:
            raise ValidationFailed(_("The shape has empty or malformed coordinates."), field=field)
        for item in coords:
            walk(item, depth + 1)

    walk(value.get("coordinates"))
    return value


def text(value, *, field: str, max_length: int, required: str | None = None, multiline: bool = False) -> str:
    """Text as stored: whitespace collapsed (a multi-line text keeps its lines, with at most
    one blank line between paragraphs), bounded. ``required``: the message when empty."""
    if not isinstance(value, str):
        value = ""
    if multiline:
        lines = [" ".join(line.split()) for line in value.replace("\r\n", "\n").split("\n")]
        value = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    else:
        value = " ".join(value.split())
    if required and not value:
        raise ValidationFailed(required, field=field)
    if len(value) > max_length:
        raise ValidationFailed(_("At most %(n)s characters.") % {"n": max_length}, field=field)
    return value
