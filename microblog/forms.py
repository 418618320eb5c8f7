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
