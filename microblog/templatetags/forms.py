"""Template filters for rendering form fields."""

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString

from microblog.i18n import label_suffix

register = template.Library()


@register.filter
def localized_label_tag(field: BoundField) -> SafeString:
    """{{ field|localized_label_tag }}: the field's <label> with the suffix the
    active language writes after a label (see microblog.i18n)."""
    return field.label_tag(label_suffix=label_suffix(str(field.label or "")))
