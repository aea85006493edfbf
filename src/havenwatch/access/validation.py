"""Checks of identifiers the access app stores: national numbers, number plates, credentials."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_exceptions
from stdnum.be import nn

from havenwatch.core import validation as core_validation
from havenwatch.core.errors import ValidationFailed

# Belgian plates: 1-ABC-234 since 2010 (the leading digit is the series), ABC-123 before.
BE_PLATE_RE = re.compile(r"^[0-9]?[A-Z]{3}[0-9]{3}$")
GENERIC_PLATE_RE = re.compile(r"^[A-Z0-9]{2,10}$")
PLATE_SHAPES = {"BE": BE_PLATE_RE}
PLATE_SEPARATORS_RE = re.compile(r"[\s.\-·]+")
CREDENTIAL_NUMBER_RE = re.compile(r"^[A-Z0-9-]{8,40}$")


def national_number(value: str) -> str:
    """A Belgian national register number, compacted to its 11 digits; blank stays blank."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return nn.validate(value)
    except stdnum_exceptions.InvalidChecksum as exc:
        raise ValidationFailed(
            _("%(value)s is not a valid national register number: its check digits do not match "
              "(a typing error?).") % {"value": value},
            field="national_number",
        ) from exc
    except stdnum_exceptions.ValidationError as exc:
        raise ValidationFailed(
            _("%(value)s is not a valid national register number: %(reason)s.")
            % {"value": value, "reason": core_validation._stdnum_reason(exc)},
            field="national_number",
        ) from exc


def plate(value: str, country: str) -> str:
    """A number plate normalised as ``COUNTRY:CHARACTERS`` (``BE:1ABC234``).

    Upper case, without spaces, dashes or dots. Belgian plates must have the Belgian
    shape; other countries' plates 2 to 10 letters and digits.
    """
    country = core_validation.country(country)
    raw = (value or "").strip()
    characters = PLATE_SEPARATORS_RE.sub("", raw).upper()
    if characters.startswith(f"{country}:"):
        characters = characters[len(country) + 1:]
    shape = PLATE_SHAPES.get(country, GENERIC_PLATE_RE)
    if not GENERIC_PLATE_RE.match(characters) or not shape.match(characters):
        if country == "BE":
            message = _("%(plate)s is not a Belgian number plate such as 1-ABC-234 or ABC-123.")
        else:
            message = _("%(plate)s is not a number plate: 2 to 10 letters and digits.")
        raise ValidationFailed(message % {"plate": raw or "''"}, field="plate")
    return f"{country}:{characters}"


def plate_in(value: str, default_country: str) -> str:
    """A plate given as ``CC:CHARS`` (``NL:AB-123-C``) or bare, in ``default_country``
    (the port's country): the form people and the API register plates in."""
    text = (value or "").strip() if isinstance(value, str) else ""
    country, sep, rest = text.partition(":")
    if sep and len(country.strip()) == 2:
        return plate(rest, country.strip())
    return plate(text, default_country)


def credential_number(value: str) -> str:
    """A credential's number: 8 to 40 capital letters, digits and dashes."""
    raw = (value or "").strip()
    number = raw.upper()
    if not CREDENTIAL_NUMBER_RE.match(number):
        raise ValidationFailed(
            _("%(number)s is not a credential number: 8 to 40 letters, digits and dashes.")
            % {"number": raw or "''"},
            field="number",
        )
    return number
