"""Base page views: rows restricted by the request's action, no way around restrict().

Pages derive from these (list, detail, create, update, delete). They declare ``model`` (and
optionally ``queryset`` for select_related); a subclass that overrides ``get_queryset`` fails
at import time. Anonymous users go to the login page; a user who holds the action on no country
gets 403; another country's row is a 404 like one that does not exist (and the attempt is logged).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.generic import CreateView, DeleteView, DetailView, ListView, UpdateView

from openai_countries.api.pagination import count_cache_key, paginator_for
from openai_countries.api.serializers import row_version
from openai_countries.api.viewsets import VERB_ACTIONS
from openai_countries.cache import LocalCopies
from openai_countries.filters import names_a_filter
from openai_countries.forms import style_fields
from openai_countries.history import create_tracked, update_tracked
from openai_countries.scoping import is_country_scoped
from partnerships.access import ACCESS_VERSION, country_ids_for

# Pages rendered around a cached fragment, split where each request puts its own values in.
SHELLS = LocalCopies(size=256)


class CachedShellMixin:
    """A page whose content is one cached fragment (a dashboard, kept rendered as UTF-8): the
    page around it (head, header, title, footer) is rendered once per process for each reader,
    path, language, day and version of the data and of access, with a NUL-delimited slot where
    the fragment goes and one where the request's CSRF token goes, and kept as UTF-8 too. A
    request then joins bytes: through the template engine, the page around the fragment cost as
    much again as the rest of a warm dashboard, and encoding 170 KB of text a quarter of that.

    ``fragments`` name the context's fragments (``bytes``, already escaped); ``shell_shows``
    the other context values the page around them shows (its title...), which are in the key.
    A request with a query string or with messages to show is rendered the usual way.
    """

    fragments: ClassVar[tuple[str, ...]] = ()
    shell_shows: ClassVar[tuple[str, ...]] = ()
    request: HttpRequest

    def render_to_response(self, context: dict[str, Any], **response_kwargs: Any) -> HttpResponse:
        from partnerships.dashboards import DATA_VERSION

        request = self.request
        if settings.DEBUG or request.GET or messages.get_messages(request) or response_kwargs:
            return self._rendered(context)
        template = self.get_template_names()[0]  # type: ignore[attr-defined]
        shown = (str(context.get(name)) for name in self.shell_shows)
        key = ":".join(
            (
                template, get_language() or "", str(ACCESS_VERSION.current()),
                str(DATA_VERSION.current()), str(request.user.pk), request.path, *shown,
            )
        )  # fmt: skip
        parts = SHELLS.local(key, lambda: self._shell(template, context))
        if parts is None:
            return self._rendered(context)
        values = {"csrf_token": get_token(request).encode(), **context}
        return HttpResponse(
            b"".join(part if index % 2 == 0 else values[part] for index, part in enumerate(parts))
        )

    def _rendered(self, context: dict[str, Any]) -> HttpResponse:
        text = {name: SafeString(context[name].decode()) for name in self.fragments}
        return super().render_to_response({**context, **text})  # type: ignore[misc]

    def _shell(self, template: str, context: dict[str, Any]) -> tuple[Any, ...] | None:
        """The page with its slots open: literal UTF-8 at even positions, slot names at odd
        ones; None if the page holds a NUL of its own (it is then rendered every time)."""
        slots = ("csrf_token", *self.fragments)
        marked = {**context, **{name: SafeString(f"\0{name}\0") for name in slots}}
        parts = render_to_string(template, marked, request=self.request).split("\0")
        if len(parts) % 2 == 0 or any(name not in slots for name in parts[1::2]):
            return None
        return tuple(part.encode() if index % 2 == 0 else part for index, part in enumerate(parts))


class ScopedViewMixin(LoginRequiredMixin):
    _scoping_base: ClassVar[bool] = True
    model: Any = None
    queryset: Any = None
    # A page whose GET already needs more than ``view`` (a sign-off form, say) names its action.
    scope_action_name: ClassVar[str | None] = None
    request: HttpRequest

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__ and not cls.__dict__.get("_scoping_base", False):
            raise ImproperlyConfigured(
                f"{cls.__module__}.{cls.__qualname__} overrides get_queryset(); declare "
                "`model` or `queryset` so that restrict() always applies."
            )

    def scope_action(self) -> str:
        return self.scope_action_name or VERB_ACTIONS.get(self.request.method or "GET", "view")

    def _model(self) -> Any:
        return self.queryset.model if self.queryset is not None else self.model

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if (
            request.user.is_authenticated
            and is_country_scoped(self._model())
            and country_ids_for(request.user, self.scope_action()) == frozenset()
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self) -> models.QuerySet[Any]:
        base = self.queryset if self.queryset is not None else self.model._default_manager
        queryset = base.all()
        if is_country_scoped(queryset.model):
            return queryset.restrict(self.request.user, self.scope_action())
        return queryset

    def get_object(self, queryset: Any = None) -> Any:
        try:
            return super().get_object(queryset)  # type: ignore[misc]
        except Http404:
            self._log_denied_attempt()
            raise

    def _log_denied_attempt(self) -> None:
        model = self._model()
        pk = getattr(self, "kwargs", {}).get("pk")
        if pk is None or not is_country_scoped(model):
            return
        try:
            exists = model._base_manager.filter(pk=pk).exists()
        except (ValueError, TypeError):
            return
        if exists:
            from partnerships.models import AccessEventKind
            from partnerships.services.audit import access_event_record

            access_event_record(
                user=self.request.user,
                kind=AccessEventKind.DENIED,
                allowed=False,
                target=f"{model._meta.label} {pk} ({self.request.method} page)",
                detail={"path": self.request.path, "action": self.scope_action()},
            )


class ScopedListView(ScopedViewMixin, ListView):
    _scoping_base = True
    paginate_by = 50


class ScopedDetailView(ScopedViewMixin, DetailView):
    _scoping_base = True


class ScopedUpdateView(ScopedViewMixin, UpdateView):
    _scoping_base = True


class ScopedDeleteView(ScopedViewMixin, DeleteView):
    _scoping_base = True


# Pages ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a list page: what it shows, how it is labelled, formatted and sorted."""

    path: str
    label: Any
    sort: str = ""
    kind: str = ""  # "", "link", "money", "day", "number", "stage", "country"


class ScopedListPage(ScopedListView):
    """A list page: the API's FilterSet, a search over ``search_fields``, sortable columns,
    pagination, and export links to the API's export of the same filtered rows."""

    _scoping_base = True
    template_name = "ui/list.html"
    filterset_class: Any = None
    search_fields: ClassVar[tuple[str, ...]] = ()
    columns: ClassVar[tuple[Column, ...]] = ()
    default_ordering: ClassVar[tuple[str, ...]] = ("-pk",)
    export_route: ClassVar[str] = ""
    create_route: ClassVar[str] = ""
    title: Any = ""
    # Filters that still apply from the URL (links from dashboards and other pages use them)
    # but are not offered as a drop-down: a choice among thousands of rows helps nobody.
    unlisted_filters: ClassVar[tuple[str, ...]] = ()
    # The columns a page's rows load (``only()``, joining the related rows named), when it
    # names them: what the columns show and what their links need. A row carries 20-odd
    # fields and a page of 50 builds each one; a field left out costs a query per row, which
    # the query-count tests would see.
    row_fields: ClassVar[tuple[str, ...]] = ()

    @cached_property
    def filterset(self) -> Any:
        """The list's FilterSet on the request's query, its form styled for the page. Built only
        when something needs it (a filter in the query, or a form not cached yet): building one
        deep-copies every filter and form field."""
        filterset = self.filterset_class(
            self.request.GET, queryset=super().get_queryset(), request=self.request
        )
        style_fields(filterset.form)
        return filterset

    def get_queryset(self) -> models.QuerySet[Any]:
        queryset = super().get_queryset()
        if names_a_filter(self.request.GET):
            queryset = self.filterset.qs if self.filterset.is_valid() else queryset.none()
        if self.row_fields:
            # Joined are the related rows those fields are of, and only they.
            related = {name.rsplit("__", 1)[0] for name in self.row_fields if "__" in name}
            queryset = queryset.select_related(None).select_related(*sorted(related))
            queryset = queryset.only(*self.row_fields)
        # As the API's SearchFilter does (same fields): every word must match one of the fields,
        # so a page and its export always hold the same rows.
        terms = self.request.GET.get("search", "").split()
        if terms and self.search_fields:
            for term in terms:
                query = models.Q()
                for field in self.search_fields:
                    query |= models.Q(**{f"{field}__icontains": term})
                queryset = queryset.filter(query)
            queryset = queryset.distinct()
        return queryset.order_by(*self._ordering(), "pk")

    def _ordering(self) -> tuple[str, ...]:
        wanted = self.request.GET.get("ordering", "")
        sortable = {c.sort for c in self.columns if c.sort}
        if wanted.lstrip("-") in sortable:
            return (wanted,)
        return self.default_ordering

    def get_paginator(
        self,
        queryset: Any,
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
        **kwargs: Any,
    ) -> Any:
        key = count_cache_key(self.request, type(self).__qualname__)
        return paginator_for(
            queryset,
            per_page,
            orphans=orphans,
            allow_empty_first_page=allow_empty_first_page,
            count_key=key,
        )

    def filter_fields_html(self) -> str:
        """The filter form's fields, rendered once per scope, language and query: Django renders
        every <option> of a drop-down through templates, which cost more than the rows."""
        from django.conf import settings
        from django.template.loader import render_to_string
        from django.utils.safestring import SafeString

        from partnerships.dashboards import RENDERED, scope_cache_key

        query = self.request.GET.copy()
        query.pop("page", None)  # the same form on every page of a list
        key = scope_cache_key(
            self.request.user, "filters", type(self).__qualname__, query.urlencode()
        )

        def render() -> str:
            for name in self.unlisted_filters:
                self.filterset.form.fields.pop(name, None)
            return render_to_string("ui/_stacked_fields.html", {"form": self.filterset.form})

        html = RENDERED.get_or_set(key, render, timeout=settings.DASHBOARD_CACHE_SECONDS)
        return SafeString(html)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        ordering = self.request.GET.get("ordering", "")
        context.update(
            title=self.title or self._model()._meta.verbose_name_plural,
            filter_fields_html=self.filter_fields_html(),
            columns=[
                {
                    "column": column,
                    "ordering": column.sort
                    and ("-" + column.sort if ordering == column.sort else column.sort),
                    "sorted": ordering.lstrip("-") == column.sort and bool(column.sort),
                    "descending": ordering.startswith("-"),
                }
                for column in self.columns
            ],
            export_query=query.urlencode(),
            export_url=reverse(self.export_route) if self.export_route else "",
            create_url=self._create_url(),
            search=self.request.GET.get("search", ""),
        )
        return context

    def _create_url(self) -> str:
        from partnerships.access import country_ids_for

        if self.create_route and country_ids_for(self.request.user, "change") != frozenset():
            return reverse(self.create_route)
        return ""


class FormPageMixin:
    """What create and edit pages share: the form gets ``user=`` (scoped choices), and a
    refused save (a guard, a constraint) comes back as form errors with the input kept."""

    request: HttpRequest
    object: Any
    title: Any = ""

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = super().get_form_kwargs()  # type: ignore[misc]
        kwargs["user"] = self.request.user
        return kwargs

    def save(self, form: Any) -> Any:
        raise NotImplementedError

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            with transaction.atomic():
                self.object = self.save(form)
        except ValidationError as error:
            add_form_errors(form, error)
            return self.form_invalid(form)  # type: ignore[attr-defined]
        messages.success(self.request, _("Saved."))
        return redirect(self.get_success_url())

    def get_success_url(self) -> str:
        return str(self.object.get_absolute_url())


def add_form_errors(
    form: Any, error: ValidationError, rename: dict[str, str] | None = None
) -> None:
    """A service's refusal as form errors: on the field it names (``rename`` maps service
    argument names to form field names), else on the whole form."""
    rename = rename or {}
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            name = rename.get(field, field)
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


class ScopedCreatePage(FormPageMixin, ScopedViewMixin, CreateView):
    """A create page; ``save`` calls the model's service with the cleaned data."""

    _scoping_base = True
    template_name = "ui/form.html"

    def scope_action(self) -> str:
        return "change"

    def save(self, form: Any) -> Any:
        return create_tracked(self._model(), by=self.request.user, **form.cleaned_data)


class ScopedEditPage(FormPageMixin, ScopedUpdateView):
    """An edit page with optimistic concurrency.

    The form carries the version of the row it was opened on. When someone else saved the row
    in between, nothing is written: the page says so and shows the stored values beside the
    ones typed, with the input kept; saving again (now on the new version) overwrites.
    """

    _scoping_base = True
    template_name = "ui/form.html"

    def scope_action(self) -> str:
        return "change"

    def get_form(self, form_class: Any = None) -> Any:
        form = super().get_form(form_class)
        form.fields["version"] = forms.CharField(widget=forms.HiddenInput, required=True)
        if self.request.method == "GET":
            form.initial["version"] = row_version(self.object)
        return form

    def save(self, form: Any) -> Any:
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        return update_tracked(self.object, by=self.request.user, **data)

    def form_valid(self, form: Any) -> HttpResponse:
        model = self._model()
        with transaction.atomic():
            current = model._base_manager.select_for_update().get(pk=self.object.pk)
            if form.cleaned_data["version"] != row_version(current):
                return self._conflict(form, current)
            return super().form_valid(form)

    def _conflict(self, form: Any, current: Any) -> HttpResponse:
        both = []
        for name, field in form.fields.items():
            if name == "version":
                continue
            stored = _field_display(field, getattr(current, name, None))
            typed = _field_display(field, form.cleaned_data.get(name))
            both.append(
                {
                    "label": str(field.label or name),
                    "stored": stored,
                    "typed": typed,
                    "differs": stored != typed,
                }
            )
        data = form.data.copy()
        data["version"] = row_version(current)
        form.data = data
        form.add_error(
            None,
            _(
                "Someone else saved this record after you opened it. Nothing was saved. "
                "Their version and yours are shown below; save again to keep yours."
            ),
        )
        return self.render_to_response(self.get_context_data(form=form, conflict=both))


def _field_display(field: Any, value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, models.Manager):
        value = list(value.all())
    if isinstance(value, models.QuerySet | list | tuple):
        return ", ".join(sorted(str(v) for v in value))
    if isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
        return str(dict(cast(Any, field.choices)).get(value, value))
    return str(value)
