"""Forms of the recipient-facing pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Preference
from .preferences import category_channels, channel_modes
from .types import Category

Channel = Preference.Channel
IN_APP_SUFFIX = "__in_app"


class PreferencesForm(forms.Form):
    """Per category, how email comes (immediately, daily digest, only if not seen
    in the app, off) and whether it shows in the app; and optional quiet hours.

    Fields are built from the categories given, so a newly registered
    notification type's category appears without touching this form. The
    email field of a category is named after it; its in-app field adds
    ``__in_app``.
    """

    quiet_start = forms.TimeField(
        label=_("From"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    quiet_end = forms.TimeField(
        label=_("Until"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )

    def __init__(
        self, *args: Any, categories: list[Category], hourly_limit: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.categories = categories
        self.hourly_limit = hourly_limit
        if hourly_limit:
            self.fields["digest_for_the_excess"] = forms.BooleanField(
                label=_("Gather the rest in the daily digest"), required=False
            )
        labels = dict(Preference.Mode.choices)
        for category in categories:
            for channel in category_channels(category) or (Channel.EMAIL,):
                modes = channel_modes(category=category, channel=channel)
                name = category.key if channel == Channel.EMAIL else category.key + IN_APP_SUFFIX
                # An in-app choice left out of a post keeps its default (on).
                self.fields[name] = forms.ChoiceField(
                    label=category.label,
                    choices=[(mode, labels[mode]) for mode in modes],
                    widget=forms.RadioSelect,
                    required=channel == Channel.EMAIL,
                )
                self.fields[name].channel = channel
                self.fields[name].category = category

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("quiet_start"), data.get("quiet_end")
        if (start is None) != (end is None):
            # Said at the box left empty, where the person looks.
            missing = "quiet_end" if end is None else "quiet_start"
            self.add_error(missing, _("Give both a start and an end for quiet hours."))
        for category in self.categories:
            in_app = category.key + IN_APP_SUFFIX
            if data.get(category.key) == Preference.Mode.UNSEEN and data.get(in_app) == "off":
                # Nothing would ever be seen in the app: every email would wait, then go.
                self.add_error(
                    category.key,
                    _("“Only if I haven't seen it in the app” needs the app turned on."),
                )
        return data

    def category_rows(self) -> list[dict[str, Any]]:
        """For the template: each category with its email and in-app fields."""
        rows = []
        for category in self.categories:
            in_app = category.key + IN_APP_SUFFIX
            rows.append(
                {
                    "category": category,
                    "email": self[category.key] if category.key in self.fields else None,
                    "in_app": self[in_app] if in_app in self.fields else None,
                }
            )
        return rows

    def modes(self, channel: str = Channel.EMAIL) -> dict[str, str]:
        """The chosen mode of every category on `channel`, once the form is valid."""
        return {
            field.category.key: str(self.cleaned_data[name] or Preference.Mode.ON)
            for name, field in self.fields.items()
            if getattr(field, "channel", None) == channel
        }
