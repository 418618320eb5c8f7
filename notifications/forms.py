"""Forms of the recipient-facing pages."""

from __future__ import annotations

from typing import Any

from django import forms

from .models import Preference
from .types import Category


class PreferencesForm(forms.Form):
    """One choice (immediately, daily digest, off) per configurable category.

    Fields are built from the categories given, so a newly registered
    notification type's category appears without touching this form.
    """

    def __init__(self, *args: Any, categories: list[Category], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for category in categories:
            self.fields[category.key] = forms.ChoiceField(
                label=category.label,
                choices=Preference.Mode.choices,
                widget=forms.RadioSelect,
            )

    def modes(self) -> dict[str, str]:
        """The chosen mode of every category, once the form is valid."""
        return {key: str(value) for key, value in self.cleaned_data.items()}
