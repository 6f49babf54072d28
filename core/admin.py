"""The admin's one path for writes: every save runs a service, and a refusal shows the same
form again, with what was typed and the service's reasons on their fields (HTTP 200).

An app's ModelAdmin mixes in ServiceAdminMixin and calls its services through run_service()
from save_model(), save_<model>_row() (inline rows) or an action. When a service refuses,
ServiceRefused unwinds the admin's transaction (nothing is half-saved), and the change view
runs once more with the refusal attached to the request: the rebuilt form validates the same
POST and carries the reasons as its errors, so nothing typed is lost.
"""

from django.contrib import messages
from django.contrib.admin import widgets
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import BLANK_CHOICE_DASH
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .errors import REFUSALS, refusal_messages, refusal_text


class ServiceRefused(Exception):
    def __init__(self, error, row=None, fields=None):
        super().__init__(str(error))
        self.error = error
        # An inline row's form: the reasons show on that row ("agenda_items-0"), by its fields.
        self.row_prefix = getattr(row, "prefix", None)
        # Or a row's name (e.g. "Indicator 2"): the reasons show on the form, named by it.
        self.row = None if self.row_prefix else row
        # The service's argument names that a form calls otherwise: {"percent": "progress_percent"}.
        self.fields = fields or {}

    def messages(self):
        """{field or None: [message, ...]}; a refusal of a named row belongs to the form, named by its row."""
        found = {self.fields.get(k, k): v for k, v in refusal_messages(self.error).items()}
        if self.row is None:
            return found
        text = " ".join(m for ms in found.values() for m in ms)
        return {None: [_("%(row)s: %(reason)s") % {"row": self.row, "reason": text}]}


def run_service(call, row=None, fields=None):
    """Call a service from a form save; a refusal unwinds the whole save (see ServiceAdminMixin).

    `row` is either an inline row's form, from save_<model>_row(): the reasons then show on
    that row, next to what was typed there; or a row's name (e.g. "Indicator 2"): its refusal
    shows on the form with that name. `fields` maps a service's argument names to the form's
    field names where they differ.
    """
    try:
        return call()
    except REFUSALS as exc:
        raise ServiceRefused(exc, row=row, fields=fields) from exc


def _with_refusal(form_class, refusal, prefix=None):
    """`form_class` whose validation adds the refusal's reasons (only on the form `prefix`)."""

    class RefusedForm(form_class):
        def clean(self):
            cleaned = super().clean()
            if prefix is None or self.prefix == prefix:
                for field, errors in refusal.items():
                    self.add_error(field if field in self.fields else None, errors)
            return cleaned

    RefusedForm.__name__ = form_class.__name__
    return RefusedForm


def run_action(modeladmin, request, rows, call, *, done):
    """Run a service on each row of an admin action, each in its own transaction, and report
    per row: one message with what was done (`done`, a "%(count)d ... %(rows)s" text) and one
    error message per refused row with the service's reason. Never raises a refusal.

    Returns (done rows, [(row, reason), ...]).
    """
    succeeded, refused = [], []
    for row in rows:
        try:
            with transaction.atomic():
                call(row)
        except REFUSALS as exc:
            refused.append((row, refusal_text(exc)))
        else:
            succeeded.append(row)
    if succeeded:
        names = ", ".join(str(row) for row in succeeded[:10]) + ("…" if len(succeeded) > 10 else "")
        modeladmin.message_user(request, done % {"count": len(succeeded), "rows": names}, messages.SUCCESS)
    for row, reason in refused:
        modeladmin.message_user(
            request, _("Not done for “%(row)s”: %(reason)s") % {"row": row, "reason": reason}, messages.ERROR
        )
    if not succeeded and not refused:
        modeladmin.message_user(request, _("None of the selected rows needed this."), messages.WARNING)
    return succeeded, refused


class ServiceAdminMixin:
    """Saves through the services; see the module's docstring."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as refused:
            request._service_refusal = refused.messages()
            request._service_refusal_row = refused.row_prefix
            return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        # A service refusing a deletion answers with its reason on the object's page, never a 500.
        try:
            return super().delete_view(request, object_id, extra_context)
        except ServiceRefused as refused:
            self.message_user(request, refusal_text(refused.error), messages.ERROR)
            opts = self.model._meta
            return HttpResponseRedirect(
                reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_change",
                    args=[object_id],
                    current_app=self.admin_site.name,
                )
            )

    def get_actions(self, request):
        # Bulk deletion would bypass the services (and say "deleted" for what a service refused).
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_form(self, request, obj=None, **kwargs):
        form_class = super().get_form(request, obj, **kwargs)
        refusal = getattr(request, "_service_refusal", None)
        if not refusal or getattr(request, "_service_refusal_row", None):
            return form_class
        return _with_refusal(form_class, refusal)

    def get_formsets_with_inlines(self, request, obj=None):
        refusal = getattr(request, "_service_refusal", None)
        row = getattr(request, "_service_refusal_row", None)
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            if refusal and row:
                formset = type(formset.__name__, (formset,), {"form": _with_refusal(formset.form, refusal, row)})
            yield formset, inline

    def get_inlines(self, request, obj):
        # An object's records are added to it once it exists, through its own services.
        return self.inlines if obj is not None else []

    def save_formset(self, request, form, formset, change):
        # The services write the rows; the admin's change log records the form alone.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        save_row = getattr(self, f"save_{formset.model._meta.model_name}_row", None)
        if save_row is None:
            return
        rows = [f for f in formset.forms if f.has_changed() and f not in formset.deleted_forms]
        if rows:
            save_row(request, form.instance, rows)

    def delete_model(self, request, obj):
        raise PermissionDenied

    def has_delete_permission(self, request, obj=None):
        return False


class AutocompleteSelect(widgets.AutocompleteSelect):
    """Django's admin autocomplete, its empty choice labelled as the admin's other selects label
    theirs ("---------"): an `<option>` with neither text nor label is not valid HTML (the W3C
    checker's error). select2 still shows its placeholder in that choice's place."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        if value == "" and label == "":
            label = BLANK_CHOICE_DASH[0][1]
        return super().create_option(name, value, label, selected, index, subindex=subindex, attrs=attrs)


class AutocompleteFieldsMixin:
    """A ModelAdmin's or inline's `autocomplete_fields` drawn with the AutocompleteSelect above."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = AutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
