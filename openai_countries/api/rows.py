"""List responses read as ``.values()`` rows instead of model instances.

A page of 50 commitments through DRF builds 200 model instances (the row and what
``select_related`` joins) and runs every serializer field on them: most of what the page costs.
A list's serializer still says what a row looks like; ``RowPlan`` reads that once per
serializer class and turns each of its fields into a column to select and the field's own
``to_representation`` to apply, so a list answers exactly what the serializer would (a test
holds every list endpoint to that) from plain rows.

Fields a plan can take: model fields (``source`` a concrete column, or ``a.b`` through foreign
keys), related rows by primary key or slug, many-to-many slugs or keys (one more query for the
page), the row ``version``, and values a serializer computes from its columns declared in
``row_annotations`` (e.g. a risk's score). A serializer with anything else (a method field, a
nested serializer) keeps DRF's own path: ``RowPlan.for_serializer`` answers ``None``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, partial
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import connections, models, router
from django.utils import timezone
from rest_framework import ISO_8601, relations, serializers
from rest_framework import fields as drf_fields
from rest_framework.settings import api_settings


@dataclass(frozen=True)
class _Column:
    """One output field: the value under ``path`` in the row, shown by ``show``; a column of
    aware datetimes shown as ISO 8601 also gets the reader's timezone (``show(value, zone)``)."""

    name: str
    path: str
    show: Callable[..., Any]
    zoned: bool = False


@dataclass(frozen=True)
class _ManyColumn:
    """A many-to-many (or reverse foreign key) field: one (row id, value) query for the page."""

    name: str
    relation: str  # the model's field name of the relation
    value: str  # what of each related row is shown ("code", "pk")
    show: Callable[[Any], Any]


def _identity(value: Any) -> Any:
    return value


def _version(row: dict[str, Any]) -> str:
    # As row_version() shows a model instance.
    return f"{row['pk']}-{row['updated_at'].timestamp():.6f}"


class RowPlan:
    """How to read a list of ``model`` rows for one serializer class."""

    def __init__(
        self,
        columns: list[_Column],
        many: list[_ManyColumn],
        annotations: dict[str, Any],
        order: list[str],
        with_version: bool,
    ) -> None:
        self.columns = columns
        self.many = many
        self.annotations = annotations
        self.order = order  # output field order, as the serializer gives it
        self.with_version = with_version

    @staticmethod
    def for_serializer(serializer_class: Any) -> RowPlan | None:
        """The plan of a serializer class (worked out once), or None when it has a field no
        row can show."""
        return _plan(serializer_class)

    def paths(self) -> list[str]:
        wanted = {"pk"} | {column.path for column in self.columns}
        if self.with_version:
            wanted.add("updated_at")
        return sorted(wanted - set(self.annotations))

    def rows(self, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
        """``queryset`` (filtered, ordered) as the dicts this plan reads."""
        annotations = {name: make() for name, make in self.annotations.items()}
        return queryset.annotate(**annotations).values(*self.paths(), *annotations)

    def represent(self, rows: Iterable[dict[str, Any]], model: type[models.Model]) -> list[Any]:
        rows = list(rows)
        related = self._many_values(rows, model)
        zone = timezone.get_current_timezone()  # once a page, not twice a row
        columns = [
            (
                column.name,
                column.path,
                partial(column.show, zone=zone) if column.zoned else column.show,
            )
            for column in self.columns
        ]
        data = []
        for row in rows:
            shown: dict[str, Any] = {}
            for name, path, show in columns:
                value = row[path]
                shown[name] = None if value is None else show(value)
            for many in self.many:
                shown[many.name] = [many.show(value) for value in related[many.name][row["pk"]]]
            if self.with_version:
                shown["version"] = _version(row)
            data.append({name: shown[name] for name in self.order})
        return data

    def _many_values(
        self, rows: list[dict[str, Any]], model: type[models.Model]
    ) -> dict[str, dict[Any, list[Any]]]:
        ids = [row["pk"] for row in rows]
        return {many.name: _related_values(model, many, ids) for many in self.many}


def related_values(
    model: type[models.Model], relation: str, value: str, ids: list[Any]
) -> dict[Any, list[Any]]:
    """For each of the rows ``ids`` of ``model``, the ``value`` of each row its many-to-many
    (or reverse foreign key) ``relation`` holds, in the related model's order: one query, whose
    SQL is compiled once per number of rows. Cheaper than ``prefetch_related``, which builds a
    model instance of each related row and a queryset of each row's."""
    return _related_values(model, _ManyColumn(relation, relation, value, _identity), ids)


def _related_values(
    model: type[models.Model], many: _ManyColumn, ids: list[Any]
) -> dict[Any, list[Any]]:
    per_row: dict[Any, list[Any]] = {pk: [] for pk in ids}
    for pk, value in _related_pairs_of(model, many, ids):
        per_row[pk].append(value)
    return per_row


def _related_pairs_of(model: type[models.Model], many: _ManyColumn, ids: list[Any]) -> Any:
    """``_related_pairs``, run from its SQL compiled once per number of rows: building and
    compiling that query for each page took about a tenth of the CPU time of a page of 50
    partnerships (0.9 ms of 8.4, the two ways measured in turn in one process)."""
    alias = router.db_for_read(model)
    sql = _related_pairs_sql(model, many, alias, len(ids)) if ids else None
    if sql is None:
        return _related_pairs(model, many, ids)
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, ids)
        return cursor.fetchall()


@cache
def _related_pairs_sql(
    model: type[models.Model], many: _ManyColumn, alias: str, count: int
) -> str | None:
    """The SQL of ``_related_pairs`` for ``count`` rows, whose parameters are their keys in
    order; None when it has other parameters or a value the database gives needs converting
    (then each page builds the query)."""
    keys = list(range(1, count + 1))
    compiler = _related_pairs(model, many, keys).query.get_compiler(alias)
    sql, params = compiler.as_sql()
    if list(params) != keys or compiler.get_converters([column for column, *_ in compiler.select]):
        return None
    return str(sql)


def _related_pairs(model: type[models.Model], many: _ManyColumn, ids: list[Any]) -> Any:
    """(row id, value) of each related row of the rows ``ids``, in the related model's order.

    A many-to-many field is read from its through table alone: joining the listed model back
    to it only to find its keys cost a fifth of the query."""
    field: Any = model._meta.get_field(many.relation)
    target: Any = field.related_model
    if isinstance(field, models.ManyToManyField):
        through: Any = field.remote_field.through
        key, relation = f"{field.m2m_field_name()}_id", field.m2m_reverse_field_name()
        found = through._default_manager.filter(**{f"{key}__in": ids})
    else:
        key, relation = "pk", many.relation
        found = model._default_manager.filter(pk__in=ids, **{f"{relation}__isnull": False})
    ordering = [_related_order(relation, str(term)) for term in target._meta.ordering or ["pk"]]
    return found.order_by(key, *ordering).values_list(key, f"{relation}__{many.value}")


def _related_order(relation: str, term: str) -> str:
    """``term`` of the related model's ordering, seen from the relation ("-name" stays last)."""
    descending = term.startswith("-")
    return f"{'-' if descending else ''}{relation}__{term.lstrip('-')}"


@cache
def _plan(serializer_class: Any) -> RowPlan | None:
    serializer = serializer_class()
    model = serializer.Meta.model
    declared: dict[str, Callable[[], Any]] = getattr(serializer_class, "row_annotations", {})
    columns: list[_Column] = []
    many: list[_ManyColumn] = []
    order: list[str] = []
    with_version = False
    for name, field in serializer.fields.items():
        if field.write_only:
            continue
        order.append(name)
        if name == "version":
            with_version = True
        elif name in declared:
            columns.append(_shown_by(field, name, name))
        elif isinstance(field, relations.ManyRelatedField):
            column = _many_column(model, name, field)
            if column is None:
                return None
            many.append(column)
        else:
            single = _column(model, name, field)
            if single is None:
                return None
            columns.append(single)
    annotations = {name: make for name, make in declared.items() if name in order}
    return RowPlan(columns, many, annotations, order, with_version)


def _shown_by(field: drf_fields.Field, name: str, path: str) -> _Column:
    iso = str(getattr(field, "format", api_settings.DATETIME_FORMAT)).lower() == ISO_8601
    if type(field) is drf_fields.DateTimeField and iso and not hasattr(field, "timezone"):
        return _Column(name, path, partial(_iso_datetime, field), zoned=True)
    return _Column(name, path, field.to_representation)


def _iso_datetime(field: drf_fields.DateTimeField, value: Any, *, zone: Any) -> Any:
    """What DRF's DateTimeField shows for an aware datetime in the reader's timezone ``zone``,
    without its per-value lookups: two of them on every row of most lists."""
    if value.tzinfo is None or not settings.USE_TZ:
        return field.to_representation(value)
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _model_path(model: type[models.Model], source: str) -> tuple[str, Any] | None:
    """The ``values()`` path of ``source`` ("a.b" through foreign keys) and its model field."""
    current: Any = model
    parts = source.split(".")
    for index, part in enumerate(parts):
        try:
            model_field = current._meta.get_field(part)
        except (FieldDoesNotExist, AttributeError):
            return None
        last = index == len(parts) - 1
        if last:
            if not getattr(model_field, "concrete", False) or model_field.many_to_many:
                return None
            return "__".join(parts), model_field
        if not (model_field.many_to_one or model_field.one_to_one):
            return None
        current = model_field.related_model
    return None


def _column(model: type[models.Model], name: str, field: drf_fields.Field) -> _Column | None:
    source = field.source
    if not isinstance(source, str):
        return None
    computed = isinstance(field, serializers.SerializerMethodField | serializers.Serializer)
    if source == "*" or computed:
        return None
    found = _model_path(model, source)
    if found is None:
        return None
    path, model_field = found
    if isinstance(field, relations.SlugRelatedField):
        if not model_field.is_relation:
            return None
        slug_path = f"{path}__{field.slug_field}"
        return _Column(name, slug_path, _shown_as_slug(field))
    if isinstance(field, relations.PrimaryKeyRelatedField):
        if not model_field.is_relation:
            return None
        # The key's own column (site_id): a values() name "site" would shadow the relation in
        # the list's ordering ("site" sorts by the site's own ordering, not by its key).
        return _Column(name, model_field.attname if path == source else path, _identity)
    if isinstance(field, relations.RelatedField) or model_field.is_relation:
        return None  # a related row shown some other way
    return _shown_by(field, name, path)


def _shown_as_slug(field: relations.SlugRelatedField) -> Callable[[Any], Any]:
    # A slug field that formats its related row itself (CountryCodeField: str(code)) shows the
    # slug the same way; a plain one shows it as it is.
    overrides = type(field).to_representation is not relations.SlugRelatedField.to_representation
    return str if overrides else _identity


def _many_column(
    model: type[models.Model], name: str, field: relations.ManyRelatedField
) -> _ManyColumn | None:
    source = field.source
    if not isinstance(source, str) or "." in source:
        return None
    try:
        model_field = model._meta.get_field(source)
    except FieldDoesNotExist:
        return None
    if not (model_field.many_to_many or model_field.one_to_many):
        return None
    child = field.child_relation
    if isinstance(child, relations.SlugRelatedField):
        return _ManyColumn(name, source, child.slug_field, _shown_as_slug(child))
    if isinstance(child, relations.PrimaryKeyRelatedField):
        return _ManyColumn(name, source, "pk", _identity)
    return None
