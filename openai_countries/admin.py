"""Admin building blocks shared by the domain apps.

The admin is one more way in, so it follows the same rules as the views (DESIGN.md, 2-3): rows are
limited with ``restrict()``, choice fields offer only what the user may change, lifecycle fields are
read-only (they move through services), and writes that have a service go through it. History
(django-simple-history) can be read from every model but never reverted from the admin: a revert
would write old lifecycle values back without passing the guards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from openai_countries.scoping import is_country_scoped

if TYPE_CHECKING:
    from django.contrib.admin.options import BaseModelAdmin
    from django_stubs_ext import StrOrPromise

    _HistoryModelAdmin = admin.ModelAdmin
    _AdminMixinBase = BaseModelAdmin
    _ModelAdminMixinBase = admin.ModelAdmin
else:
    _HistoryModelAdmin = SimpleHistoryAdmin
    _AdminMixinBase = object
    _ModelAdminMixinBase = object


def add_validation_error(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a model or service ``ValidationError`` on ``form``; fields it lacks go to the top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def error_text(error: ValidationError) -> str:
    return " ".join(str(message) for message in error.messages)


class _DryRun(Exception):
    pass


def dry_run(call: Callable[[], object]) -> ValidationError | None:
    """Run a service and roll back whatever it wrote; return its refusal, if it refused.

    Lets a form show a service's ``ValidationError`` next to the input, before the real call.
    """
    try:
        with transaction.atomic():
            call()
            raise _DryRun
    except _DryRun:
        return None
    except ValidationError as error:
        return error


def adopt_saved(obj: models.Model, saved: models.Model) -> None:
    """Make the admin's unsaved ``obj`` the row a service saved, so inlines and logs use it."""
    obj.pk = saved.pk
    obj._state.adding = False
    obj._state.db = saved._state.db
    obj.refresh_from_db()


class AdminModelForm(forms.ModelForm):
    """Admin form that checks every model constraint, not only those on the form's own fields.

    Django skips a constraint when it mentions a field the form leaves out (a read-only lifecycle
    field, say). The instance holds the value that will be saved for those fields, so checking the
    whole constraint set here turns what would be a database error or a failing service into a
    form error.
    """

    request: HttpRequest | None = None

    def validate_unique(self) -> None:
        super().validate_unique()
        if self.errors:
            return
        try:
            self.instance.validate_constraints()
        except ValidationError as error:
            add_validation_error(self, error)


class ScopedQuerysetMixin(_AdminMixinBase):
    """Rows limited to the user's countries; foreign-key choices to what the user may change."""

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        queryset = super().get_queryset(request)
        if is_country_scoped(queryset.model):
            return cast(Any, queryset).restrict(request.user, "view")
        return queryset

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField[Any] | None:
        related: Any = db_field.related_model
        if "queryset" not in kwargs:
            if is_country_scoped(related):
                kwargs["queryset"] = related._default_manager.restrict(request.user, "change")
            elif related._meta.label == "partnerships.Country" and is_country_scoped(self.model):
                from partnerships.access import country_ids_for

                ids = country_ids_for(request.user, "change")
                if ids is not None:
                    kwargs["queryset"] = related._default_manager.filter(pk__in=ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def within_scope(request: HttpRequest, obj: models.Model | None, action: str) -> bool:
    """True when ``obj`` is not country-scoped or is in a country where the user may ``action``."""
    if obj is None or not is_country_scoped(type(obj)):
        return True
    from partnerships.access import country_ids_for

    if country_ids_for(request.user, action) is None:
        return True
    manager: Any = type(obj)._default_manager
    return bool(manager.restrict(request.user, action).filter(pk=obj.pk).exists())


class ScopedPermissionsMixin(_ModelAdminMixinBase):
    """Object-level change and delete need the ``change`` action on the row's country."""

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and within_scope(request, obj, "change")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and within_scope(request, obj, "change")

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet[Any]) -> None:
        # Bulk deletion starts from the rows the user may see; it removes only those it may change.
        if is_country_scoped(queryset.model):
            queryset = cast(Any, queryset).restrict(request.user, "change")
        super().delete_queryset(request, queryset)


class ServiceActionsMixin(_ModelAdminMixinBase):
    def run_service(
        self,
        request: HttpRequest,
        queryset: Iterable[models.Model],
        call: Callable[[Any], object],
        *,
        done: StrOrPromise,
    ) -> None:
        """Call a service on each selected row; report each refusal by name, then the successes.

        ``done`` is a sentence with ``%(objects)s`` for the names of the rows that went through.
        """
        succeeded: list[str] = []
        for obj in queryset:
            if not within_scope(request, obj, "change"):
                self.message_user(
                    request,
                    _("%(object)s: you may not change this country's records.") % {"object": obj},
                    level=messages.ERROR,
                )
                continue
            try:
                call(obj)
            except ValidationError as error:
                self.message_user(
                    request,
                    _("%(object)s: %(error)s") % {"object": obj, "error": error_text(error)},
                    level=messages.ERROR,
                )
            else:
                succeeded.append(str(obj))
        if succeeded:
            self.message_user(
                request, done % {"objects": ", ".join(succeeded)}, level=messages.SUCCESS
            )


class FormRequestMixin(_ModelAdminMixinBase):
    """Hands the request to the admin form, for forms that validate through a service."""

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm[Any]]:
        form = super().get_form(request, obj, change, **kwargs)
        # modelform_factory builds a new class on every call, so this does not leak across requests.
        cast(Any, form).request = request
        return form

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # A service may still refuse at save time (something changed between validation and
        # saving); its transaction has rolled back, so say why instead of failing with a 500.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            self.message_user(request, error_text(error), level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class DomainAdmin(
    ScopedQuerysetMixin,
    ScopedPermissionsMixin,
    ServiceActionsMixin,
    FormRequestMixin,
    _HistoryModelAdmin,
):
    """Base admin of every model with a change history."""

    form = AdminModelForm

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """Lifecycle fields are never edited here; owning fields only when the row is new."""
        readonly = [*super().get_readonly_fields(request, obj)]
        readonly += [f for f in getattr(self.model, "lifecycle_fields", ()) if f not in readonly]
        if obj is not None:
            readonly += [f for f in getattr(self.model, "fixed_fields", ()) if f not in readonly]
        return readonly

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def _check_history_scope(self, request: HttpRequest, object_id: str) -> None:
        """The history pages look rows up without ``get_queryset``; keep them in scope too.

        A row the user cannot see, or one deleted since (whose country is no longer known), has
        no history page for anyone without every country.
        """
        if not is_country_scoped(self.model):
            return
        from partnerships.access import country_ids_for

        if country_ids_for(request.user, "view") is None:
            return
        try:
            visible = self.get_queryset(request).filter(pk=unquote(object_id)).exists()
        except (ValueError, ValidationError):
            visible = False
        if not visible:
            raise Http404

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        self._check_history_scope(request, object_id)
        return SimpleHistoryAdmin.history_view(self, request, object_id, extra_context)

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "POST":
            raise PermissionDenied(_("History is read-only here; change the record itself."))
        self._check_history_scope(request, object_id)
        return SimpleHistoryAdmin.history_form_view(
            self, request, object_id, version_id, extra_context
        )


class ReadOnlyDomainAdmin(DomainAdmin):
    """Records with a history that only services write (sign-offs, for example)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(ScopedQuerysetMixin, admin.ModelAdmin):
    """Records that only services write (transitions, report runs): listed and shown, never edited.

    These models carry no django-simple-history table (each row is itself a record of a change),
    so they use the plain admin.
    """

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DomainInline(ScopedQuerysetMixin, admin.TabularInline):
    extra = 0
    show_change_link = True


class ReadOnlyInline(DomainInline):
    """Rows shown under their parent that only services write."""

    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TransitionInline(ReadOnlyInline):
    """The recorded moves of a lifecycle field, with its labels rather than its codes."""

    status_labels: dict[str, Any] = {}
    fields = ("at", "from_label", "to_label", "by", "reason")
    readonly_fields = fields
    ordering = ("at", "pk")
    show_change_link = False

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        return super().get_queryset(request).select_related("by")

    @admin.display(description=_("from"))
    def from_label(self, obj: Any) -> str:
        return str(self.status_labels.get(obj.from_status, obj.from_status or "-"))

    @admin.display(description=_("to"))
    def to_label(self, obj: Any) -> str:
        return str(self.status_labels.get(obj.to_status, obj.to_status))


class TransitionAdmin(ReadOnlyAdmin):
    """Standalone list of one kind of transition record."""

    status_labels: dict[str, Any] = {}
    list_filter = ("to_status",)
    date_hierarchy = "at"

    @admin.display(description=_("from"), ordering="from_status")
    def from_label(self, obj: Any) -> str:
        return str(self.status_labels.get(obj.from_status, obj.from_status or "-"))

    @admin.display(description=_("to"), ordering="to_status")
    def to_label(self, obj: Any) -> str:
        return str(self.status_labels.get(obj.to_status, obj.to_status))
