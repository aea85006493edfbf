"""Inserting many rows fast: what ``bulk_create`` does, without its per-value compilation.

``bulk_create`` compiles every value of every row through the field's ``get_db_prep_save``
and builds one SQL text per batch: at a million values that is most of a bulk import's
time. :func:`insert_many` builds one ``INSERT`` per model and hands the driver the rows
with ``executemany``; only values that need adapting (dates and times, JSON, decimals,
UUIDs) go through their field. The rows written are the same; primary keys are not set
on the objects (read them back by a unique key when they are needed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models.base import ModelState

PLAIN = (models.CharField, models.TextField, models.IntegerField, models.BigIntegerField,
         models.PositiveIntegerField, models.PositiveSmallIntegerField, models.SmallIntegerField,
         models.BooleanField, models.ForeignKey, models.OneToOneField)


def _column_values(model: type[models.Model]) -> tuple[list[models.Field], list[Callable[[Any], Any]]]:
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and f.auto_created)
              and not isinstance(f, models.AutoField)]
    real = connections[DEFAULT_DB_ALIAS]  # not the proxy: it is asked once per value
    adapters: list[Callable[[Any], Any]] = []
    for field in fields:
        if isinstance(field, PLAIN):
            adapters.append(_same)
        elif isinstance(field, models.DateTimeField):
            adapters.append(_remembering(lambda value, field=field: field.get_db_prep_save(value, real)))
        else:
            adapters.append(lambda value, field=field: field.get_db_prep_save(value, real))
    return fields, adapters


def _same(value):
    return value


def _remembering(adapt: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A batch's times are mostly one instant ("now"): adapt each distinct one once."""
    seen: dict[Any, Any] = {}

    def adapted(value):
        try:
            return seen[value]
        except KeyError:
            if len(seen) > 10_000:
                seen.clear()
            seen[value] = result = adapt(value)
            return result
        except TypeError:  # unhashable: adapt as is
            return adapt(value)

    return adapted


_DEFAULTS: dict[type[models.Model], tuple[dict[str, Any], list[tuple[str, Callable[[], Any]]]]] = {}


def new(model: type[models.Model], **values: Any) -> models.Model:
    """An unsaved instance from attribute names (``organisation_id``, not ``organisation``),
    built without ``Model.__init__``'s per-keyword work: a bulk act builds a hundred
    thousand. Fields not given take their default, as with the constructor."""
    if model not in _DEFAULTS:
        fixed, called = {}, []
        for field in model._meta.concrete_fields:
            if field.has_default() and callable(field.default):
                called.append((field.attname, field.default))
            else:
                fixed[field.attname] = field.get_default()
        _DEFAULTS[model] = fixed, called
    fixed, called = _DEFAULTS[model]
    unknown = set(values) - set(fixed) - {name for name, _default in called}
    if unknown:  # the constructor would refuse them too: a misspelt field must not vanish
        raise TypeError(f"{model.__name__} has no field(s) {sorted(unknown)}")
    obj = model.__new__(model)
    obj._state = ModelState()
    obj.__dict__.update(fixed)
    for name, default in called:
        obj.__dict__[name] = default()
    obj.__dict__.update(values)
    return obj


def insert_many(model: type[models.Model], objs: Sequence[models.Model], *, batch_size: int = 5000,
                on_conflict_ignore: bool = False) -> None:
    """INSERT ``objs`` (unsaved instances of ``model``) in the caller's transaction.
    ``on_conflict_ignore``: a row that would break a unique constraint is skipped, not an
    error (``ON CONFLICT DO NOTHING``, in SQLite and PostgreSQL alike): idempotent ingestion
    where two senders may race with the same row."""
    if not objs:
        return
    fields, adapters = _column_values(model)
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields), ", ".join(["%s"] * len(fields)))
    if on_conflict_ignore:
        sql += " ON CONFLICT DO NOTHING"
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for obj in objs:
                field.pre_save(obj, add=True)
    attnames = [f.attname for f in fields]
    with connection.cursor() as cursor:
        for start in range(0, len(objs), batch_size):
            cursor.executemany(sql, [
                tuple(adapt(getattr(obj, name)) for name, adapt in zip(attnames, adapters, strict=True))
                for obj in objs[start:start + batch_size]
            ])


def insert_keyed(model: type[models.Model], objs: Sequence[models.Model], *, key: str, scope=None,
                 chunk: int = 2000) -> None:
    """:func:`insert_many`, then set each object's primary key, read back by ``key``, a
    field unique among the rows ``scope`` (a ``Q``, optional) selects: a sequence number, a
    container number, the container of a live release. One object is saved the ORM's way."""
    if len(objs) == 1:
        objs[0].save(force_insert=True)
        return
    insert_many(model, objs)
    attname = model._meta.get_field(key).attname
    values = [getattr(obj, attname) for obj in objs]
    ids: dict = {}
    for start in range(0, len(values), chunk):
        rows = model.objects.filter(**{f"{attname}__in": values[start:start + chunk]})
        if scope is not None:
            rows = rows.filter(scope)
        ids.update(rows.values_list(attname, "pk"))
    for obj, value in zip(objs, values, strict=True):
        obj.pk = ids[value]
