"""The timelines: home (you and whom you follow) and explore (everyone)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from .forms import PostForm
from .pagination import paginate
from .selectors import timeline_explore, timeline_home
from .services import post_create


@login_required
def home(request: HttpRequest) -> HttpResponse:
    form = PostForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            post_create(author=request.user, body=form.cleaned_data["body"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your post is live."))
            return redirect("timeline:home")
    page = paginate(request, timeline_home(user=request.user))
    return render(request, "microblog/home.html", {"form": form, "page": page})


def explore(request: HttpRequest) -> HttpResponse:
    page = paginate(request, timeline_explore())
    return render(request, "microblog/explore.html", {"page": page})
