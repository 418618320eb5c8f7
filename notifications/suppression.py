"""The suppression list: addresses the engine must not send (some) mail to.

Addresses are stored lower-cased, with the domain in the ASCII form mail is
sent to (IDNA), and matched case-insensitively. Reasons rank
by how much they block: a hard bounce (or a staff entry) stops all mail, a
complaint or a provider-side unsubscribe stops everything but transactional
mail (password resets and error reports still reach the person).
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.db.models import Q
from django.utils.encoding import punycode

from .models import Suppression, TrackingEvent

Reason = Suppression.Reason

# Reasons that stop transactional mail too: the address cannot receive mail at
# all, or staff decided so.
BLOCKS_TRANSACTIONAL = frozenset({Reason.BOUNCED, Reason.MANUAL})

# When an address is already suppressed, a new entry only replaces the old one
# if it blocks more.
_STRENGTH = {Reason.UNSUBSCRIBED: 1, Reason.COMPLAINED: 2, Reason.BOUNCED: 3, Reason.MANUAL: 3}


def _domain_as(address: str, spell: Callable[[str], str]) -> str:
    """`address` with its domain as `spell` writes it (as given when it cannot)."""
    local, at, domain = address.rpartition("@")
    if not (at and domain):
        return address
    try:
        return f"{local}@{spell(domain)}"
    except UnicodeError:
        return address


def _unicode(domain: str) -> str:
    return domain.encode("ascii").decode("idna")


def normalize_address(address: str) -> str:
    """`address` as the list stores and compares it: lower-cased, its domain in
    the ASCII form the mailers send to. Providers report what they delivered
    to, so a bounce for alice@xn--bcher-kva.example is alice@bücher.example's.
    Django's mailers write the domain with the same function (``punycode``)."""
    return _domain_as(address.strip(), punycode).lower()


def same_address(field: str, address: str) -> Q:
    """A filter on `field` for `address` in any case and either spelling of its
    domain, ASCII (IDNA) or Unicode: a person's own address, the providers'
    reports and this list each may write the same mailbox differently."""
    address = address.strip()
    spellings = {address, _domain_as(address, punycode), _domain_as(address, _unicode)}
    matches = Q()
    for spelling in spellings:
        matches |= Q(**{f"{field}__iexact": spelling})
    return matches


def suppression_add(
    *,
    address: str,
    reason: str,
    source_event: TrackingEvent | None = None,
    note: str = "",
) -> Suppression:
    """Suppress `address`; idempotent.

    Adding an address that is already suppressed keeps the existing entry,
    unless the new reason blocks more (a hard bounce after a complaint), in
    which case the entry takes the new reason and source.
    """
    address = normalize_address(address)
    if not address:
        raise ValueError("an address is required")
    reason = Reason(reason)
    defaults = {"reason": reason, "source_event": source_event, "note": note[:255]}
    with transaction.atomic():
        # An entry typed by hand may not be lower-cased: match it too.
        entry = Suppression.objects.select_for_update().filter(address__iexact=address).first()
        created = False
        if entry is None:
            # get_or_create absorbs a concurrent insert of the same address.
            entry, created = Suppression.objects.get_or_create(address=address, defaults=defaults)
        if not created and _STRENGTH[reason] > _STRENGTH[Reason(entry.reason)]:
            entry.reason = reason
            entry.source_event = source_event
            entry.note = note[:255] or entry.note
            entry.save(update_fields=["reason", "source_event", "note"])
    return entry


def suppression_remove(*, address: str) -> int:
    """Take `address` off the suppression list; returns how many entries went."""
    deleted, _ = Suppression.objects.filter(address__iexact=normalize_address(address)).delete()
    return deleted


def suppression_for(*, address: str) -> Suppression | None:
    """The suppression entry for `address`, matched case-insensitively, or None."""
    address = normalize_address(address)
    if not address:
        return None
    return Suppression.objects.filter(address__iexact=address).first()


def is_suppressed(*, address: str, transactional: bool = False) -> bool:
    """Whether mail to `address` must not be sent.

    With transactional=True only reasons that block all mail count.
    """
    entry = suppression_for(address=address)
    if entry is None:
        return False
    return not transactional or entry.reason in BLOCKS_TRANSACTIONAL
