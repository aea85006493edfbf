"""The questions a reporter is asked. "What happened" is always asked; a channel chooses
which of the others it asks. Every answer is optional but that one, and all of them are
stored only sealed to the report."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from havenwatch.core import validation
from havenwatch.core.errors import ServiceError, ValidationFailed


@dataclass(frozen=True)
class Question:
    code: str
    label: object
    help: object = ""
    max_length: int = 2000
    multiline: bool = True
    choices: tuple[tuple[str, object], ...] = ()


WHAT = Question("what", _("What did you see or hear?"),
                _("Describe what happened, as precisely as you can. Do not write your own name."), max_length=10000)
QUESTIONS: tuple[Question, ...] = (
    Question("where", _("Where did it happen?"),
             _("A terminal, a quay, a street, a gate number."),
             max_length=500, multiline=False),
    Question("when", _("When did it happen?"), _("For example: yesterday around 22:00, or every Tuesday night."),
             max_length=200, multiline=False),
    Question("ongoing", _("Is it still going on?"), choices=(
        ("yes", _("Yes")), ("no", _("No")), ("unknown", _("I do not know")))),
    Question("people", _("Which people were involved?"),
             _("Names, descriptions, what they wore, the company they work for.")),
    Question("vehicles", _("Which vehicles were involved?"), _("Number plates, make, colour, company names.")),
    Question("vessels", _("Which vessels were involved?"), _("A ship's name, IMO number or berth.")),
    Question("containers", _("Which containers were involved?"),
             _("Container numbers such as MSKU 123456 7, seal numbers.")),
    Question("relation", _("How do you know about this?"),
             _("Only if you want to say: it helps us weigh the report."), choices=(
                 ("work", _("I work in the port")), ("visit", _("I was visiting the port")),
                 ("live", _("I live or pass nearby")), ("heard", _("I heard it from someone")),
                 ("other", _("Other")))),
)
BY_CODE = {question.code: question for question in (WHAT, *QUESTIONS)}
OPTIONAL_CODES = tuple(question.code for question in QUESTIONS)
ATTACHMENTS = "attachments"
DEFAULT_QUESTIONS = [*OPTIONAL_CODES, ATTACHMENTS]
CHOOSABLE = (*OPTIONAL_CODES, ATTACHMENTS)


def asked(channel_questions: list[str]) -> list[Question]:
    """The questions a channel asks, in the catalogue's order: "what" first."""
    wanted = set(channel_questions)
    return [WHAT, *(question for question in QUESTIONS if question.code in wanted)]


def clean_point(value) -> list[float] | None:
    """An optional place picked on the map: ``[lat, lon]`` within the world."""
    if value in (None, "", []):
        return None
    try:
        if isinstance(value, str):
            lat_text, lon_text = value.split(",")
            lat, lon = float(lat_text), float(lon_text)
        else:
            lat, lon = (float(part) for part in value)
    except (TypeError, ValueError):
        raise ValidationFailed(_("The place on the map is not a latitude and longitude."), field="point") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValidationFailed(_("The place on the map is not a latitude and longitude."), field="point")
    return [round(lat, 6), round(lon, 6)]


def clean_answers(channel_questions: list[str], answers: dict) -> dict:
    """The answers to the channel's questions, cleaned; every problem listed by field."""
    cleaned: dict = {}
    errors: list[dict] = []
    for question in asked(channel_questions):
        raw = answers.get(question.code)
        try:
            if question.choices:
                value = str(raw or "")
                if value and value not in dict(question.choices):
                    raise ValidationFailed(_("Choose one of the answers offered."), field=question.code)
            else:
                value = validation.text(raw, field=question.code, max_length=question.max_length,
                                        required=_("Describe what happened.") if question is WHAT else None,
                                        multiline=question.multiline)
        except ServiceError as exc:
            errors.append({"field": question.code, "message": str(exc.message), "code": exc.code})
            continue
        if value:
            cleaned[question.code] = value
    if "where" in channel_questions:
        try:
            point = clean_point(answers.get("point"))
        except ServiceError as exc:
            errors.append({"field": "point", "message": str(exc.message), "code": exc.code})
        else:
            if point:
                cleaned["point"] = point
    if errors:
        first = errors[0]
        raise ValidationFailed(first["message"], field=first["field"], errors=errors)
    return cleaned


def labelled(answers: dict) -> list[tuple[str, object, str]]:
    """The answers as (code, question, shown value) in the catalogue's order, for reading."""
    out = []
    for code, question in BY_CODE.items():
        value = answers.get(code)
        if not value:
            continue
        shown = str(dict(question.choices).get(value, value)) if question.choices else value
        out.append((code, question.label, shown))
    return out
