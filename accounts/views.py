"""Signup, profiles, follow/unfollow and the language switcher."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.http import require_GET, require_POST

from . import avatars, selectors, services
from .emails import password_changed_notice_send
from .exceptions import AccountsError, SelfFollowError
from .forms import PasswordResetForm, ProfileForm, SignupForm
from .throttling import account_failures_clear, password_reset_allowed, signup_allowed


def post_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """`require_POST`, answering other methods with a readable 405 page."""
    checked = require_POST(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:  # type: ignore[no-untyped-def]
        response = checked(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            page = render(request, "405.html", status=405)
            page["Allow"] = response["Allow"]
            return page
        return response

    return wrapper


def _redirect_back(request: HttpRequest, fallback: str) -> HttpResponse:
    """Redirect to the POSTed `next` if it is a URL of this site, else to `fallback`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    # A path of this site only: redirect() would take "x" for a view's name.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return redirect(fallback)


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("timeline:home")
    if request.method == "POST" and not signup_allowed(request):
        return render(request, "accounts/signup_throttled.html", status=429)
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_create(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                language=getattr(request, "LANGUAGE_CODE", "en"),
                timezone=form.cleaned_data["timezone"],
            )
        except ValidationError as error:
            # A concurrent signup took the name between validation and saving.
            form.add_error(None, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome, %(username)s!") % {"username": user.username})
            return redirect("timeline:home")
    return render(request, "accounts/signup.html", {"form": form})


@login_required
def profile_edit(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        services.profile_update(
            user=request.user,
            about_me=form.cleaned_data["about_me"],
            language=form.cleaned_data["language"],
            timezone=form.cleaned_data["timezone"],
        )
        messages.success(request, _("Your profile has been updated."))
        return redirect(request.user)
    return render(request, "accounts/profile_edit.html", {"form": form})


def login_required_for_action(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Like `login_required`, but after signing in the user comes back to the
    profile page: the action URL itself only answers POST."""

    @wraps(view)
    def wrapper(request: HttpRequest, username: str) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(reverse("timeline:profile", kwargs={"username": username}))
        return view(request, username)

    return wrapper


def _follow_error(request: HttpRequest, error: AccountsError) -> HttpResponse:
    return render(request, "accounts/follow_error.html", {"message": str(error)}, status=400)


@post_only
@login_required_for_action
def follow(request: HttpRequest, username: str) -> HttpResponse:
    person = selectors.user_get_active(username=username)
    try:
        services.follow_create(follower=request.user, followed=person)
    except AccountsError as error:
        return _follow_error(request, error)
    messages.success(request, _("You are following %(username)s.") % {"username": person})
    return _redirect_back(request, person.get_absolute_url())


@post_only
@login_required_for_action
def unfollow(request: HttpRequest, username: str) -> HttpResponse:
    person = selectors.user_get_active(username=username)
    if person.pk == request.user.pk:
        return _follow_error(request, SelfFollowError(_("You cannot unfollow yourself.")))
    services.follow_delete(follower=request.user, followed=person)
    messages.success(request, _("You are no longer following %(username)s.") % {"username": person})
    return _redirect_back(request, person.get_absolute_url())


# Browsers send an Accept header of a few hundred characters.
MAX_ACCEPT_LENGTH = 1024


@post_only
def language_set(request: HttpRequest) -> HttpResponse:
    """Django's set_language (cookie, safe redirect), and for a signed-in user
    the choice is also stored on their profile, which wins from then on."""
    if len(request.META.get("HTTP_ACCEPT", "")) > MAX_ACCEPT_LENGTH:
        # set_language reads it when there is no `next`, and Django's parser
        # refuses a value this long with an error: answer as to a browser.
        request.META["HTTP_ACCEPT"] = "text/html"
    response = i18n.set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        services.user_language_set(user=request.user, language=language)
    return response


# A day: the picture depends on the username alone.
AVATAR_MAX_AGE = 24 * 3600


@require_GET
def avatar(request: HttpRequest, username: str) -> HttpResponse:
    """The drawn avatar of an active user (?s= the size in pixels); 404 for
    anyone else, so nobody makes the site draw arbitrary names."""
    person = selectors.user_get_active(username=username)
    png = avatars.avatar_png(
        username=person.username, size=avatars.avatar_size(request.GET.get("s"))
    )
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = f"public, max-age={AVATAR_MAX_AGE}"
    return response


class ThrottledPasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, throttled per address and per client.

    Past either limit the request is answered 429 with a page saying so, the
    same whether or not the address belongs to an account; nothing is sent.
    """

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        if not password_reset_allowed(self.request, email=form.cleaned_data["email"]):
            return render(self.request, "registration/password_reset_throttled.html", status=429)
        return super().form_valid(form)


class LockLiftingPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's new-password step, which also lifts a sign-in lockout of the
    account: the lockout page offers a reset, and whoever completes one has
    shown they read the account's email."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        account_failures_clear(request=self.request, user=form.user)
        password_changed_notice_send(user=form.user, when=timezone.now())
        return response


class NoticingPasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, which also tells the person by email: if it
    was not them, the email is how they find out, and a reset the way back."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        password_changed_notice_send(user=form.user, when=timezone.now())
        return response
