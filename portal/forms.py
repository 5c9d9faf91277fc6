"""Forms shared by every page: one field template with label, required marker, help and errors, and a
service's refusal shown on the form."""

from collections.abc import Mapping

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting


class PortalFormRenderer(TemplatesSetting):
    field_template_name = "includes/field.html"


def add_service_errors(
    form: forms.Form, error: ValidationError, fields: Mapping[str, str] | None = None
) -> None:
    """Show a service's ``ValidationError`` on the form: each message next to its field (``fields`` renames a
    service's field to the form's), the others above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        field = (fields or {}).get(name, name)
        form.add_error(field if field in form.fields else None, errors)
