"""Suppressed addresses are stored with their domain in the ASCII form mail is
sent to (IDNA), as suppression.normalize_address now writes them: an entry
typed with alice@Bücher.example becomes alice@xn--bcher-kva.example. Two
entries that turn out to be one address keep the one that blocks more."""

import contextlib

from django.db import migrations
from django.utils.encoding import punycode

# As suppression._STRENGTH ranks reasons (a migration keeps its own copy).
STRENGTH = {"unsubscribed": 1, "complained": 2, "bounced": 3, "manual": 3}


def normalized(address):  # type: ignore[no-untyped-def]
    address = address.strip()
    local, at, domain = address.rpartition("@")
    if at and domain:
        with contextlib.suppress(UnicodeError):
            domain = punycode(domain)
        address = f"{local}@{domain}"
    return address.lower()


def addresses_in_ascii(apps, schema_editor):  # type: ignore[no-untyped-def]
    Suppression = apps.get_model("notifications", "Suppression")
    kept = {}
    for entry in Suppression.objects.order_by("pk"):
        address = normalized(entry.address)
        other = kept.get(address)
        if other is None:
            kept[address] = entry
            continue
        weaker, stronger = sorted((other, entry), key=lambda e: STRENGTH.get(e.reason, 0))
        weaker.delete()
        kept[address] = stronger
    for address, entry in kept.items():
        if entry.address != address:
            Suppression.objects.filter(pk=entry.pk).update(address=address)


class Migration(migrations.Migration):
    dependencies = [("notifications", "0011_lean_indexes")]

    operations = [migrations.RunPython(addresses_in_ascii, migrations.RunPython.noop)]
