from __future__ import annotations

from datetime import UTC, datetime

from django.http import Http404
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

from havenwatch.core.errors import PermissionRefused, ValidationFailed


class Page(LimitOffsetPagination):
    """``?limit=&offset=`` on every list, 50 by default, 500 at most; answers ``{items, count}``."""

    MAX_LIMIT = 500

    class Input(Schema):
        limit: int = Field(50, ge=1, le=500)
        # Bounded: a huge offset overflows the database's integers (a 500, not an empty page).
        offset: int = Field(0, ge=0, le=2**31 - 1)

    def __init__(self, **kwargs) -> None:
        # LimitOffsetPagination.__init__ sets max_limit on the instance (default: no limit),
        # which hid a class attribute: pass it.
        kwargs.setdefault("max_limit", self.MAX_LIMIT)
        super().__init__(**kwargs)


def get_visible(queryset, pk: int, what: str):
    """The row if the principal may see it; otherwise 404, whether it exists or not."""
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise Http404(f"No {what} with id {pk} is visible to you.")
    return obj


def principal_of(request):
    principal = getattr(request, "auth", None) or getattr(request, "principal", None)
    if principal is None or not principal.is_authenticated:
        raise PermissionRefused("Not signed in.")
    return principal


def need(principal, action: str) -> None:
    if not principal.has_perm(action):
        from havenwatch.core.permissions import all_permissions

        info = all_permissions().get(action)
        raise PermissionRefused(f"Your role or token does not allow this ({info.label if info else action}).")


def as_utc(value: datetime | None, field: str) -> datetime | None:
    """A client's date-time in UTC (a time without an offset is taken as UTC).

    PostgreSQL refuses offsets beyond ±15:59 that ISO 8601 allows (``+17:08``): converted
    first, they never reach it; a time that leaves the calendar when converted is a 422.
    """
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValidationFailed(f"{field}: the date-time is out of range.", field=field) from exc


class ReasonOut(Schema):
    code: str
    label: str


def labelled_reasons(codes: list[str], choices) -> list[dict]:
    """A gate's reason codes with their labels (from ``choices``, a TextChoices) in the
    request's language; an unknown code is its own label."""
    out = []
    for code in codes or []:
        try:
            label = str(choices(code).label)
        except ValueError:
            label = code
        out.append({"code": code, "label": label})
    return out


def json_body_doc(schema) -> dict:
    """``openapi_extra`` for an endpoint that reads its JSON body itself (``read_gate_body``):
    the schema still documents the body it expects."""
    return {"requestBody": {"required": True,
                            "content": {"application/json": {"schema": schema.model_json_schema()}}}}


def read_gate_body(request, schema, *, id_field: str, on_malformed) -> object:
    """The JSON body of a gate's request, validated against ``schema``.

    A gate's refusals are evidence: when the body cannot be validated but names, in
    ``id_field``, an id that ``on_malformed(id)`` accepts (it stores the attempt and
    returns True, or returns False for an id the caller may not use), the attempt is
    stored before the 422. A body that is not JSON is a 422 with nothing stored.
    """
    import json

    import pydantic
    from ninja.errors import ValidationError

    try:
        raw = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ValidationError([{"loc": ["body"], "msg": "the body is not JSON"}]) from None
    try:
        return schema.model_validate(raw)
    except pydantic.ValidationError as exc:
        value = raw.get(id_field) if isinstance(raw, dict) else None
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31:
            on_malformed(value)
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "invalid")} for e in exc.errors()]
        raise ValidationError(errors) from None
