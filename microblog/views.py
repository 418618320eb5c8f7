"""The site's pages about people and posts: the timelines (home, explore, with
people to follow and a search for people) and each person's profile with their
posts, followers and following."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts import selectors as people

from .forms import PeopleSearchForm, PostForm
from .models import Post
from .pagination import paginate
from .selectors import (
    mentionable_users,
    post_get,
    posts_by_author,
    timeline_explore,
    timeline_home,
)
from .services import post_create


def _posts_page(request: HttpRequest, posts: QuerySet[Post]) -> dict[str, Any]:
    """The requested page of `posts`, and the users its @mentions link to."""
    page = paginate(request, posts)
    return {"page": page, "mentionable": mentionable_users(posts=page)}


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
    return render(
        request,
        "microblog/home.html",
        {"form": form, **_posts_page(request, timeline_home(user=request.user))},
    )


def explore(request: HttpRequest) -> HttpResponse:
    """Everyone's posts and people to follow; with ?q=, the people matching q."""
    form = PeopleSearchForm(request.GET)
    if not form.is_valid():
        # A NUL character or an overlong query: say what is wrong, never a 500.
        return render(request, "microblog/people_search.html", {"form": form}, status=400)
    query = form.cleaned_data["q"]
    if query:
        page = paginate(request, people.people_search(query=query, viewer=request.user))
        return render(
            request, "microblog/people_search.html", {"form": form, "query": query, "page": page}
        )
    return render(
        request,
        "microblog/explore.html",
        {
            "form": form,
            "suggestions": people.people_to_follow(viewer=request.user),
            **_posts_page(request, timeline_explore()),
        },
    )


def profile(request: HttpRequest, username: str) -> HttpResponse:
    person = people.profile_get(username=username, viewer=request.user)
    return render(
        request,
        "accounts/profile.html",
        {"person": person, **_posts_page(request, posts_by_author(author=person))},
    )


def post_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One post on a page of its own: where a mention's email and feed item
    lead, however many posts its author writes after it."""
    post = post_get(pk=pk)
    return render(
        request,
        "microblog/post.html",
        {"post": post, "mentionable": mentionable_users(posts=[post])},
    )


# Each list page: the selector of its follows, and which side of a follow it lists.
FOLLOW_LISTS = {
    "followers": (people.followers_list, "follower"),
    "following": (people.following_list, "followed"),
}


def follow_list(request: HttpRequest, username: str, showing: str) -> HttpResponse:
    """The people following `username`, or the people `username` follows."""
    person = people.profile_get(username=username, viewer=request.user)
    selector, side = FOLLOW_LISTS[showing]
    page = paginate(request, selector(user=person))
    users = [getattr(follow, side) for follow in page]
    return render(
        request,
        "accounts/follow_list.html",
        {"person": person, "page": page, "users": users, "showing": showing},
    )
