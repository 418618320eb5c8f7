from django import forms
from django.utils.translation import gettext_lazy as _

from .models import POST_MAX_LENGTH


class PostForm(forms.Form):
    body = forms.CharField(
        label=_("What's happening?"),
        max_length=POST_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("Say something…")}),
        error_messages={
            "required": _("Write something before posting."),
            "max_length": _(
                "A post can have at most %(limit_value)d characters (it has %(show_value)d)."
            ),
        },
    )


class PeopleSearchForm(forms.Form):
    """Explore's search box. Django's CharField already refuses NUL characters,
    which PostgreSQL cannot store or compare: such a query is a bad request."""

    q = forms.CharField(
        label=_("Search people"),
        max_length=100,
        required=False,
        error_messages={
            "max_length": _("Search for at most %(limit_value)d characters."),
            "null_characters_not_allowed": _("A search cannot contain that character."),
        },
        widget=forms.SearchInput(
            attrs={"placeholder": _("Username or name"), "autocomplete": "off"}
        ),
    )
