"""Forms for signing up, editing a profile and the admin's user pages."""

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import User

USERNAME_TAKEN = _("That username is taken.")
EMAIL_TAKEN = _("An account with that email address already exists.")


class _UniqueIdentityMixin:
    """Usernames and email addresses are unique regardless of case."""

    instance: User
    cleaned_data: dict

    def clean_username(self) -> str:
        username = self.cleaned_data.get("username", "")
        taken = User.objects.filter(username__iexact=username).exclude(pk=self.instance.pk)
        if username and taken.exists():
            raise ValidationError(USERNAME_TAKEN, code="unique")
        return username

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data.get("email", ""))
        taken = User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk)
        if email and taken.exists():
            raise ValidationError(EMAIL_TAKEN, code="unique")
        return email


class SignupForm(_UniqueIdentityMixin, auth_forms.BaseUserCreationForm):
    """Username (3-30 of letters, digits, _ . -), email and a validated password."""

    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("For password resets and the notifications you choose."),
    )

    class Meta(auth_forms.BaseUserCreationForm.Meta):
        model = User
        fields = ("username", "email")


class ProfileForm(forms.ModelForm):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)

    class Meta:
        model = User
        fields = ("about_me", "language")
        widgets = {"about_me": forms.Textarea(attrs={"rows": 4, "maxlength": 500})}
        help_texts = {"about_me": _("Up to 500 characters, shown on your profile.")}


class AdminUserCreationForm(_UniqueIdentityMixin, auth_forms.AdminUserCreationForm):
    class Meta(auth_forms.AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "email")


class AdminUserChangeForm(_UniqueIdentityMixin, auth_forms.UserChangeForm):
    class Meta(auth_forms.UserChangeForm.Meta):
        model = User
