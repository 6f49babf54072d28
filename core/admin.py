"""The admin's one path for writes: every save runs a service, and a refusal shows the same
form again, with what was typed and the service's reasons on their fields (HTTP 200).

An app's ModelAdmin mixes in ServiceAdminMixin and calls its services through run_service()
from save_model(), save_<model>_row() (inline rows) or an action. When a service refuses,
ServiceRefused unwinds the admin's transaction (nothing is half-saved), and the change view
runs once more with the refusal attached to the request: the rebuilt form validates the same
POST and carries the reasons as its errors, so nothing typed is lost.
"""

from django.core.exceptions import PermissionDenied

from .errors import REFUSALS, refusal_messages


class ServiceRefused(Exception):
    def __init__(self, error):
        super().__init__(str(error))
        self.error = error


def run_service(call):
    """Call a service from a form save; a refusal unwinds the whole save (see ServiceAdminMixin)."""
    try:
        return call()
    except REFUSALS as exc:
        raise ServiceRefused(exc) from exc


class ServiceAdminMixin:
    """Saves through the services; see the module's docstring."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as refused:
            request._service_refusal = refusal_messages(refused.error)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, **kwargs):
        form_class = super().get_form(request, obj, **kwargs)
        refusal = getattr(request, "_service_refusal", None)
        if not refusal:
            return form_class

        class RefusedForm(form_class):
            def clean(self):
                cleaned = super().clean()
                for field, errors in refusal.items():
                    self.add_error(field if field in self.fields else None, errors)
                return cleaned

        return RefusedForm

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
