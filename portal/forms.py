"""Form rendering shared by every page: one field template with label, required marker, help and errors."""

from django.forms.renderers import TemplatesSetting


class PortalFormRenderer(TemplatesSetting):
    field_template_name = "includes/field.html"
