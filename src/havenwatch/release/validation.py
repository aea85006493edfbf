"""Checks of release input. A container number is ISO 6346, check digit included (python-stdnum)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from stdnum import iso6346
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

from havenwatch.core.errors import ValidationFailed


def container_number(value, *, field: str = "container") -> str:
    """``CSQU 305438 3`` → ``CSQU3054383``; a clear refusal that says what is wrong."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed(_("Give the container number (ISO 6346, e.g. CSQU3054383)."), field=field)
    compact = iso6346.compact(value)
    try:
        return iso6346.validate(compact)
    except InvalidChecksum:
        raise ValidationFailed(
            _("%(number)s has a wrong check digit: the last digit should be %(digit)s.")
            % {"number": compact, "digit": iso6346.calc_check_digit(compact[:10])},
            field=field,
        ) from None
    except (InvalidLength, InvalidFormat, InvalidComponent):
        raise ValidationFailed(
            _("%(number)s is not a container number: four letters (the last one U, J or Z), six digits and "
              "a check digit, e.g. CSQU3054383.") % {"number": compact[:20]},
            field=field,
        ) from None


def reason(value, message: str) -> str:
    """A reason someone must give (a block, a hold, a refusal): ``message`` when it is empty."""
    value = " ".join((value or "").split()) if isinstance(value, str) else ""
    if not value:
        raise ValidationFailed(message, field="reason")
    if len(value) > 300:
        raise ValidationFailed(_("The reason is at most 300 characters."), field="reason")
    return value
