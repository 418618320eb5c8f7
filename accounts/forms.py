"""Forms for signing up, editing a profile, resetting a password and the
admin's user pages."""

import logging
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from notifications.conf import conf
from notifications.suppression import same_address

from .emails import EmailTemplates, render_email, site_url
from .models import User, available_time_zones, default_time_zone

logger = logging.getLogger(__name__)

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
        # One mailbox, however its domain is spelled (bücher or xn--bcher-kva).
        taken = User.objects.filter(same_address("email", email)).exclude(pk=self.instance.pk)
        if email and taken.exists():
            raise ValidationError(EMAIL_TAKEN, code="unique")
        return email


class LoginForm(auth_forms.AuthenticationForm):
    """Django's sign-in form, saying what is true here: usernames ignore case."""

    error_messages = {
        **auth_forms.AuthenticationForm.error_messages,
        "invalid_login": _(
            "Please enter a correct username and password. The password is case-sensitive; "
            "the username is not."
        ),
    }


class SignupForm(_UniqueIdentityMixin, auth_forms.BaseUserCreationForm):
    """Username (3-30 of letters, digits, _ . -), email and a validated password."""

    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("For password resets and the notifications you choose."),
    )

    # Filled in by the browser (static/js/timezone.js): the zone it runs in.
    # A zone the system does not know is ignored; the site's default is used.
    timezone = forms.CharField(
        required=False, max_length=64, widget=forms.HiddenInput(attrs={"data-detect-timezone": ""})
    )

    class Meta(auth_forms.BaseUserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def clean_timezone(self) -> str:
        zone = self.cleaned_data.get("timezone", "")
        return zone if zone in available_time_zones() else ""

    def validate_password_for_user(self, user: User, **kwargs: str) -> None:
        # A password too short or too common is the password's problem: its
        # error goes under the password, not under the confirmation.
        super().validate_password_for_user(user, password_field_name="password1")  # noqa: S106


def time_zone_choices() -> list[tuple[str, str]]:
    """Every IANA zone by name, after the site's default."""
    default = _("Site default (%(zone)s)") % {"zone": default_time_zone()}
    zones = sorted(z for z in available_time_zones() if "/" in z and not z.startswith("Etc/"))
    return [("", default), *[(zone, zone.replace("_", " ")) for zone in [*zones, "UTC"]]]


class ProfileForm(forms.ModelForm):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    timezone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        required=False,
        help_text=_("Dates and times on the site and in emails are shown in it."),
    )

    class Meta:
        model = User
        fields = ("about_me", "language", "timezone")
        widgets = {"about_me": forms.Textarea(attrs={"rows": 4, "maxlength": 500})}
        help_texts = {"about_me": _("Up to 500 characters, shown on your profile.")}
        error_messages = {
            "about_me": {
                "max_length": _(
                    "About me can have at most %(limit_value)d characters (it has %(show_value)d)."
                )
            }
        }


class AdminUserCreationForm(_UniqueIdentityMixin, auth_forms.AdminUserCreationForm):
    class Meta(auth_forms.AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "email")


class AdminUserChangeForm(_UniqueIdentityMixin, auth_forms.UserChangeForm):
    class Meta(auth_forms.UserChangeForm.Meta):
        model = User


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's password reset, with the email written like every other email
    of the site: in the recipient's language, as text and HTML.

    The link is built from settings.SITE_URL, never from the request: the Host
    header is the client's to choose, and a reset link pointing at another
    host would hand the token to whoever runs it.
    """

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        user = context["user"]
        base = site_url()
        site = urlsplit(base)
        path = reverse(
            "accounts:password_reset_confirm",
            kwargs={"uidb64": context["uid"], "token": context["token"]},
        )
        message = render_email(
            templates=EmailTemplates(
                subject=subject_template_name,
                text=email_template_name,
                html=html_email_template_name,
            ),
            context={
                **context,
                # Django fills these from the request's Host: the site's own instead.
                "domain": site.netloc,
                "protocol": site.scheme,
                "site_name": conf.SITE_NAME,
                "reset_url": f"{base}{path}",
            },
            language=user.language,
            from_email=from_email,
            to=to_email,
        )
        try:
            message.send()
        except Exception:
            # As Django does: the page must not tell whether the address exists.
            logger.exception("Failed to send password reset email to %s", user.pk)
