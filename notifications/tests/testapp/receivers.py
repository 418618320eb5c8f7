"""A new wave or note hands off to its service; a wave taken back withdraws its actor."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from .models import Note, Wave
from .notifications import note_notify, wave_notify, wave_withdraw


def _wave_saved(sender: type, instance: Wave, created: bool, **kwargs: Any) -> None:
    if created:
        wave_notify(wave=instance)


def _wave_deleted(sender: type, instance: Wave, **kwargs: Any) -> None:
    wave_withdraw(wave=instance)


def _note_saved(sender: type, instance: Note, created: bool, **kwargs: Any) -> None:
    if created:
        note_notify(note=instance)


def connect() -> None:
    post_save.connect(_wave_saved, sender=Wave, dispatch_uid="testapp.wave_notify")
    post_delete.connect(_wave_deleted, sender=Wave, dispatch_uid="testapp.wave_withdraw")
    post_save.connect(_note_saved, sender=Note, dispatch_uid="testapp.note_notify")
