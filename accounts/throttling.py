"""Throttling what an attacker would repeat: sign-in (django-axes names the
account an attempt was for, and we give the locked-out page) and password
reset requests (counted here, per address and per client, in the cache)."""

import hashlib
import ipaddress
from dataclasses import dataclass
from typing import Any

from axes.helpers import get_client_ip_address
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.core.cache import cache
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

LOCKED_OUT_STATUS = 429


def login_username(request: HttpRequest, credentials: dict | None) -> str:
    """The username an attempt targets, as one account: usernames ignore case.

    Folded through upper case, as PostgreSQL's case-insensitive match folds:
    "al\u0131ce" (a dotless i) and "alice" are one account to it, and must be one
    count here.
    """
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(username).strip().upper().lower()[:150]


def account_failures_clear(*, request: HttpRequest, user: Any) -> None:
    """Forget the failed sign-ins of `user`'s account (not those of other
    accounts tried from the same address): after a sign-in or a completed
    password reset."""
    axes_reset(username=login_username(request, {"username": user.get_username()}))


def client_address(request: HttpRequest) -> str | None:
    """The address a request comes from, as sign-in and reset throttling count it.

    Without a proxy (PROXY_COUNT 0), the connection's. Behind PROXY_COUNT
    proxies that each append the address they were reached from to
    X-Forwarded-For, the entry the farthest of them appended: entries left of
    it are whatever the client wrote, and are never believed. An IPv6 address
    counts as its /64 network: one home or host is given a whole /64, and
    would otherwise be a new client at every address in it.
    """
    address = _client_address(request)
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address
    if ip.version == 6 and ip.ipv4_mapped is not None:  # a dual-stack socket's IPv4 client
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
    return str(ip)


def _client_address(request: HttpRequest) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.PROXY_COUNT
    if not proxies:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    entries = [entry.strip() for entry in header.split(",") if entry.strip()]
    if len(entries) < proxies:
        return remote  # it did not come through all of them
    entry = entries[-proxies]
    # Some proxies write the client's port too: "203.0.113.5:4711", "[2001:db8::1]:4711".
    if entry.startswith("["):
        entry = entry[1:].partition("]")[0]
    elif entry.count(":") == 1:
        entry = entry.partition(":")[0]
    try:
        return str(ipaddress.ip_address(entry))
    except ValueError:
        return remote


def failure_limit(request: HttpRequest, credentials: dict | None) -> int:
    """Failed sign-ins before signing in pauses: LOGIN_FAILURE_LIMIT for one
    account (from anywhere), LOGIN_FAILURE_LIMIT_PER_CLIENT for one client
    address (all accounts together).

    django-axes counts both and compares the larger with one limit, so one
    limit for both would let ten mistakes on one account, say a family
    sharing a home network, lock every account signing in from there.
    """
    username = login_username(request, credentials)
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    failures = (
        AccessAttempt.objects.filter(username=username, attempt_time__gte=since).aggregate(
            total=Sum("failures_since_start")
        )["total"]
        or 0
    )
    per_account = settings.LOGIN_FAILURE_LIMIT
    return per_account if failures >= per_account else settings.LOGIN_FAILURE_LIMIT_PER_CLIENT


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """The same page whether or not the account exists: nothing to enumerate."""
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    return render(
        request,
        "registration/locked_out.html",
        {"cooloff_minutes": minutes},
        status=LOCKED_OUT_STATUS,
    )


@dataclass(frozen=True)
class Limit:
    """At most `count` requests per `seconds` for one key."""

    count: int
    seconds: int


# A person asks for a reset link once or twice; a script asks hundreds of times.
RESETS_PER_ADDRESS = Limit(count=5, seconds=3600)
RESETS_PER_CLIENT = Limit(count=20, seconds=3600)
# Sign-up must say when an address already has an account; a script trying
# addresses to learn which have one is held to a person's pace.
SIGNUPS_PER_CLIENT = Limit(count=20, seconds=3600)


def _hit(key: str, limit: Limit) -> bool:
    """Count one request under `key`; whether it is within the limit."""
    cache.add(key, 0, timeout=limit.seconds)  # starts the window only once
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: a new window
        cache.set(key, 1, timeout=limit.seconds)
        count = 1
    return count <= limit.count


def password_reset_allowed(request: HttpRequest, *, email: str) -> bool:
    """Count a reset request for `email` from this client; False past either limit.

    The address counts whether or not an account has it, so the answer says
    nothing about which addresses are registered.
    """
    # Folded as the database's case-insensitive match folds: with a long s
    # (U+017F), "\u017fam@" is "sam@" to it.
    address = hashlib.sha256(email.strip().upper().lower().encode()).hexdigest()
    client = get_client_ip_address(request) or "unknown"
    per_address = _hit(f"password-reset:address:{address}", RESETS_PER_ADDRESS)
    per_client = _hit(f"password-reset:client:{client}", RESETS_PER_CLIENT)
    return per_address and per_client


def signup_allowed(request: HttpRequest) -> bool:
    """Count a sign-up form sent from this client; False past the limit."""
    client = get_client_ip_address(request) or "unknown"
    return _hit(f"signup:client:{client}", SIGNUPS_PER_CLIENT)
